import { accessPoints, COLLECTOR_POD_SELECTOR, localPortOf } from '../ops/cluster-access';
import { mergeSeries, parsePrometheusText, sumOf } from '../ops/prometheus-text';
import { expectedDataViews } from '../ops/kibana-api';
import { FLUENTD_PLUGIN_IDS } from '../constructs/fluentd/fluent-conf';
import { emitRecords, parseMonitorPlugins } from '../ops/fluentd-monitor';
import { fluentdReport, formatResults, HopResult, runVerify } from '../ops/verify';
import { config } from './helpers';
import { agentPod, FAKE_DATA_VIEWS, fakeGatewayWorld, fakeWorld, FLUENTD_METRICS_CAPTURED, FLUENTD_METRICS_HEALTHY, FLUENTD_MONITOR_CAPTURED, gatewayPod, Modes, withEmitRecords, withFluentdValues } from './fake-world';

/** The lines in_tail read, from a monitor_agent answer. */
const linesRead = (monitor: string) => emitRecords(parseMonitorPlugins(monitor, 'monitor_agent'), FLUENTD_PLUGIN_IDS.tail, 'monitor_agent');

// monitorTab: the dev profile keeps Jaeger's traces in Elasticsearch, so its Monitor tab hop is checked.
const fast = { timeoutMs: 2500, intervalMs: 100, dataViews: FAKE_DATA_VIEWS.map((v) => v.id), monitorTab: true };
const hopNamed = (results: HopResult[], name: string) => results.find((r) => r.hop === name)!;
const MONITOR_HOP = 'Monitor tab: rate, errors, latency';

/** Every hop of a passing run, single collector layout. */
const SINGLE_LAYOUT_HOPS = [
  ['sample app answers', true],
  ['access log in fluentd-*', true],
  ['error log in fluentd-*', true],
  ["trace's log lines (the link's query)", true],
  ['trace in Jaeger (both services)', true],
  ['error span in Jaeger', true],
  ['dependency sample-app → sample-app-backend', true],
  [MONITOR_HOP, true],
  ['request and error counters rose', true],
  ['node agents forwarded the spans', true],
  ['node and pod stats metrics', true],
  ['nothing dropped (queues, retries, app buffers)', true],
  ['log lines dropped / retried (Fluentd)', true],
  ['Kubernetes events in k8s-events-*', true],
  ['Kibana answers', true],
  ['Kibana data views', true],
];

