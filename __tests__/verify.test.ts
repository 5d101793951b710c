import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatResults, runVerify } from '../ops/verify';

type Mode = 'ok' | 'missing' | 'slow' | 'garbage';
interface Modes { es: Mode; events: Mode; jaeger: Mode; deps: Mode; prom: Mode; stats: Mode }

/**
 * Fake app, Elasticsearch, Jaeger and Prometheus endpoint on 127.0.0.1, answering in the
 * real APIs' formats with data derived from the requests the verify run actually sent.
 */
async function fakeWorld(modes: Partial<Modes> = {}) {
  const m: Modes = { es: 'ok', events: 'ok', jaeger: 'ok', deps: 'ok', prom: 'ok', stats: 'ok', ...modes };
  const sent: { traceId: string; route: string }[] = [];
  const servers: http.Server[] = [];
  const t0 = Date.now();
  const ready = (mode: Mode) => mode === 'ok' || (mode === 'slow' && Date.now() - t0 > 700);
  const serve = async (handler: (req: http.IncomingMessage, body: string, res: http.ServerResponse) => void) => {
    const s = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => handler(req, body, res));
    });
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  };
  const json = (res: http.ServerResponse, status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  const garbage = (res: http.ServerResponse) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>502 Bad Gateway</html>');

  const app = await serve((req, _b, res) => {
    const traceId = String(req.headers.traceparent ?? '').split('-')[1];
    const route = req.url!.split('?')[0];
    sent.push({ traceId, route });
    if (route === '/api/orders') return json(res, 201, { id: 'ord-1' });
    if (route === '/api/error') return json(res, 500, { error: 'simulated_failure' });
    json(res, 404, {});
  });

  const elasticsearch = await serve((req, body, res) => {
    const url = req.url!;
    const isEvents = url.includes('k8s-events');
    const mode = isEvents ? m.events : m.es;
    if (mode === 'garbage') return garbage(res);
    if (!ready(mode)) {
      if (url.startsWith('/_cat/indices')) return json(res, 200, []);
      return json(res, 404, { error: { type: 'index_not_found_exception' }, status: 404 });
    }
    if (url.startsWith('/_cat/indices')) return json(res, 200, [{ index: isEvents ? 'k8s-events-2026-11-27' : 'fluentd-2026-11-27' }]);
    if (isEvents) return json(res, 200, { hits: { hits: [{ _index: 'k8s-events-2026-11-27', _source: { 'k8s.event.reason': 'Scheduled' } }] } });
    const must = JSON.parse(body).query.bool.must as any[];
    const traceId = must[0].term.trace_id;
    const wantsError = must.some((c) => c.term?.level === 'error');
    const req0 = sent.find((s) => s.traceId === traceId);
    if (!req0) return json(res, 200, { hits: { hits: [] } });
    const source = { trace_id: traceId, type: 'access', level: wantsError ? 'error' : 'info', kubernetes: { pod_name: 'sample-app-abc', namespace_name: 'sample-app', container_name: 'app' } };
    json(res, 200, { hits: { hits: [{ _index: 'fluentd-2026-11-27', _source: source }] } });
  });

  const jaeger = await serve((req, _b, res) => {
    const url = new URL(req.url!, 'http://x');
    if (url.pathname === '/api/dependencies') {
      if (m.deps === 'garbage') return garbage(res);
      return json(res, 200, { data: ready(m.deps) ? [{ parent: 'sample-app', child: 'sample-app-backend', callCount: 3 }] : [] });
    }
    if (m.jaeger === 'garbage') return garbage(res);
    const traceId = url.pathname.split('/').pop()!;
    const req0 = sent.find((s) => s.traceId === traceId);
    if (!req0 || !ready(m.jaeger)) return json(res, 404, { data: null, errors: [{ code: 404, msg: 'trace not found' }] });
    const isError = req0.route === '/api/error';
    json(res, 200, {
      data: [
        {
          traceID: traceId,
          processes: { p1: { serviceName: 'sample-app' }, p2: { serviceName: 'sample-app-backend' } },
          spans: [
            { traceID: traceId, spanID: 'a', operationName: `${isError ? 'GET /api/error' : 'POST /api/orders'}`, processID: 'p1', tags: isError ? [{ key: 'otel.status_code', type: 'string', value: 'ERROR' }, { key: 'error', type: 'bool', value: true }] : [] },
            ...(isError ? [] : [{ traceID: traceId, spanID: 'b', operationName: 'POST /api/inventory/reserve', processID: 'p2', references: [{ refType: 'CHILD_OF', traceID: traceId, spanID: 'a' }], tags: [] }]),
          ],
        },
      ],
    });
  });

  const prometheus = await serve((_req, _b, res) => {
    if (m.prom === 'garbage') return garbage(res);
    const orders = ready(m.prom) ? sent.filter((s) => s.route === '/api/orders').length : 0;
    const errors = ready(m.prom) ? sent.filter((s) => s.route === '/api/error').length : 0;
    const lines = [
      '# HELP http_server_request_duration_seconds Duration of HTTP server requests.',
      '# TYPE http_server_request_duration_seconds histogram',
      `http_server_request_duration_seconds_count{http_request_method="POST",http_response_status_code="201",http_route="/api/orders",job="sample-app"} ${orders}`,
      `app_errors_total{error_type="SimulatedError",http_route="/api/error",job="sample-app"} ${errors}`,
      ...(ready(m.stats) ? ['k8s_node_cpu_usage{k8s_node_name="kind-control-plane"} 0.25', 'k8s_pod_memory_usage_bytes{k8s_pod_name="sample-app-abc"} 5.2e+07'] : []),
    ];
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(lines.join('\n') + '\n');
  });

  return {
    endpoints: { app, jaeger, prometheus: `${prometheus}/metrics`, elasticsearch: { url: elasticsearch, username: 'elastic', password: 'pw' } },
    close: () => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))),
  };
}

