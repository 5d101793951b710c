import { diag, DiagLogLevel, metrics } from '@opentelemetry/api';
import { setGlobalErrorHandler } from '@opentelemetry/core';
import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';
import { RuntimeNodeInstrumentation } from '@opentelemetry/instrumentation-runtime-node';
import { OTLPTraceExporter as OtlpGrpcTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as OtlpJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { AppConfig } from './config';
import { SpanBuffer } from './span-buffer';

export const SERVICE_VERSION: string = require('../package.json').version;

/** Reports export problems once per window instead of once per failed batch. */
export class ThrottledReporter {
  private lastReported = new Map<string, number>();
  constructor(private readonly report: (message: string) => void, private readonly windowMs = 5 * 60_000) {}

  notify(kind: string, message: string): void {
    const now = Date.now();
    const last = this.lastReported.get(kind);
    if (last !== undefined && now - last < this.windowMs) return;
    this.lastReported.set(kind, now);
    this.report(message);
  }
}

export const DEFAULT_METRIC_EXPORT_INTERVAL_MS = 60_000;
export const DEFAULT_METRIC_EXPORT_TIMEOUT_MS = 30_000;

export interface MetricExportTiming {
  intervalMillis: number;
  timeoutMillis: number;
  /** Set when an explicit timeout longer than the interval was shortened. */
  warning?: string;
}

/**
 * Interval and timeout of the periodic metric reader from OTEL_METRIC_EXPORT_INTERVAL and
 * OTEL_METRIC_EXPORT_TIMEOUT (already validated in config.ts). sdk-metrics 2.2 throws at start when
 * the timeout is longer than the interval, which a short interval alone triggers (the timeout
 * defaults to 30 s); like later SDK versions we clamp the timeout to the interval instead, and
 * warn only when the longer timeout was set explicitly.
 */
export function metricExportTiming(interval: number | undefined, timeout: number | undefined): MetricExportTiming {
  const intervalMillis = interval ?? DEFAULT_METRIC_EXPORT_INTERVAL_MS;
  if (timeout === undefined) return { intervalMillis, timeoutMillis: Math.min(DEFAULT_METRIC_EXPORT_TIMEOUT_MS, intervalMillis) };
  if (timeout <= intervalMillis) return { intervalMillis, timeoutMillis: timeout };
  const intervalSource = interval === undefined ? 'the default OTEL_METRIC_EXPORT_INTERVAL' : 'OTEL_METRIC_EXPORT_INTERVAL';
  return {
    intervalMillis,
    timeoutMillis: intervalMillis,
    warning: `OTEL_METRIC_EXPORT_TIMEOUT=${timeout} is longer than ${intervalSource}=${intervalMillis}: using ${intervalMillis} ms as the metric export timeout`,
  };
}

/** The OTLP span exporter of OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL, as the SDK would pick it (each reads its endpoint, headers, timeout from the environment). */
export function otlpSpanExporter(env: NodeJS.ProcessEnv = process.env): SpanExporter {
  const protocol = (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL || env.OTEL_EXPORTER_OTLP_PROTOCOL || 'http/protobuf').trim();
  switch (protocol) {
    case 'grpc':
      return new OtlpGrpcTraceExporter();
    case 'http/json':
      return new OtlpJsonTraceExporter();
    case 'http/protobuf':
      return new OtlpProtoTraceExporter();
    default:
      throw new Error(`unsupported OTEL_EXPORTER_OTLP_PROTOCOL "${protocol}" (grpc, http/protobuf or http/json)`);
  }
}

export interface Telemetry {
  readonly enabled: boolean;
  /** The span buffer in front of the OTLP exporter, when on. */
  readonly spanBuffer?: SpanBuffer;
  /** Flushes and stops exporters; resolves within `timeoutMs`. */
  shutdown(timeoutMs: number): Promise<void>;
}

/**
 * Starts the OpenTelemetry Node SDK. Everything standard comes from the OTEL_* environment
 * (service name, endpoint, protocol, resource attributes, sampler, OTEL_SDK_DISABLED); we
 * only add defaults: OTLP metrics on, stable HTTP semantic conventions, our instrumentations.
 * Must run before express and http are loaded so that they are patched.
 */
export function startTelemetry(
  warn: (message: string) => void,
  config: Pick<AppConfig, 'DEPLOYMENT_ENVIRONMENT' | 'OTEL_METRIC_EXPORT_INTERVAL' | 'OTEL_METRIC_EXPORT_TIMEOUT'> & Partial<Pick<AppConfig, 'TELEMETRY_BUFFER_SPANS'>>,
): Telemetry {
  const env = process.env;
  if (env.OTEL_SDK_DISABLED === 'true') return { enabled: false, shutdown: async () => undefined };
  env.OTEL_METRICS_EXPORTER ??= 'otlp';
  env.OTEL_TRACES_EXPORTER ??= 'otlp';
  env.OTEL_LOGS_EXPORTER ??= 'none';
  // http.server.request.duration with http.route, as the current semantic conventions name it.
  env.OTEL_SEMCONV_STABILITY_OPT_IN ??= 'http';

  const reporter = new ThrottledReporter(warn);
  setGlobalErrorHandler((err) => reporter.notify('export', `telemetry export failing (the app keeps serving; data is dropped after the bounded queue fills): ${String((err as Error)?.message ?? err)}`));
  diag.setLogger(
    {
      error: (msg) => reporter.notify('diag-error', `otel: ${msg}`),
      warn: (msg) => reporter.notify('diag-warn', `otel: ${msg}`),
      info: () => undefined,
      debug: () => undefined,
      verbose: () => undefined,
    },
    DiagLogLevel.WARN,
  );

  // The SDK reads these two itself (parseInt, no checks, throws if timeout > interval): hand it
  // the validated, clamped values.
  const timing = metricExportTiming(config.OTEL_METRIC_EXPORT_INTERVAL, config.OTEL_METRIC_EXPORT_TIMEOUT);
  const metricsExported = !env.OTEL_METRICS_EXPORTER.split(',').some((name) => name.trim() === 'none');
  if (timing.warning && metricsExported) warn(timing.warning);
  env.OTEL_METRIC_EXPORT_INTERVAL = String(timing.intervalMillis);
  env.OTEL_METRIC_EXPORT_TIMEOUT = String(timing.timeoutMillis);

  // Spans over OTLP go through the bounded retrying buffer (span-buffer.ts), so a collector
  // restart or replacement loses nothing; any other OTEL_TRACES_EXPORTER is left to the SDK.
  const bufferSpans = config.TELEMETRY_BUFFER_SPANS ?? 8192;
  const spanBuffer = env.OTEL_TRACES_EXPORTER.trim() === 'otlp' && bufferSpans > 0 ? new SpanBuffer(otlpSpanExporter(env), { maxSpans: bufferSpans, onDrop: (message) => reporter.notify('span-buffer-full', message) }) : undefined;

  const sdk = new NodeSDK({
    ...(spanBuffer ? { traceExporter: spanBuffer } : {}),
    resource: resourceFromAttributes({ [ATTR_SERVICE_VERSION]: SERVICE_VERSION, 'deployment.environment.name': config.DEPLOYMENT_ENVIRONMENT }),
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => req.url === '/healthz' || req.url === '/readyz' }),
      new ExpressInstrumentation(),
      new PinoInstrumentation(),
      new RuntimeNodeInstrumentation({ monitoringPrecision: 5000 }),
    ],
  });
  sdk.start();
  spanBuffer?.registerMetrics(metrics.getMeter('sample-app.telemetry', SERVICE_VERSION));
  return {
    enabled: true,
    spanBuffer,
    shutdown: (timeoutMs) =>
      Promise.race([
        sdk.shutdown().catch((err: Error) => warn(`telemetry flush at shutdown failed: ${err.message}`)),
        new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref()),
      ]).then(() => undefined),
  };
}

/** The app's own instruments (HTTP duration comes from the http instrumentation). */
export function createAppMetrics() {
  const meter = metrics.getMeter('sample-app', SERVICE_VERSION);
  return {
    errors: meter.createCounter('app.errors', { description: 'Handled errors, by route and error type', unit: '{error}' }),
    ordersCreated: meter.createCounter('app.orders.created', { description: 'Orders accepted', unit: '{order}' }),
  };
}
export type AppMetrics = ReturnType<typeof createAppMetrics>;