describe('npm run verify logic against fake servers', () => {
  it('passes every hop when everything answers, with the time each took', async () => {
    const world = await fakeWorld();
    try {
      const results = await runVerify(world.endpoints, fast);
      expect(results.map((r) => [r.hop, r.ok])).toEqual(SINGLE_LAYOUT_HOPS);
      expect(results[1].detail).toBe('fluentd-2026-11-27: pod sample-app-abc, namespace sample-app, container app');
      expect(hopNamed(results, 'request and error counters rose').detail).toBe('orders +3, errors +1');
      // Per node: the spans the agent took and forwarded since verify started (4 requests × 4 spans, all on the first node's agent).
      expect(hopNamed(results, 'node agents forwarded the spans').detail).toBe('kind-control-plane: +16 spans in, +16 forwarded, 2 refused to the apps (resent by them), 2 send failures; kind-worker: +0 spans in, +0 forwarded, 2 refused to the apps (resent by them), 2 send failures');
      // The agents' refusals and send failures went back to the apps: reported, not counted as loss.
      expect(hopNamed(results, 'nothing dropped (queues, retries, app buffers)').detail).toBe('queues otlp/jaeger 3/200000; enqueue_failed 0, send_failed 0; app span buffers 0 held, 0 dropped; agents refused 4 spans back to the apps (resent)');
      expect(results.find((r) => r.hop.startsWith("trace's log lines"))!.detail).toMatch(/^1 line\(s\) for trace_id:"[0-9a-f]{32}"$/);
      // From the real Jaeger's recorded answers (fixtures/jaeger-traces-v1.76.0): the express and http spans too; self-calls are not the edge.
      expect(hopNamed(results, 'trace in Jaeger (both services)').detail).toBe('15 spans from sample-app, sample-app-backend');
      expect(hopNamed(results, 'error span in Jaeger').detail).toBe('error on GET /api/error, request handler');
      expect(hopNamed(results, 'dependency sample-app → sample-app-backend').detail).toBe('3 calls');
      expect(results.find((r) => r.hop === 'Kibana answers')!.detail).toBe('Kibana 9.5.0 available');
      expect(results.find((r) => r.hop === 'Kibana data views')!.detail).toBe('monitoring-logs (fluentd-*), monitoring-k8s-events (k8s-events-*), monitoring-jaeger-spans (jaeger-span-*)');
      expect(hopNamed(results, MONITOR_HOP).detail).toMatch(/^POST \/api\/orders 0\.12 req\/s, 0% errors, P50\/P75\/P95 [\d.]+\/[\d.]+\/[\d.]+ ms; GET \/api\/error 0\.06 req\/s, 100% errors \(rates over 50 s, steps of 5 s\)$/);
      expect(formatResults(results)).toMatch(/16 passed, 0 failed$/);
    } finally {
      await world.close();
    }
  });

  it('waits for slow hops within the deadline', async () => {
    const world = await fakeWorld({ es: 'slow', jaeger: 'slow', metrics: 'slow', prom: 'slow', kibana: 'slow', views: 'slow', agents: 'slow' });
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
    [{ metrics: 'missing' }, MONITOR_HOP, /^Jaeger has no metrics storage \(jaeger_query\.storage\.metrics\), so the Monitor tab is empty: it needs jaeger\.storage "elasticsearch"; kubectl -n jaeger logs deploy\/jaeger$/],
    [{ metrics: 'garbage' }, MONITOR_HOP, /^Jaeger's metrics API failed/],
    [{ prom: 'missing' }, 'request and error counters rose', /Prometheus endpoint did not count/],
    [{ prom: 'garbage' }, 'request and error counters rose', /Prometheus endpoint/],
    [{ stats: 'missing' }, 'node and pod stats metrics', /node agents' RBAC for nodes\/stats; kubectl -n observability logs daemonset\/otel-agent-agent/],
    [{ agents: 'missing' }, 'node agents forwarded the spans', new RegExp(`no telemetry from the agent on kind-worker reached the collector: .*logs pod/${agentPod('kind-worker')}$`)],
    [{ events: 'missing' }, 'Kubernetes events in k8s-events-*', /elasticsearch\/events exporter/],
    [{ delivery: 'missing' }, 'nothing dropped (queues, retries, app buffers)', /telemetry was lost|logs statefulset\/otel-collector/],
    [{ fluentd: 'missing' }, 'log lines dropped / retried (Fluentd)', /Fluentd is not running, so no container log is shipped: kubectl -n logging get pods -l app\.kubernetes\.io\/name=fluentd/],
    [{ fluentd: 'garbage' }, 'log lines dropped / retried (Fluentd)', /kubectl -n logging logs ds\/fluentd/],
    [{ fluentd: 'stray' }, 'log lines dropped / retried (Fluentd)', /kubectl -n logging logs ds\/fluentd/],
    [{ es: 'stray' }, "trace's log lines (the link's query)", /"Logs for this trace" finds none of the trace's lines/],
    [{ kibana: 'missing' }, 'Kibana answers', /Kibana is not available: kubectl -n kibana get kibana,pods/],
    [{ kibana: 'garbage' }, 'Kibana answers', /Kibana is not available/],
    [{ views: 'missing' }, 'Kibana data views', /a data view is missing: the Job that creates them/],
    [{ views: 'garbage' }, 'Kibana data views', /a data view is missing/],
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
      expect(results.find((r) => r.hop.startsWith('trace in Jaeger'))!.detail).toMatch(/not JSON/);
    } finally {
      await world.close();
    }
  });

  it('Kibana: a garbage answer is named, a missing data view is named by id, and no Kibana means no Kibana hops', async () => {
    const world = await fakeWorld({ kibana: 'garbage' });
    try {
      const results = await runVerify(world.endpoints, { ...fast, dataViews: [...fast.dataViews, 'monitoring-missing'] });
      expect(results.find((r) => r.hop === 'Kibana answers')!.detail).toMatch(/^Kibana \/api\/status answered 200 with something that is not JSON/);
      // A view this Kibana does not have is named by its id.
      expect(results.find((r) => r.hop === 'Kibana data views')!.detail).toBe('no data view monitoring-missing (404)');
      const { kibana: _none, ...withoutKibana } = world.endpoints;
      const hops = (await runVerify(withoutKibana, fast)).map((r) => r.hop);
      expect(hops.filter((h) => h.startsWith('Kibana'))).toEqual([]);
      expect(hops).toContain("trace's log lines (the link's query)");
    } finally {
      await world.close();
    }
  });

  it('the data views a config expects follow the profile (spans only with Jaeger on Elasticsearch)', () => {
    expect(expectedDataViews(config({ jaeger: { storage: 'memory' } }))).toEqual(['monitoring-logs', 'monitoring-k8s-events']);
    expect(expectedDataViews(config())).toEqual(['monitoring-logs', 'monitoring-k8s-events', 'monitoring-jaeger-spans']);
    expect(expectedDataViews(config({ profile: 'production', cluster: { mode: 'existing', kubeconfigPath: '/dev/null', context: 'x' }, sampleApp: { image: 'ghcr.io/a/b:1.0.0' } }))).toEqual(['monitoring-logs', 'monitoring-k8s-events', 'monitoring-jaeger-spans']);
  });

  it('without metrics storage (jaeger.storage memory) there is no Monitor tab hop', async () => {
    const world = await fakeWorld({ metrics: 'missing' });
    try {
      const results = await runVerify(world.endpoints, { ...fast, monitorTab: false });
      expect(results.map((r) => r.hop)).not.toContain(MONITOR_HOP);
      expect(results.every((r) => r.ok)).toBe(true);
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

describe('verify in the gateway layout (each replica exposes only what reached it)', () => {
  // The gateway layout adds one hop after the app: the replicas found and scraped.
  const gatewayHops = [SINGLE_LAYOUT_HOPS[0], ['collector gateway replicas', true], ...SINGLE_LAYOUT_HOPS.slice(1)];

  it('passes when every request reached one of 2 replicas, and reports both replicas scraped', async () => {
    const world = await fakeGatewayWorld({ replicas: 2, counters: 'one' });
    try {
      const results = await runVerify(world.endpoints, fast);
      expect(results.map((r) => [r.hop, r.ok])).toEqual(gatewayHops);
      expect(results[1].detail).toBe(`2 gateway replicas Running, each scraped: ${gatewayPod(0)}, ${gatewayPod(1)}`);
      expect(hopNamed(results, 'request and error counters rose').detail).toBe('orders +3, errors +1 (summed over 2 gateway replicas)');
      expect(hopNamed(results, 'node agents forwarded the spans').detail).toMatch(/^kind-control-plane: \+16 spans in, \+16 forwarded/);
      // kubelet stats come from the node agents, through the gateway replicas.
      expect(hopNamed(results, 'node and pod stats metrics').detail).toMatch(/^k8s_node_cpu_usage, k8s_pod_memory_usage_bytes/);
      expect(formatResults(results)).toMatch(/17 passed, 0 failed$/);
    } finally {
      await world.close();
    }
  });

  it('sums the counters when the requests are split over both replicas', async () => {
    const world = await fakeGatewayWorld({ replicas: 2, counters: 'split' });
    try {
      // Neither replica alone saw 3 orders and an error.
      for (const r of world.endpoints.prometheus.replicas) expect(sumOf(parsePrometheusText(await (await fetch(r.url)).text()), 'http_server_request_duration_seconds_count')).toBe(5);
      const results = await runVerify(world.endpoints, fast);
      expect(results.map((r) => [r.hop, r.ok])).toEqual(gatewayHops);
      expect(hopNamed(results, 'request and error counters rose').detail).toBe('orders +3, errors +1 (summed over 2 gateway replicas)');
    } finally {
      await world.close();
    }
  });

  it('fails, naming it, when the gateway has no Running replica', async () => {
    const world = await fakeGatewayWorld({ replicas: 0, counters: 'split' });
    try {
      const started = Date.now();
      const results = await runVerify(world.endpoints, fast);
      const failed = results.filter((r) => !r.ok);
      expect(failed.map((r) => r.hop)).toEqual(['collector gateway replicas', 'request and error counters rose', 'node agents forwarded the spans', 'node and pod stats metrics', 'nothing dropped (queues, retries, app buffers)']);
      expect(failed[0].detail).toBe(`no Running pod matches ${COLLECTOR_POD_SELECTOR} in namespace observability`);
      expect(failed[0].cause).toMatch(/^the collector gateway has no Running replica/);
      expect(failed[0].cause).toContain(`kubectl -n observability get pods -l ${COLLECTOR_POD_SELECTOR}`);
      expect(failed[1].cause).toMatch(/^no gateway replica to scrape: no Running pod matches/);
      expect(formatResults(results)).toContain('first failed hop: collector gateway replicas: the collector gateway has no Running replica');
      expect(Date.now() - started).toBeLessThan(fast.timeoutMs); // nothing to wait for
    } finally {
      await world.close();
    }
  });

  it('names the node agents when the kubelet stats are missing from the gateway replicas', async () => {
    const world = await fakeGatewayWorld({ replicas: 2, counters: 'one' }, { stats: 'missing' });
    try {
      const failed = (await runVerify(world.endpoints, fast)).filter((r) => !r.ok);
      expect(failed.map((r) => r.hop)).toEqual(['node and pod stats metrics']);
      expect(failed[0].cause).toMatch(/gateway replicas' Prometheus endpoint: check the node agents' RBAC.*logs daemonset\/otel-agent-agent/);
    } finally {
      await world.close();
    }
  });

  it('reports a replica that does not answer by its pod name', async () => {
    const world = await fakeGatewayWorld({ replicas: 2, counters: 'one' });
    try {
      const [first] = world.endpoints.prometheus.replicas;
      const endpoints = { ...world.endpoints, prometheus: { ...world.endpoints.prometheus, replicas: [first, { pod: 'otel-collector-gone', url: 'http://127.0.0.1:9/metrics' }] } };
      const counters = (await runVerify(endpoints, fast)).find((r) => r.hop === 'request and error counters rose')!;
      expect(counters.ok).toBe(false);
      expect(counters.detail).toMatch(/^pod otel-collector-gone: /);
    } finally {
      await world.close();
    }
  });
});

describe('access points (npm run open, verify)', () => {
  it('Kibana is the fifth, forwarded to the port of kibana.publicUrl; Jaeger to jaeger.publicUrl\'s', () => {
    const points = accessPoints(config({ kibana: { publicUrl: 'http://localhost:15601' }, jaeger: { publicUrl: 'http://127.0.0.1:26686' } }));
    expect(points.map((p) => [p.name, p.service, p.port, p.localPort])).toEqual([
      ['Elasticsearch', 'elasticsearch', 9200, 9200],
      ['Jaeger UI', 'jaeger-query', 16686, 26686],
      ['sample app', 'sample-app', 8080, 8080],
      ['Prometheus endpoint', 'otel-collector', 8889, 8889],
      ['Kibana', 'kibana-kb-http', 5601, 15601],
    ]);
    expect(accessPoints(config({ kibana: { enabled: false } })).map((p) => p.name)).not.toContain('Kibana');
  });

  it('an address that is not this machine (an ingress) keeps the Service port locally', () => {
    expect(localPortOf('https://kibana.example.com', 5601)).toBe(5601);
    expect(localPortOf('http://localhost:5601', 5601)).toBe(5601);
    expect(localPortOf('http://localhost', 5601)).toBe(80);
  });
});

describe('mergeSeries', () => {
  it('adds the same series across endpoints and keeps a series only one has once', () => {
    const a = parsePrometheusText('c{job="x",route="/a"} 2\nc{route="/b",job="x"} 1\nonly_a 7\n');
    const b = parsePrometheusText('c{route="/a",job="x"} 3\nc{job="x",route="/b",extra="1"} 4\n');
    expect(mergeSeries([a, b])).toEqual([
      { name: 'c', labels: { job: 'x', route: '/a' }, value: 5 },
      { name: 'c', labels: { route: '/b', job: 'x' }, value: 1 },
      { name: 'only_a', labels: {}, value: 7 },
      { name: 'c', labels: { job: 'x', route: '/b', extra: '1' }, value: 4 },
    ]);
    expect(a[0].value).toBe(2); // inputs untouched
  });
});

describe('verify reports what the pipeline dropped (bounded, visible loss)', () => {
  it('fails the delivery hop with the counts and which limit was hit when a queue refused data or an app dropped spans', async () => {
    const world = await fakeWorld({ delivery: 'lossy' });
    try {
      const results = await runVerify(world.endpoints, fast);
      const hop = results.find((r) => r.hop === 'nothing dropped (queues, retries, app buffers)')!;
      expect(hop.ok).toBe(false);
      expect(hop.detail).toMatch(/^17 items refused by a full sending queue \(otelcol_exporter_enqueue_failed_\*: collector\.queue limits hit.*; 5 spans dropped by the apps \(telemetry_spans_dropped/);
      expect(hop.cause).toMatch(/docs\/reliability\.md/);
      // Every other hop still passes: the loss is reported, not mistaken for a broken path.
      expect(results.filter((r) => !r.ok).map((r) => r.hop)).toEqual([hop.hop]);
    } finally {
      await world.close();
    }
  });

  it('sums every Fluentd pod: lines read from monitor_agent, 0 failed flushes and 0 records to @ERROR on a healthy deploy; replaced bytes and cut lines reported, not a loss', async () => {
    const world = await fakeWorld();
    try {
      const hop = (await runVerify(world.endpoints, fast)).find((r) => r.hop === 'log lines dropped / retried (Fluentd)')!;
      expect(hop).toMatchObject({
        ok: true,
        detail: '168 lines read, 128 records to Elasticsearch, 0 bytes buffered; failed flushes out_es 0, out_es_rejected 0; 0 records to @ERROR (0 kept in fluentd-rejected-*); 0 partial line(s) sent without their end; 4 line(s) with invalid UTF-8 replaced by U+FFFD, 8 JSON line(s) over the field budget kept whole in message (2 pods)',
      });
    } finally {
      await world.close();
    }
  });

  it("reads the real Fluentd's counts after the capture run: in_tail's emit_records as lines read, the refused record as a loss kept in the fallback family, the app_line counters as information", () => {
    const report = fluentdReport(parsePrometheusText(FLUENTD_METRICS_CAPTURED), linesRead(FLUENTD_MONITOR_CAPTURED), 'fluentd')!;
    expect(report.detail).toBe('84 lines read, 64 records to Elasticsearch, 0 bytes buffered; failed flushes out_es 0, out_es_rejected 0; 1 records to @ERROR (1 kept in fluentd-rejected-*); 1 partial line(s) sent without their end; 2 line(s) with invalid UTF-8 replaced by U+FFFD, 4 JSON line(s) over the field budget kept whole in message');
    // The line the engine refused is named, with where it is kept; the lines that landed (replaced, or whole in message) are not.
    expect(report.loss).toBe('1 records sent to the @ERROR label (fluentd_error_label_records_total): Elasticsearch rejected them (400) or a plugin refused them; 1 kept in fluentd-rejected-* with the whole record as one string in message (fluentd_output_status_emit_records{plugin_id="out_es_rejected"})');
    // No per-record counter any more: lines read are Fluentd's own count, whatever the metrics say.
    expect(FLUENTD_METRICS_CAPTURED).not.toContain('fluentd_input_status_num_records_total');
    expect(fluentdReport(parsePrometheusText(FLUENTD_METRICS_CAPTURED), linesRead(withEmitRecords(FLUENTD_MONITOR_CAPTURED, FLUENTD_PLUGIN_IDS.tail, 5000)), 'fluentd')!.detail).toMatch(/^5000 lines read, 64 records/);
    // monitor_agent of a config without our in_tail: named, not read as 0.
    expect(() => linesRead(FLUENTD_MONITOR_CAPTURED.replace(/"in_tail_container_logs"/, '"in_tail_other"'))).toThrow('monitor_agent lists no plugin in_tail_container_logs');
    expect(() => parseMonitorPlugins('<html>502</html>', 'http://x/api/plugins.json')).toThrow('http://x/api/plugins.json answered something that is not JSON');
    // The counts come from the series: 2 rejected and kept are named as 2.
    const rejected = withFluentdValues(FLUENTD_METRICS_CAPTURED, { fluentd_error_label_records_total: 2, 'fluentd_output_status_emit_records{plugin_id="out_es_rejected",type="elasticsearch"}': 2 });
    expect(fluentdReport(parsePrometheusText(rejected), 84, 'fluentd')!.loss).toMatch(/^2 records sent to the @ERROR label \(fluentd_error_label_records_total\).*; 2 kept in fluentd-rejected-\*/);
    // Without the refusal (a healthy pod's counts), nothing is named as lost.
    expect(fluentdReport(parsePrometheusText(FLUENTD_METRICS_HEALTHY), 84, 'fluentd')!.loss).toBeUndefined();
    // After an outage the counters stay (cumulative since the pod started): named, and said to be over.
    const recovered = withFluentdValues(FLUENTD_METRICS_HEALTHY, { 'fluentd_output_status_num_errors{plugin_id="out_es",type="elasticsearch"}': 3, 'fluentd_output_status_retry_count{plugin_id="out_es",type="elasticsearch"}': 3 });
    expect(fluentdReport(parsePrometheusText(recovered), 84, 'fluentd')!.loss).toBe('3 flushes of out_es failed since the pod started (fluentd_output_status_num_errors{plugin_id="out_es"} 3, fluentd_output_status_retry_count 3): retried and delivered since, nothing queued');
    // Before the output monitor's first report there is nothing to judge.
    expect(fluentdReport(parsePrometheusText(FLUENTD_METRICS_CAPTURED.split('\n').filter((l) => !l.includes('fluentd_output_status_')).join('\n')), 84, 'fluentd')).toBeUndefined();
  });

  it('names the pod whose monitor_agent does not list our in_tail (another config runs there)', async () => {
    const world = await fakeWorld({ fluentd: 'stray' });
    try {
      const hop = (await runVerify(world.endpoints, fast)).find((r) => r.hop === 'log lines dropped / retried (Fluentd)')!;
      expect(hop.ok).toBe(false);
      expect(hop.detail).toMatch(/^pod fluentd-(x7k2p|q9m4z): monitor_agent lists no plugin in_tail_container_logs \(is the deployed fluent\.conf this version's\?\)$/);
    } finally {
      await world.close();
    }
  });

  it('fails the Fluentd hop naming each counter that is not zero: retried flushes, records sent to @ERROR', async () => {
    const world = await fakeWorld({ fluentd: 'lossy' });
    try {
      const results = await runVerify(world.endpoints, fast);
      const hop = results.find((r) => r.hop === 'log lines dropped / retried (Fluentd)')!;
      expect(hop.ok).toBe(false);
      expect(hop.detail).toMatch(/^3 flushes of out_es failed since the pod started \(fluentd_output_status_num_errors\{plugin_id="out_es"\} 3, fluentd_output_status_retry_count 3\): still retrying, 2 chunks queued/);
      expect(hop.detail).toContain('2 records sent to the @ERROR label (fluentd_error_label_records_total): Elasticsearch rejected them (400) or a plugin refused them');
      expect(hop.detail).toContain('2 kept in fluentd-rejected-* with the whole record as one string in message');
      expect(hop.cause).toMatch(/docs\/logs-path\.md.*kubectl -n logging logs ds\/fluentd/);
      // The relabel outputs (plugin_id object:NNN) of the real text are not Elasticsearch outputs: not named.
      expect(hop.detail).not.toMatch(/object:/);
      expect(results.filter((r) => !r.ok).map((r) => r.hop)).toEqual([hop.hop]);
    } finally {
      await world.close();
    }
  });

  it('in the gateway layout sums the replicas and adds the cluster collector (events queue)', async () => {
    const world = await fakeGatewayWorld({ replicas: 2, counters: 'split' });
    try {
      const hop = (await runVerify(world.endpoints, fast)).find((r) => r.hop.startsWith('nothing dropped'))!;
      expect(hop).toMatchObject({ ok: true, detail: 'queues elasticsearch/events 3/200000, otlp/jaeger 6/400000; enqueue_failed 0, send_failed 0; app span buffers 0 held, 0 dropped; agents refused 4 spans back to the apps (resent)' });
    } finally {
      await world.close();
    }
  });
});
