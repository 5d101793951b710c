import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { COLLECTOR_POD_SELECTOR } from '../ops/cluster-access';
import { join } from 'node:path';
import { fluentdMetricsAccess } from '../ops/cluster-access';
import { FLUENTD_METRICS_PORT, FLUENTD_MONITOR_PORT } from '../constructs/fluentd/fluent-conf';
import type { FluentdMetrics, GatewayMetrics } from '../ops/verify';
import { MIX_QUERIES } from '../e2e/monitor-tab';
import { config } from './helpers';

const portOf = (url: string) => Number(new URL(url).port);

/**
 * `stray`: Elasticsearch also returns a line of another trace to the trace's query (a non-exact match).
 * `lossy`: the collectors' queues and the apps' span buffers report drops.
 */
export type Mode = 'ok' | 'missing' | 'slow' | 'garbage' | 'stray' | 'lossy';
export interface Modes { es: Mode; events: Mode; jaeger: Mode; deps: Mode; /** Jaeger's metrics API (missing: Jaeger without metrics storage, 501). */ metrics: Mode; prom: Mode; stats: Mode; /** The collectors' queue metrics and the apps' span-buffer counts (lossy: drops). */ delivery: Mode; kibana: Mode; views: Mode; /** The node agents' forwarded self-telemetry (missing: the last node's agent reports nothing). */ agents: Mode; /** Fluentd's own counts, its metrics and its monitor_agent (lossy: retried flushes and records sent to @ERROR on the second pod; stray: monitor_agent of another config, without our in_tail). */ fluentd: Mode }

/** Nodes of the fake cluster, each with a Running agent pod. */
export const FAKE_NODES = ['kind-control-plane', 'kind-worker'];
export const agentPod = (node: string) => `otel-agent-agent-${node.slice(-4)}`;
export const FAKE_AGENTS = { pods: FAKE_NODES.map((node) => ({ pod: agentPod(node), node })), selector: 'app.kubernetes.io/instance=otel-agent,app.kubernetes.io/name=opentelemetry-collector' };
/** The same agent pods as the fake kubectl lists them (FAKE_KUBECTL_PODS entries, with the chart's daemonset-mode labels). */
export const FAKE_AGENT_KUBECTL_PODS = FAKE_AGENTS.pods.map(({ pod, node }) => ({
  name: pod,
  namespace: 'observability',
  labels: { 'app.kubernetes.io/name': 'opentelemetry-collector', 'app.kubernetes.io/instance': 'otel-agent', component: 'agent-collector' },
  phase: 'Running',
  node,
}));

/** The data views the fake Kibana has (both profiles': logs, events and Jaeger's spans). */
export const FAKE_DATA_VIEWS = [
  { id: 'monitoring-logs', title: 'fluentd-*', timeFieldName: '@timestamp' },
  { id: 'monitoring-k8s-events', title: 'k8s-events-*', timeFieldName: '@timestamp' },
  { id: 'monitoring-jaeger-spans', title: 'jaeger-span-*', timeFieldName: 'startTimeMillis' },
];

/**
 * The collector in the gateway layout: `replicas` Prometheus endpoints (one per gateway pod)
 * plus the cluster collector's, which alone has the kubelet stats. `counters: 'one'`: every
 * request's metrics reach the last replica only, the others have no app series at all;
 * `'split'`: requests alternate between the replicas, so none has all of them. A replica
 * with app series starts from earlier traffic (5 orders, 2 errors), so only deltas tell.
 */
export interface FakeGateway {
  readonly replicas: number;
  readonly counters: 'one' | 'split';
}

/** Pod name of fake gateway replica `i`. */
export const gatewayPod = (i: number) => `otel-collector-6b8f9c7d5-${'abcdefgh'[i]}x${i}q`;

/** Pod names of the fake Fluentd DaemonSet (two nodes). */
export const FLUENTD_PODS = ['fluentd-x7k2p', 'fluentd-q9m4z'];

/** The fake Fluentd DaemonSet's pods as the fake kubectl lists them (FAKE_KUBECTL_PODS), plus one Pending (not forwarded). */
export const fluentdKubectlPods = [
  ...FLUENTD_PODS.map((name) => ({ name, namespace: 'logging', labels: { 'app.kubernetes.io/name': 'fluentd', 'app.kubernetes.io/managed-by': 'cdktf' }, phase: 'Running' })),
  { name: 'fluentd-pending', namespace: 'logging', labels: { 'app.kubernetes.io/name': 'fluentd' }, phase: 'Pending' },
];

