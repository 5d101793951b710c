import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import { AppProcess, otelEnv } from './helpers/app-process';
import { OtlpReceiver, waitFor } from './helpers/otlp-receiver';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function orders(app: AppProcess, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const traceId = randomBytes(16).toString('hex');
    const res = await fetch(`${app.url}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
      body: '{"item":"buffered","quantity":1}',
    });
    expect(res.status).toBe(201);
    ids.push(traceId);
  }
  return ids;
}

describe('span buffer: a collector that is away for longer than the SDK retries', () => {
  // The SDK's exporter gives up after its timeout (1 s here, 10 s by default) and the batch
  // processor drops the batch: only the buffer can deliver these spans once the collector is back.
  const offline = (endpoint: string, extra: Record<string, string> = {}) => ({
    ...otelEnv(endpoint, 'sample-app'),
    OTEL_EXPORTER_OTLP_TIMEOUT: '1000',
    OTEL_BSP_SCHEDULE_DELAY: '100',
    OTEL_METRIC_EXPORT_INTERVAL: '1000',
    ...extra,
  });

  it('delivers every trace made while the collector was down; without the buffer they are lost; a full buffer counts its drops', async () => {
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    const buffered = new AppProcess(offline(endpoint));
    const unbuffered = new AppProcess({ ...offline(endpoint, { TELEMETRY_BUFFER_SPANS: '0' }), OTEL_SERVICE_NAME: 'unbuffered' });
    const small = new AppProcess({ ...offline(endpoint, { TELEMETRY_BUFFER_SPANS: '10' }), OTEL_SERVICE_NAME: 'small-buffer' });
    const receiver = new OtlpReceiver();
    try {
      await Promise.all([buffered.start(), unbuffered.start(), small.start()]);
      const kept = await orders(buffered, 10);
      const lost = await orders(unbuffered, 10);
      await orders(small, 10);
      // Longer than the SDK's timeout and its retries: the unbuffered batches are dropped by now.
      await new Promise((r) => setTimeout(r, 4000));
      await receiver.start(port);
      const arrived = await waitFor('every buffered trace', () => kept.every((id) => receiver.spans.some((s) => s.traceId === id && s.service === 'sample-app')) && true, 20_000);
      expect(arrived).toBe(true);
      // Each order is one trace of several spans: all of them, not only a first one.
      for (const id of kept) expect(receiver.spans.filter((s) => s.traceId === id).map((s) => s.name)).toEqual(expect.arrayContaining(['order.validate', 'order.persist']));
      const dropped = await waitFor('telemetry.spans.dropped of the small buffer', () => receiver.latest('telemetry.spans.dropped', 'small-buffer') || undefined, 10_000);
      expect(dropped).toBeGreaterThan(0);
      await waitFor('telemetry.spans.dropped of the buffered app', () => receiver.latest('telemetry.spans.dropped', 'sample-app') !== undefined, 10_000);
      expect(receiver.latest('telemetry.spans.dropped', 'sample-app')).toBe(0);
      await waitFor('the buffer drained', () => receiver.latest('telemetry.spans.buffered', 'sample-app') === 0, 10_000);
      expect(receiver.spans.filter((s) => lost.includes(s.traceId))).toEqual([]);
      expect(small.jsonLines('stderr').some((l) => String(l.msg).includes('span buffer full'))).toBe(true);
    } finally {
      await Promise.all([buffered.stop(), unbuffered.stop(), small.stop()]);
      await receiver.stop();
    }
  }, 60_000);
});
