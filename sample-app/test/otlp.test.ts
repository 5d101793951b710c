import { AppProcess, otelEnv } from './helpers/app-process';
import { attr, OtlpReceiver, waitFor } from './helpers/otlp-receiver';

const SERVER = 2; // SpanKind.SERVER in OTLP JSON
const CLIENT = 3;
const STATUS_ERROR = 2;

describe('telemetry over the real OTLP wire', () => {
  const receiver = new OtlpReceiver();
  let backend: AppProcess;
  let front: AppProcess;

  beforeAll(async () => {
    const endpoint = await receiver.start();
    backend = new AppProcess({ ...otelEnv(endpoint, 'sample-app-backend'), SERVICE_ROLE: 'backend' });
    const backendUrl = await backend.start();
    front = new AppProcess({ ...otelEnv(endpoint, 'sample-app'), SERVICE_ROLE: 'front', BACKEND_URL: backendUrl });
    await front.start();
  });

  afterAll(async () => {
    await front?.stop();
    await backend?.stop();
    await receiver.stop();
  });

  it('exports an order trace that crosses both services with named child spans', async () => {
    const res = await fetch(`${front.url}/api/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ item: 'lamp', quantity: 3 }) });
    expect(res.status).toBe(201);
    const frontServer = await waitFor('front server span', () => receiver.spans.find((s) => s.service === 'sample-app' && s.kind === SERVER && attr(s.attributes, 'http.route') === '/api/orders' && attr(s.attributes, 'http.request.method') === 'POST'));
    const traceId = frontServer.traceId;
    const inTrace = () => receiver.spans.filter((s) => s.traceId === traceId);
    const backendServer = await waitFor('backend server span', () => inTrace().find((s) => s.service === 'sample-app-backend' && s.kind === SERVER));
    const client = inTrace().find((s) => s.service === 'sample-app' && s.kind === CLIENT)!;
    expect(client).toBeDefined();
    // backend server span is the child of the front's outgoing call: one trace, two services
    expect(backendServer.parentSpanId).toBe(client.spanId);
    const names = inTrace().map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['order.validate', 'order.reserve_inventory', 'order.persist', 'inventory.reserve']));
    const reserve = inTrace().find((s) => s.name === 'order.reserve_inventory')!;
    expect(client.parentSpanId).toBe(reserve.spanId);
    expect(frontServer.service).toBe('sample-app');
    expect([...receiver.contentTypes]).toEqual(['application/x-protobuf']);
  });

  it('marks /api/error spans ERROR with the exception, and the access log carries the trace id', async () => {
    const res = await fetch(`${front.url}/api/error`);
    expect(res.status).toBe(500);
    const body = (await res.json()) as { trace_id: string };
    const errorSpan = await waitFor('error span', () => receiver.spans.find((s) => s.traceId === body.trace_id && s.status?.code === STATUS_ERROR && s.events?.some((e) => e.name === 'exception')));
    expect(attr(errorSpan.events!.find((e) => e.name === 'exception')!.attributes, 'exception.message')).toBe('simulated failure in /api/error');
    const server = await waitFor('server span', () => receiver.spans.find((s) => s.traceId === body.trace_id && s.kind === SERVER));
    const access = await waitFor('access log', () => front.jsonLines('stderr').find((l) => l.type === 'access' && l.route === '/api/error'));
    expect(access.trace_id).toBe(server.traceId);
    await waitFor('the access log span', () => receiver.spans.some((s) => s.traceId === server.traceId && s.spanId === access.span_id));
    expect(access.status).toBe(500);
    const errorLog = front.jsonLines('stderr').find((l) => l.msg === 'handled error')!;
    expect(errorLog.trace_id).toBe(body.trace_id);
    expect(front.jsonLines('stdout').some((l) => l.msg === 'handled error')).toBe(false);
  });

  it('exports request, error, business and runtime metrics with the right values', async () => {
    // A front process and receiver of its own: its cumulative counters start at zero, so the
    // values are exact, and nothing the earlier tests did (their /api/error request, an export
    // of it still to come) can be counted here.
    const metricsReceiver = new OtlpReceiver();
    const app = new AppProcess({ ...otelEnv(await metricsReceiver.start(), 'sample-app'), SERVICE_ROLE: 'front', BACKEND_URL: backend.url });
    try {
      await app.start();
      for (let i = 0; i < 4; i++) {
        const res = await fetch(`${app.url}/`);
        expect(res.status).toBe(200);
      }
      const order = await fetch(`${app.url}/api/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ item: 'cup', quantity: 1 }) });
      expect(order.status).toBe(201);
      expect((await fetch(`${app.url}/api/error`)).status).toBe(500);
      const expected = { 'GET / 200 requests': 4, 'cup orders': 1, 'SimulatedError errors on /api/error': 1, '/api/error 500 requests': 1 };
      const exported = () => ({
        'GET / 200 requests': metricsReceiver.latest('http.server.request.duration', 'sample-app', { 'http.route': '/', 'http.response.status_code': 200 }) ?? 0,
        'cup orders': metricsReceiver.latest('app.orders.created', 'sample-app', { 'app.order.item': 'cup' }) ?? 0,
        'SimulatedError errors on /api/error': metricsReceiver.latest('app.errors', 'sample-app', { 'http.route': '/api/error', 'error.type': 'SimulatedError' }) ?? 0,
        '/api/error 500 requests': metricsReceiver.latest('http.server.request.duration', 'sample-app', { 'http.route': '/api/error', 'http.response.status_code': 500 }) ?? 0,
      });
      // One export may carry a count before another (a duration is recorded when the response
      // has been sent): wait until every value has arrived, then check them all exactly.
      const values = await waitFor('request, business and error metrics', () => {
        const now = exported();
        return (Object.keys(expected) as (keyof typeof expected)[]).every((k) => now[k] >= expected[k]) && now;
      });
      expect(values).toEqual(expected);
      await waitFor('runtime metrics', () => [...metricsReceiver.metricNames].some((n) => n.startsWith('nodejs.') || n.startsWith('v8js.')));
    } finally {
      await app.stop();
      await metricsReceiver.stop();
    }
  });
});