/** FAKE_KUBECTL_TARGETS entries forwarding each Fluentd pod's two ports to its fake servers (`ports[i]`: its metrics and its monitor_agent). */
export const fluentdTargets = (ports: { metrics: number; monitor: number }[]) =>
  Object.fromEntries(FLUENTD_PODS.flatMap((pod, i) => [[`pod/${pod}:${FLUENTD_METRICS_PORT}`, ports[i].metrics], [`pod/${pod}:${FLUENTD_MONITOR_PORT}`, ports[i].monitor]]));

/** The capture of the real Fluentd 1.19.3 on our fluent.conf and plugins (e2e/fixtures/fluentd-1.19.3-issue30/README.md). */
const FLUENTD_CAPTURE = join(__dirname, '..', 'e2e', 'fixtures', 'fluentd-1.19.3-issue30');

/**
 * The real Fluentd's /metrics (fluent-plugin-prometheus 2.2.2) at the end of that capture: 1 record
 * refused by the engine (to @ERROR, its fallback sent by out_es_rejected), 1 partial line flushed
 * without its end, 2 lines with invalid UTF-8, 4 JSON lines over the budget.
 */
export const FLUENTD_METRICS_CAPTURED = readFileSync(join(FLUENTD_CAPTURE, 'metrics.txt'), 'utf8');

/** Its monitor_agent's /api/plugins.json at the same moment: in_tail_container_logs emitted every line it read (84). */
export const FLUENTD_MONITOR_CAPTURED = readFileSync(join(FLUENTD_CAPTURE, 'monitor_agent.json'), 'utf8');

/** That text with some series' values replaced (each series must be in it). */
export function withFluentdValues(text: string, values: Record<string, number>): string {
  return Object.entries(values).reduce((t, [series, value]) => {
    const at = t.indexOf(`\n${series} `);
    if (at < 0) throw new Error(`the captured metrics have no series ${series}`);
    const end = t.indexOf('\n', at + 1);
    return `${t.slice(0, at)}\n${series} ${value.toFixed(1)}${t.slice(end)}`;
  }, text);
}

/** The captured monitor_agent answer with one plugin's `emit_records` replaced (the plugin must be in it). */
export function withEmitRecords(text: string, pluginId: string, value: number): string {
  const pattern = new RegExp(`("plugin_id":"${pluginId}",[^}]*?"emit_records":)\\d+`);
  if (!pattern.test(text)) throw new Error(`the captured monitor_agent answer has no plugin ${pluginId} with emit_records`);
  return text.replace(pattern, `$1${value}`);
}

/** A healthy pod: the captured text with nothing refused (no record to @ERROR, no fallback sent) and no partial line. */
export const FLUENTD_METRICS_HEALTHY = withFluentdValues(FLUENTD_METRICS_CAPTURED, {
  fluentd_partial_line_timeouts_total: 0,
  fluentd_error_label_records_total: 0,
  'fluentd_output_status_emit_records{plugin_id="out_es_rejected",type="elasticsearch"}': 0,
});

/** The captured pod after 3 failed flushes of out_es, still retrying 2 chunks, and 2 records rejected by Elasticsearch and kept. */
export function lossyFluentdMetrics(): string {
  return withFluentdValues(FLUENTD_METRICS_CAPTURED, {
    'fluentd_output_status_num_errors{plugin_id="out_es",type="elasticsearch"}': 3,
    'fluentd_output_status_retry_count{plugin_id="out_es",type="elasticsearch"}': 3,
    'fluentd_output_status_buffer_queue_length{plugin_id="out_es",type="elasticsearch"}': 2,
    'fluentd_output_status_retry_wait{plugin_id="out_es",type="elasticsearch"}': 8,
    fluentd_error_label_records_total: 2,
    'fluentd_output_status_emit_records{plugin_id="out_es_rejected",type="elasticsearch"}': 2,
  });
}

/**
 * Answers of the real Jaeger's metrics API (v1.76.0, metric backend on OpenSearch 2.19.6), recorded
 * by the e2e: see fixtures/jaeger-metrics-v1.76.0/README.md.
 */
export const JAEGER_METRICS_FIXTURE = join(__dirname, 'fixtures', 'jaeger-metrics-v1.76.0');