const fast = { timeoutMs: 2500, intervalMs: 100 };

describe('npm run verify logic against fake servers', () => {
  it('passes every hop when everything answers, with the time each took', async () => {
    const world = await fakeWorld();
    try {
      const results = await runVerify(world.endpoints, fast);
      expect(results.map((r) => [r.hop, r.ok])).toEqual([
        ['sample app answers', true],
        ['access log in fluentd-*', true],
        ['error log in fluentd-*', true],
        ['trace in Jaeger (both services)', true],
        ['error span in Jaeger', true],
        ['dependency sample-app → sample-app-backend', true],
        ['request and error counters rose', true],
        ['node and pod stats metrics', true],
        ['Kubernetes events in k8s-events-*', true],
      ]);
      expect(results[1].detail).toBe('fluentd-2026-11-27: pod sample-app-abc, namespace sample-app, container app');
      expect(results[6].detail).toBe('orders +3, errors +1');
      expect(formatResults(results)).toMatch(/9 passed, 0 failed$/);
    } finally {
      await world.close();
    }
  });

  it('waits for slow hops within the deadline', async () => {
    const world = await fakeWorld({ es: 'slow', jaeger: 'slow', prom: 'slow' });
    try {
      const results = await runVerify(world.endpoints, fast);
      expect(results.every((r) => r.ok)).toBe(true);
      expect(results[1].ms).toBeGreaterThanOrEqual(600);
    } finally {
      await world.close();
    }
  });

  it.each<[Partial<Modes>, string, RegExp]>([
    [{ es: 'missing' }, 'access log in fluentd-*', /is the Fluentd DaemonSet running\? kubectl -n logging logs ds\/fluentd/],
    [{ es: 'garbage' }, 'access log in fluentd-*', /Fluentd DaemonSet/],
    [{ jaeger: 'missing' }, 'trace in Jaeger (both services)', /is the collector exporting to Jaeger\?/],
    [{ jaeger: 'garbage' }, 'trace in Jaeger (both services)', /collector exporting to Jaeger/],
    [{ deps: 'missing' }, 'dependency sample-app → sample-app-backend', /BACKEND_URL/],
    [{ prom: 'missing' }, 'request and error counters rose', /Prometheus endpoint did not count/],
    [{ prom: 'garbage' }, 'request and error counters rose', /Prometheus endpoint/],
    [{ stats: 'missing' }, 'node and pod stats metrics', /nodes\/stats/],
    [{ events: 'missing' }, 'Kubernetes events in k8s-events-*', /elasticsearch\/events exporter/],
  ])('%j: fails hop "%s" and names the likely cause', async (modes, hop, cause) => {
    const world = await fakeWorld(modes);
    try {
      const results = await runVerify(world.endpoints, fast);
      const failed = results.filter((r) => !r.ok);
      expect(failed[0].hop).toBe(hop);
      expect(failed[0].cause).toMatch(cause);
      expect(formatResults(results)).toContain(`first failed hop: ${hop}: `);
    } finally {
      await world.close();
    }
  });

  it('garbage answers are reported as such, not as a crash', async () => {
    const world = await fakeWorld({ jaeger: 'garbage' });
    try {
      const results = await runVerify(world.endpoints, fast);
      expect(results.find((r) => r.hop.startsWith('trace'))!.detail).toMatch(/not JSON/);
    } finally {
      await world.close();
    }
  });

  it('stops at the app when it does not answer', async () => {
    const results = await runVerify({ app: 'http://127.0.0.1:9', jaeger: 'http://127.0.0.1:9', prometheus: 'http://127.0.0.1:9/metrics', elasticsearch: { url: 'http://127.0.0.1:9', username: 'u', password: 'p' } }, fast);
    expect(results).toHaveLength(1);
    expect(results[0].cause).toMatch(/is the sample app running\?/);
  });
});