describe('resilience', () => {
  it('keeps serving with bounded memory when the collector is unreachable, and says so once', async () => {
    const app = new AppProcess({ ...otelEnv('http://127.0.0.1:9', 'sample-app'), OTEL_EXPORTER_OTLP_TIMEOUT: '500' });
    await app.start();
    try {
      for (let batch = 0; batch < 10; batch++) {
        const results = await Promise.all(Array.from({ length: 30 }, () => fetch(`${app.url}/api/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"item":"x","quantity":1}' })));
        expect(results.every((r) => r.status === 201)).toBe(true);
      }
      await new Promise((r) => setTimeout(r, 1500));
      const rssMb = Number((await import('node:fs')).readFileSync(`/proc/${app.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)![1]) / 1024;
      expect(rssMb).toBeLessThan(250);
      const warnings = app.jsonLines('stderr').filter((l) => l.component === 'otel' && String(l.msg).includes('export failing'));
      expect(warnings.length).toBe(1);
    } finally {
      expect(await app.stop()).toBe(0);
    }
  });

  it('on SIGTERM finishes the request in flight, refuses new connections, then exits 0', async () => {
    const app = new AppProcess({ OTEL_SDK_DISABLED: 'true' });
    await app.start();
    const inFlight = fetch(`${app.url}/api/slow?ms=800`);
    await new Promise((r) => setTimeout(r, 200));
    const exited = app.stop();
    await new Promise((r) => setTimeout(r, 100));
    await expect(fetch(`${app.url}/healthz`)).rejects.toThrow();
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ waitedMs: 800 });
    expect(await exited).toBe(0);
  });

  it('flushes pending spans to the receiver on SIGTERM and exits 0', async () => {
    const receiver = new OtlpReceiver();
    const endpoint = await receiver.start();
    // A long batch delay: only the shutdown flush can deliver these spans.
    const app = new AppProcess({ ...otelEnv(endpoint, 'sample-app'), OTEL_BSP_SCHEDULE_DELAY: '60000', OTEL_METRIC_EXPORT_INTERVAL: '60000' });
    await app.start();
    const res = await fetch(`${app.url}/api/slow?ms=10`);
    expect(res.status).toBe(200);
    expect(receiver.spans.length).toBe(0);
    expect(await app.stop()).toBe(0);
    expect(receiver.spans.some((s) => s.name === 'slow.work')).toBe(true);
    expect(receiver.metricNames.has('http.server.request.duration')).toBe(true);
    await receiver.stop();
  });
});