/** The recorded answer to a metrics API request: the MIX_QUERIES file of the same service, kind, grouping and quantile. */
export function recordedMetricsAnswer(url: URL, when: 'before' | 'after' | 'disabled'): { status: number; body: string } {
  if (when === 'disabled') return { status: 501, body: readFileSync(join(JAEGER_METRICS_FIXTURE, 'disabled.calls.txt'), 'utf8') };
  const kind = url.pathname.split('/').pop();
  const q = url.searchParams;
  const match = Object.values(MIX_QUERIES).find(
    (x) => x.kind === kind && x.service === q.get('service') && String(x.groupByOperation) === (q.get('groupByOperation') ?? 'false') && String('quantile' in x ? x.quantile : null) === String(q.get('quantile')),
  );
  if (!match) return { status: 400, body: `no recorded answer for ${url.pathname}${url.search}` };
  return { status: 200, body: readFileSync(join(JAEGER_METRICS_FIXTURE, `${when === 'before' ? 'before.' : ''}${match.file}`), 'utf8') };
}

/**
 * Answers of the real Jaeger's query API (v1.76.0) to what verify asks (`/api/traces/<id>`,
 * `/api/dependencies`), recorded by the e2e: see fixtures/jaeger-traces-v1.76.0/README.md.
 */
export const JAEGER_TRACES_FIXTURE = join(__dirname, 'fixtures', 'jaeger-traces-v1.76.0');

/** The recorded traces' ids (ids.json), read once. */
let recordedIds: Record<string, string> | undefined;

/**
 * The recorded answer for the trace of a request to `route` (an order, or /api/error), about
 * `traceId`: the recorded trace's id is the one thing changed (verify picks a new id per run).
 */
export function recordedTraceAnswer(route: string, traceId: string): string {
  const kind = route === '/api/error' ? 'error' : 'order';
  recordedIds ??= JSON.parse(readFileSync(join(JAEGER_TRACES_FIXTURE, 'ids.json'), 'utf8')) as Record<string, string>;
  const recordedId = recordedIds[kind];
  return readFileSync(join(JAEGER_TRACES_FIXTURE, `${kind}.trace.json`), 'utf8').split(recordedId).join(traceId);
}

/** A recorded answer of the fixture, as is. */
export const recordedJaegerAnswer = (file: 'missing.trace.json' | 'dependencies.json' | 'before.dependencies.json') => readFileSync(join(JAEGER_TRACES_FIXTURE, file), 'utf8');

