import type { Meter } from '@opentelemetry/api';
import { ExportResult, ExportResultCode, globalErrorHandler } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';

export interface SpanBufferOptions {
  /** Spans held while the collector cannot be reached; beyond that new batches are dropped (and counted). */
  readonly maxSpans: number;
  /** Spans per export request when the buffer drains. @default 512 */
  readonly maxBatch?: number;
  /** First retry delay; grows ×1.5 per failure. @default 1000 */
  readonly initialBackoffMs?: number;
  /** Largest retry delay. @default 10000 */
  readonly maxBackoffMs?: number;
  /** Told when a batch is dropped because the buffer is full. @default - the global error handler */
  readonly onDrop?: (message: string) => void;
}

/**
 * A bounded, retrying buffer in front of the OTLP span exporter. The SDK's exporter retries a
 * batch for at most its timeout (10 s) and the BatchSpanProcessor then drops it, so a collector
 * that restarts or is replaced (up to a minute) loses every span the app made meanwhile. Here a
 * batch is acknowledged to the processor at once and kept, in order, until the collector takes
 * it: sent oldest first, retried with backoff for as long as it takes. What bounds the loss is
 * `maxSpans`: when full, the newest batch is dropped and counted (telemetry.spans.dropped),
 * never silently. Memory: a buffered span is ~2-4 KiB, 8192 spans ≲ 32 MiB.
 */
export class SpanBuffer implements SpanExporter {
  private readonly queue: ReadableSpan[][] = [];
  private buffered = 0;
  private dropped = 0;
  private sending: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private backoffMs: number;
  private stopped = false;
  private readonly maxBatch: number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;

  constructor(private readonly exporter: SpanExporter, private readonly options: SpanBufferOptions) {
    this.maxBatch = options.maxBatch ?? 512;
    this.initialBackoffMs = options.initialBackoffMs ?? 1000;
    this.maxBackoffMs = options.maxBackoffMs ?? 10_000;
    this.backoffMs = this.initialBackoffMs;
  }

  /** Spans waiting to be sent, and spans dropped because the buffer was full. */
  stats(): { buffered: number; dropped: number } {
    return { buffered: this.buffered, dropped: this.dropped };
  }

  /** Reports the buffer's fill and drops as metrics (call once the SDK's meter provider is set). */
  registerMetrics(meter: Meter): void {
    meter
      .createObservableGauge('telemetry.spans.buffered', { description: 'Spans the app holds until the collector takes them', unit: '{span}' })
      .addCallback((r) => r.observe(this.buffered));
    meter
      .createObservableCounter('telemetry.spans.dropped', { description: 'Spans dropped because the buffer was full (the collector was unreachable too long)', unit: '{span}' })
      .addCallback((r) => r.observe(this.dropped));
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    if (this.stopped) return resultCallback({ code: ExportResultCode.FAILED, error: new Error('span buffer is shut down') });
    if (this.buffered + spans.length > this.options.maxSpans) {
      this.dropped += spans.length;
      const message = `span buffer full (${this.buffered}/${this.options.maxSpans} spans, the collector unreachable): dropped ${spans.length}, ${this.dropped} in all (telemetry.spans.dropped)`;
      if (this.options.onDrop) this.options.onDrop(message);
      else globalErrorHandler(new Error(message));
      return resultCallback({ code: ExportResultCode.SUCCESS });
    }
    this.queue.push(spans);
    this.buffered += spans.length;
    resultCallback({ code: ExportResultCode.SUCCESS });
    if (!this.retryTimer) void this.drain();
  }

  /** Sends what is buffered until it is empty or a send fails (then a retry is scheduled). */
  private drain(): Promise<void> {
    this.sending ??= (async () => {
      try {
        while (this.queue.length > 0) {
          const batch = this.nextBatch();
          const result = await new Promise<ExportResult>((resolve) => this.exporter.export(batch.spans, resolve));
          if (result.code !== ExportResultCode.SUCCESS) {
            globalErrorHandler(result.error ?? new Error('span export failed'));
            this.scheduleRetry();
            return;
          }
          this.queue.splice(0, batch.batches);
          this.buffered -= batch.spans.length;
          this.backoffMs = this.initialBackoffMs;
        }
      } finally {
        this.sending = undefined;
      }
    })();
    return this.sending;
  }

  /** The oldest batches, merged up to maxBatch spans (a single larger batch goes alone). */
  private nextBatch(): { spans: ReadableSpan[]; batches: number } {
    const spans: ReadableSpan[] = [...this.queue[0]];
    let batches = 1;
    while (batches < this.queue.length && spans.length + this.queue[batches].length <= this.maxBatch) spans.push(...this.queue[batches++]);
    return { spans, batches };
  }

  private scheduleRetry(): void {
    if (this.stopped) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 1.5, this.maxBackoffMs);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.drain();
    }, delay);
    this.retryTimer.unref();
  }

  /** Tries to send everything buffered now (no backoff wait); resolves when empty or a send failed. */
  async forceFlush(): Promise<void> {
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
    await this.sending;
    await this.drain();
    await this.exporter.forceFlush?.();
  }

  /** Last attempt to deliver the buffer (the caller bounds the time), then stops the exporter. */
  async shutdown(): Promise<void> {
    await this.forceFlush().catch(() => undefined);
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.buffered > 0) globalErrorHandler(new Error(`shutting down with ${this.buffered} spans the collector has not taken: they are lost`));
    await this.exporter.shutdown();
  }
}