/** Fake app, Elasticsearch and Jaeger, plus what the collector's fake endpoints need. */
async function baseWorld(modes: Partial<Modes>, esTls?: { key: string; cert: string }) {
  const m: Modes = { es: 'ok', events: 'ok', jaeger: 'ok', deps: 'ok', metrics: 'ok', prom: 'ok', stats: 'ok', delivery: 'ok', kibana: 'ok', views: 'ok', agents: 'ok', fluentd: 'ok', ...modes };
  const sent: { traceId: string; route: string }[] = [];
  const servers: http.Server[] = [];
  const t0 = Date.now();
  const ready = (mode: Mode) => mode === 'ok' || mode === 'stray' || (mode === 'slow' && Date.now() - t0 > 700);
  const serve = async (handler: (req: http.IncomingMessage, body: string, res: http.ServerResponse) => void, tls?: { key: string; cert: string }) => {
    const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => handler(req, body, res));
    };
    const s = tls ? https.createServer(tls, listener) : http.createServer(listener);
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    return `${tls ? 'https' : 'http'}://127.0.0.1:${(s.address() as AddressInfo).port}`;
  };
  const json = (res: http.ServerResponse, status: number, body: unknown): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  const garbage = (res: http.ServerResponse): void => void res.writeHead(200, { 'content-type': 'text/html' }).end('<html>502 Bad Gateway</html>');

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
    // The queries verify sends: a bool filter of term clauses (the trace's, and maybe type or level).
    const terms = (JSON.parse(body).query.bool.filter as { term: Record<string, string> }[]).map((c) => c.term);
    const traceId = terms.find((t) => t.trace_id)?.trace_id;
    const wantsError = terms.some((t) => t.level === 'error');
    const req0 = sent.find((s) => s.traceId === traceId);
    if (!req0) return json(res, 200, { hits: { hits: [] } });
    const source = { trace_id: traceId, type: 'access', level: wantsError ? 'error' : 'info', kubernetes: { pod_name: 'sample-app-abc', namespace_name: 'sample-app', container_name: 'app' } };
    const stray = mode === 'stray' && terms.length === 1 ? [{ _index: 'fluentd-2026-11-27', _source: { ...source, trace_id: `${traceId!.slice(0, 31)}${traceId!.endsWith('0') ? '1' : '0'}` } }] : [];
    json(res, 200, { hits: { hits: [{ _index: 'fluentd-2026-11-27', _source: source }, ...stray] } });
  }, esTls);

  const jaeger = await serve((req, _b, res) => {
    const url = new URL(req.url!, 'http://x');
    if (url.pathname.startsWith('/api/metrics/')) {
      if (m.metrics === 'garbage') return garbage(res);
      // What the real Jaeger answered: before the requests (no span yet), after them, or without metrics storage.
      const answer = recordedMetricsAnswer(url, m.metrics === 'missing' ? 'disabled' : sent.length > 0 && ready(m.metrics) ? 'after' : 'before');
      return void res.writeHead(answer.status, { 'content-type': answer.status === 200 ? 'application/json' : 'text/plain; charset=utf-8' }).end(answer.body);
    }
    // What the real Jaeger answered (recorded by the e2e): before any span, and once it had them.
    const jaegerAnswer = (status: number, body: string): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(body);
    if (url.pathname === '/api/dependencies') {
      if (m.deps === 'garbage') return garbage(res);
      return jaegerAnswer(200, recordedJaegerAnswer(ready(m.deps) ? 'dependencies.json' : 'before.dependencies.json'));
    }
    if (m.jaeger === 'garbage') return garbage(res);
    const traceId = url.pathname.split('/').pop()!;
    const req0 = sent.find((s) => s.traceId === traceId);
    if (!req0 || !ready(m.jaeger)) return jaegerAnswer(404, recordedJaegerAnswer('missing.trace.json'));
    jaegerAnswer(200, recordedTraceAnswer(req0.route, traceId));
  });

  // Kibana 9: /api/status (overall level) and the data views API, behind basic auth.
  const kibana = await serve((req, _b, res) => {
    if (req.headers.authorization !== `Basic ${Buffer.from('elastic:pw').toString('base64')}`) return json(res, 401, { statusCode: 401, error: 'Unauthorized' });
    const url = req.url!;
    if (url === '/api/status') {
      if (m.kibana === 'garbage') return garbage(res);
      return ready(m.kibana)
        ? json(res, 200, { name: 'kibana', version: { number: '9.5.0' }, status: { overall: { level: 'available', summary: 'All services and plugins are available' } } })
        : json(res, 503, { name: 'kibana', version: { number: '9.5.0' }, status: { overall: { level: 'unavailable', summary: 'elasticsearch service is unavailable' } } });
    }
    const view = /^\/api\/data_views\/data_view\/([^/?]+)$/.exec(url);
    if (view) {
      if (m.views === 'garbage') return garbage(res);
      const found = ready(m.views) && FAKE_DATA_VIEWS.find((v) => v.id === decodeURIComponent(view[1]));
      return found ? json(res, 200, { data_view: { ...found, fields: {} } }) : json(res, 404, { statusCode: 404, error: 'Not Found', message: `Saved object [index-pattern/${view[1]}] not found` });
    }
    json(res, 404, { statusCode: 404, error: 'Not Found' });
  });

  const statsLines = () => (ready(m.stats) ? ['k8s_node_cpu_usage{k8s_node_name="kind-control-plane"} 0.25', 'k8s_pod_memory_usage_bytes{k8s_pod_name="sample-app-abc"} 5.2e+07'] : []);
  // As the collector re-exports its own telemetry (self-scrape, job otel-collector) and the apps' span-buffer metrics.
  const deliveryLines = (exporter: string, kind: string) =>
    m.delivery === 'missing'
      ? []
      : [
          `otelcol_exporter_queue_size{exporter="${exporter}",job="otel-collector"} 3`,
          `otelcol_exporter_queue_capacity{exporter="${exporter}",job="otel-collector"} 200000`,
          `otelcol_exporter_enqueue_failed_${kind}_total{exporter="${exporter}",job="otel-collector"} ${m.delivery === 'lossy' ? 17 : 0}`,
          `otelcol_exporter_send_failed_${kind}_total{exporter="${exporter}",job="otel-collector"} 0`,
          `telemetry_spans_buffered{job="sample-app"} 0`,
          `telemetry_spans_dropped_total{job="sample-app"} ${m.delivery === 'lossy' ? 5 : 0}`,
        ];
  // Each agent's own telemetry as the collector re-exports it (labelled with its node): the
  // requests sent so far went through the first node's agent, 4 spans each; 2 refused earlier.
  const agentLines = () =>
    FAKE_NODES.filter((_n, i) => m.agents !== 'missing' || i < FAKE_NODES.length - 1).flatMap((node, i) => {
      const spans = i === 0 && ready(m.agents) ? 4 * sent.length : 0;
      // The job label is the collector's own service.name (as on the gateway's self-telemetry): only agent_node tells.
      const l = `agent_node="${node}",job="otelcol-contrib"`;
      return [
        `otelcol_receiver_accepted_spans_total{${l},receiver="otlp",transport="http"} ${100 + spans}`,
        `otelcol_receiver_refused_spans_total{${l},receiver="otlp",transport="http"} 2`,
        `otelcol_exporter_sent_spans_total{${l},exporter="otlp/gateway"} ${98 + spans}`,
        `otelcol_exporter_send_failed_spans_total{${l},exporter="otlp/gateway"} 2`,
        `otelcol_exporter_queue_capacity{${l},exporter="otlp/gateway"} 10000`,
      ];
    });
  const textPlain = (res: http.ServerResponse, lines: string[]): void => void res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(lines.join('\n') + '\n');
  // Fluentd: one pod per node (two here), each serving its own /metrics (fluent-plugin-prometheus) and /api/plugins.json (monitor_agent) on two ports.
  const fluentdPods: { pod: string; url: string; pluginsUrl: string; ports: { metrics: number; monitor: number } }[] = [];
  for (const [i, pod] of FLUENTD_PODS.entries()) {
    const metricsServer = await serve((_req, _b, res) => {
      if (m.fluentd === 'garbage') return garbage(res);
      if (m.fluentd === 'slow' && !ready('slow')) return textPlain(res, []); // the output monitor has not reported yet
      const text = m.fluentd === 'lossy' && i === 1 ? lossyFluentdMetrics() : FLUENTD_METRICS_HEALTHY;
      void res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(text);
    });
    const monitorServer = await serve((req, _b, res) => {
      if (req.url !== '/api/plugins.json') return json(res, 404, {});
      if (m.fluentd === 'garbage') return garbage(res);
      const text = m.fluentd === 'stray' ? FLUENTD_MONITOR_CAPTURED.replace(/"in_tail_container_logs"/, '"in_tail_other"') : FLUENTD_MONITOR_CAPTURED;
      void res.writeHead(200, { 'content-type': 'application/json' }).end(text);
    });
    fluentdPods.push({ pod, url: `${metricsServer}/metrics`, pluginsUrl: `${monitorServer}/api/plugins.json`, ports: { metrics: portOf(metricsServer), monitor: portOf(monitorServer) } });
  }
  const fluentd: FluentdMetrics = { pods: m.fluentd === 'missing' ? [] : fluentdPods.map(({ pod, url, pluginsUrl }) => ({ pod, url, pluginsUrl })), selector: fluentdMetricsAccess(config()).selector };
  const close = () => Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return { m, sent, ready, serve, garbage, statsLines, deliveryLines, agentLines, textPlain, close, app, jaeger, elasticsearch, kibana, fluentd, fluentdPods };
}

/**
 * Fake app, Elasticsearch, Jaeger and Prometheus endpoint on 127.0.0.1, answering in the
 * real APIs' formats with data derived from the requests the verify run actually sent.
 */
export async function fakeWorld(modes: Partial<Modes> = {}, esTls?: { key: string; cert: string }) {
  const { m, sent, ready, serve, garbage, statsLines, deliveryLines, agentLines, textPlain, close, app, jaeger, elasticsearch, kibana, fluentd, fluentdPods } = await baseWorld(modes, esTls);
  const prometheus = await serve((_req, _b, res) => {
    if (m.prom === 'garbage') return garbage(res);
    const orders = ready(m.prom) ? sent.filter((s) => s.route === '/api/orders').length : 0;
    const errors = ready(m.prom) ? sent.filter((s) => s.route === '/api/error').length : 0;
    textPlain(res, [
      '# HELP http_server_request_duration_seconds Duration of HTTP server requests.',
      '# TYPE http_server_request_duration_seconds histogram',
      `http_server_request_duration_seconds_count{http_request_method="POST",http_response_status_code="201",http_route="/api/orders",job="sample-app"} ${orders}`,
      `app_errors_total{error_type="SimulatedError",http_route="/api/error",job="sample-app"} ${errors}`,
      ...statsLines(),
      ...deliveryLines('otlp/jaeger', 'spans'),
      ...agentLines(),
    ]);
  });

  return {
    endpoints: { app, jaeger, prometheus: `${prometheus}/metrics`, elasticsearch: { url: elasticsearch, username: 'elastic', password: 'pw' }, kibana: { url: kibana, username: 'elastic', password: 'pw' }, fluentd, agents: FAKE_AGENTS },
    ports: { app: portOf(app), jaeger: portOf(jaeger), prometheus: portOf(prometheus), elasticsearch: portOf(elasticsearch), kibana: portOf(kibana), fluentdPods: fluentdPods.map((p) => p.ports) },
    sent,
    close,
  };
}

/** The same world with the collector in the gateway layout (see FakeGateway). */
export async function fakeGatewayWorld(gateway: FakeGateway, modes: Partial<Modes> = {}, esTls?: { key: string; cert: string }) {
  const { m, sent, ready, serve, garbage, statsLines, deliveryLines, agentLines, textPlain, close, app, jaeger, elasticsearch, kibana, fluentd, fluentdPods } = await baseWorld(modes, esTls);
  // Which replica the i-th app request (orders and errors, in the order sent) reached.
  const replicaOf = (i: number) => (gateway.counters === 'one' ? gateway.replicas - 1 : i % gateway.replicas);
  // verify sends 3 orders then 1 error: a replica has a series if one of those reaches it.
  const plan = ['/api/orders', '/api/orders', '/api/orders', '/api/error'];
  const replicas: { pod: string; url: string; port: number }[] = [];
  for (let r = 0; r < gateway.replicas; r++) {
    const has = (route: string) => plan.some((p, i) => p === route && replicaOf(i) === r);
    const url = await serve((_req, _b, res) => {
      if (m.prom === 'garbage') return garbage(res);
      const mine = ready(m.prom) ? sent.filter((_s, i) => replicaOf(i) === r) : [];
      const orders = 5 + mine.filter((s) => s.route === '/api/orders').length;
      const errors = 2 + mine.filter((s) => s.route === '/api/error').length;
      textPlain(res, [
        '# TYPE otelcol_exporter_sent_metric_points counter',
        `otelcol_exporter_sent_metric_points{exporter="prometheus"} ${10 + r}`,
        ...(has('/api/orders') ? [`http_server_request_duration_seconds_count{http_request_method="POST",http_response_status_code="201",http_route="/api/orders",job="sample-app"} ${orders}`] : []),
        ...(has('/api/error') ? [`app_errors_total{error_type="SimulatedError",http_route="/api/error",job="sample-app"} ${errors}`] : []),
        ...deliveryLines('otlp/jaeger', 'spans'),
        // The agents forward to the first replica: their kubelet stats and own telemetry are there.
        ...(r === 0 ? [...statsLines(), ...agentLines()] : []),
      ]);
    });
    replicas.push({ pod: gatewayPod(r), url: `${url}/metrics`, port: portOf(url) });
  }
  // The cluster collector: cluster stats and events, no app metrics, no kubelet stats (the agents').
  const cluster = await serve((_req, _b, res) => textPlain(res, ['# TYPE otelcol_exporter_sent_metric_points counter', 'otelcol_exporter_sent_metric_points{exporter="prometheus"} 99', ...deliveryLines('elasticsearch/events', 'log_records').filter((l) => !l.startsWith('telemetry_'))]));
  const prometheus: GatewayMetrics = { replicas: replicas.map(({ pod, url }) => ({ pod, url })), stats: `${cluster}/metrics`, selector: COLLECTOR_POD_SELECTOR };
  return {
    endpoints: { app, jaeger, prometheus, elasticsearch: { url: elasticsearch, username: 'elastic', password: 'pw' }, kibana: { url: kibana, username: 'elastic', password: 'pw' }, fluentd, agents: FAKE_AGENTS },
    ports: { app: portOf(app), jaeger: portOf(jaeger), elasticsearch: portOf(elasticsearch), kibana: portOf(kibana), replicas: replicas.map((r) => r.port), clusterCollector: portOf(cluster), fluentdPods: fluentdPods.map((p) => p.ports) },
    sent,
    close,
  };
}
