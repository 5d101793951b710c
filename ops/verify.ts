import { SAMPLE_APP_BACKEND_SERVICE, SAMPLE_APP_SERVICE } from '../constructs/app/names';
import { EVENTS_INDEX_PREFIX } from '../constructs/elasticsearch/names';
import { traceLogsQuery } from '../constructs/kibana/trace-logs-query';
import { FLUENTD_COUNTERS, FLUENTD_OUTPUTS, FLUENTD_PLUGIN_IDS } from '../constructs/fluentd/fluent-conf';
import { rejectedIndexPrefix } from '../constructs/fluentd/names';
import { AGENT_DAEMONSET, CLUSTER_COLLECTOR_SERVICE } from '../constructs/otel/names';
import { agentHop, AgentPods, agentRefusals, isAgentSeries } from './agent-hop';
import { ElasticsearchTarget, indices, search } from './elasticsearch-api';
import { getDependencies, getTrace, summarizeTrace } from './jaeger-api';
import { emitRecords, fetchMonitorPlugins } from './fluentd-monitor';
import { getDataView, KibanaTarget, kibanaStatus } from './kibana-api';
import { monitorHop } from './monitor-hop';
import { newTraceContext, pollUntil } from './poll';
import { mergeSeries, Sample, scrape, sumOf } from './prometheus-text';

/**
 * The collector's Prometheus endpoints in the gateway layout: each replica exposes only
 * the OTLP metrics that reached it, so every Running replica is scraped and the samples
 * are summed; kubelet/cluster stats are on the cluster collector.
 */
export interface GatewayMetrics {
  /** One /metrics URL per Running gateway pod (each through its own forward). Empty: no Running pod. */
  readonly replicas: readonly { readonly pod: string; readonly url: string }[];
  /** The cluster collector's /metrics (kubelet and cluster stats). */
  readonly stats: string;
  /** The label selector the replicas were listed with, for the hints. */
  readonly selector: string;
}

/** Fluentd's own endpoints on every Running pod of the DaemonSet (one per node), each through its own forwards. */
export interface FluentdMetrics {
  /** Empty: no Running pod. `url`: its Prometheus /metrics; `pluginsUrl`: its monitor_agent's /api/plugins.json. */
  readonly pods: readonly { readonly pod: string; readonly url: string; readonly pluginsUrl: string }[];
  /** The label selector the pods were listed with, for the hints. */
  readonly selector: string;
}

/** Where the verify run reaches each component (port-forwards or local fakes). */
export interface VerifyEndpoints {
  readonly app: string;
  readonly jaeger: string;
  /** The single collector's /metrics (through its Service), or the gateway's replicas. */
  readonly prometheus: string | GatewayMetrics;
  readonly elasticsearch: ElasticsearchTarget;
  /** Kibana (kibana.enabled): its status and data views are hops. @default - no Kibana hops */
  readonly kibana?: KibanaTarget;
  /** Fluentd's own metrics: the "log lines dropped / retried" hop. @default - no such hop */
  readonly fluentd?: FluentdMetrics;
  /** The Running node agents (ops/agent-hop.ts): their hop is checked. @default - no agent hop */
  readonly agents?: AgentPods;
}

export interface VerifyOptions {
  /** Bound on the whole polling phase. @default 180000 */
  readonly timeoutMs?: number;
  /** @default 1000 */
  readonly intervalMs?: number;
  /** @default fluentd */
  readonly indexPrefix?: string;
  /** @default k8s-events */
  readonly eventsIndexPrefix?: string;
  /** Namespaces named in the hints. */
  readonly namespaces?: { logging: string; collector: string; jaeger: string; app: string; kibana?: string };
  /** Ids of the data views Kibana must have (expectedDataViews). @default - none checked */
  readonly dataViews?: readonly string[];
  /** @default sample-app / sample-app-backend */
  readonly services?: { front: string; backend: string };
  /**
   * Jaeger reads RED metrics from its span storage (jaeger.storage `elasticsearch`): the Monitor
   * tab's hop is checked (ops/monitor-hop.ts). @default false
   */
  readonly monitorTab?: boolean;
}

export interface HopResult {
  readonly hop: string;
  readonly ok: boolean;
  readonly ms: number;
  readonly detail: string;
  /** Likely cause and where to look, for a failed hop. */
  readonly cause?: string;
}

interface Hop {
  name: string;
  cause: string;
  probe: () => Promise<string | undefined>;
  /** Known to fail without polling: the detail. */
  failNow?: string;
  /** After the probe answered: what makes the hop fail all the same (a loss it found). */
  problem?: () => string | undefined;
}

/** A counter as the collector's Prometheus exporter names it (re-exported self-scrape: with or without `_total`). */
function counter(samples: Sample[], name: string, match: Record<string, string> = {}): number {
  return sumOf(samples, `${name}_total`, match) + sumOf(samples, name, match);
}

/**
 * What the pipeline dropped, from the collectors' own metrics (self-scrape, job otel-collector)
 * and the apps' span buffers: queue fill per exporter, batches refused by a full queue
 * (enqueue_failed), batches given up (send_failed), spans an app dropped with its buffer full.
 * `loss` is set when any of them is not zero; undefined when the collector's metrics are absent.
 */
export function deliveryReport(all: Sample[]): { detail: string; loss?: string } | undefined {
  // The node agents answer the apps only after forwarding: what they fail to send or refuse goes
  // back to the apps, which resend it. Reported, not a loss (ops/agent-hop.ts).
  const samples = all.filter((s) => !isAgentSeries(s));
  const agentsRefused = all.some(isAgentSeries) ? `; agents refused ${agentRefusals(all)} spans back to the apps (resent)` : '';
  const capacities = samples.filter((s) => s.name === 'otelcol_exporter_queue_capacity');
  if (capacities.length === 0) return undefined;
  const exporters = [...new Set(capacities.map((s) => s.labels.exporter).filter(Boolean))].sort();
  const queues = exporters.map((exporter) => `${exporter} ${sumOf(samples, 'otelcol_exporter_queue_size', { exporter })}/${sumOf(samples, 'otelcol_exporter_queue_capacity', { exporter })}`);
  const kinds = ['spans', 'log_records', 'metric_points'];
  const enqueueFailed = kinds.reduce((n, k) => n + counter(samples, `otelcol_exporter_enqueue_failed_${k}`), 0);
  const sendFailed = kinds.reduce((n, k) => n + counter(samples, `otelcol_exporter_send_failed_${k}`), 0);
  const appDropped = counter(samples, 'telemetry_spans_dropped');
  const appBuffered = sumOf(samples, 'telemetry_spans_buffered');
  const detail = `queues ${queues.join(', ')}; enqueue_failed ${enqueueFailed}, send_failed ${sendFailed}; app span buffers ${appBuffered} held, ${appDropped} dropped${agentsRefused}`;
  const losses = [
    ...(enqueueFailed > 0 ? [`${enqueueFailed} items refused by a full sending queue (otelcol_exporter_enqueue_failed_*: collector.queue limits hit during a long backend outage)`] : []),
    ...(sendFailed > 0 ? [`${sendFailed} items given up (otelcol_exporter_send_failed_*: rejected by the backend, or the events exporter's retries ran out)`] : []),
    ...(appDropped > 0 ? [`${appDropped} spans dropped by the apps (telemetry_spans_dropped: buffer full, the collector unreachable too long)`] : []),
  ];
  return { detail, loss: losses.length ? losses.join('; ') : undefined };
}

/**
 * What the log path lost or is retrying, from Fluentd's own counts summed over the pods: the
 * container log lines in_tail read (`linesRead`: monitor_agent's `emit_records` of
 * FLUENTD_PLUGIN_IDS.tail), fluentd_output_status_* of fluent-plugin-prometheus's
 * prometheus_output_monitor (per output `plugin_id`) and the counters our fluent.conf and
 * plugins define. `loss` names each counter that is not zero: failed flushes being retried,
 * records sent to the @ERROR label (rejected by Elasticsearch: kept in the fallback family, but
 * not as written). Lines with invalid UTF-8 (replaced) and over the field budget (kept whole in
 * `message`) landed: reported, not a loss. Undefined until the output monitor has reported (every 10 s).
 */
export function fluentdReport(samples: Sample[], linesRead: number, indexPrefix: string): { detail: string; loss?: string } | undefined {
  const of = (name: string, plugin_id: string) => sumOf(samples, name, { plugin_id });
  if (!samples.some((s) => s.name === 'fluentd_output_status_num_errors' && s.labels.plugin_id === FLUENTD_OUTPUTS.logs)) return undefined;
  const total = (name: string) => counter(samples, name.replace(/_total$/, ''));
  const rejected = total(FLUENTD_COUNTERS.errorLabel);
  const partial = total(FLUENTD_COUNTERS.partialTimeouts);
  const sent = of('fluentd_output_status_emit_records', FLUENTD_OUTPUTS.logs);
  const kept = of('fluentd_output_status_emit_records', FLUENTD_OUTPUTS.rejected);
  const buffered = sumOf(samples, 'fluentd_output_status_buffer_total_bytes');
  const family = `${rejectedIndexPrefix(indexPrefix)}-*`;
  const retries = Object.values(FLUENTD_OUTPUTS).map((id) => ({
    id,
    errors: of('fluentd_output_status_num_errors', id),
    retries: of('fluentd_output_status_retry_count', id),
    queued: of('fluentd_output_status_buffer_queue_length', id),
    wait: of('fluentd_output_status_retry_wait', id),
  }));
  const landed = `${total(FLUENTD_COUNTERS.invalidUtf8)} line(s) with invalid UTF-8 replaced by U+FFFD, ${total(FLUENTD_COUNTERS.overBudget)} JSON line(s) over the field budget kept whole in message`;
  const detail = `${linesRead} lines read, ${sent} records to Elasticsearch, ${buffered} bytes buffered; failed flushes ${retries.map((r) => `${r.id} ${r.errors}`).join(', ')}; ${rejected} records to @ERROR (${kept} kept in ${family}); ${partial} partial line(s) sent without their end; ${landed}`;
  const losses = [
    ...retries
      .filter((r) => r.errors > 0 || r.retries > 0)
      // Cumulative since the pod started: the queue and the retry wait tell whether it is still retrying.
      .map(
        (r) =>
          `${r.errors} flushes of ${r.id} failed since the pod started (fluentd_output_status_num_errors{plugin_id="${r.id}"} ${r.errors}, fluentd_output_status_retry_count ${r.retries}): ${
            r.queued > 0 || r.wait > 0 ? `still retrying, ${r.queued} chunks queued (Elasticsearch unreachable or refusing the bulk requests)` : 'retried and delivered since, nothing queued'
          }`,
      ),
    ...(rejected > 0
      ? [`${rejected} records sent to the @ERROR label (${FLUENTD_COUNTERS.errorLabel}): Elasticsearch rejected them (400) or a plugin refused them; ${kept} kept in ${family} with the whole record as one string in message (fluentd_output_status_emit_records{plugin_id="${FLUENTD_OUTPUTS.rejected}"})`]
      : []),
  ];
  return { detail, loss: losses.length ? losses.join('; ') : undefined };
}

/** The container log lines every pod's in_tail read (monitor_agent), summed; a pod that does not answer is an error naming it. */
async function linesReadOnPods(pods: FluentdMetrics['pods']): Promise<number> {
  const counts = await Promise.all(
    pods.map(async (p) => {
      try {
        return emitRecords(await fetchMonitorPlugins(p.pluginsUrl), FLUENTD_PLUGIN_IDS.tail, 'monitor_agent');
      } catch (err) {
        throw new Error(`pod ${p.pod}: ${(err as Error).message}`);
      }
    }),
  );
  return counts.reduce((a, b) => a + b, 0);
}

/** Pods scraped together (gateway replicas, Fluentd's pods): series summed, a failing pod is an error naming it. */
async function scrapePods(pods: readonly { pod: string; url: string }[]): Promise<Sample[]> {
  const lists = await Promise.all(
    pods.map((p) =>
      scrape(p.url).catch((err: Error) => {
        throw new Error(`pod ${p.pod}: ${err.message}`);
      }),
    ),
  );
  return mergeSeries(lists);
}

/**
 * The example scenario as a check: normal and error requests with known trace ids, then
 * every hop polled until it shows them or the deadline passes.
 */
export async function runVerify(endpoints: VerifyEndpoints, options: VerifyOptions = {}): Promise<HopResult[]> {
  const timeoutMs = options.timeoutMs ?? 180_000;
  const intervalMs = options.intervalMs ?? 1000;
  const prefix = options.indexPrefix ?? 'fluentd';
  const eventsPrefix = options.eventsIndexPrefix ?? EVENTS_INDEX_PREFIX;
  const ns = options.namespaces ?? { logging: 'logging', collector: 'observability', jaeger: 'jaeger', app: 'sample-app' };
  const svc = options.services ?? { front: SAMPLE_APP_SERVICE, backend: SAMPLE_APP_BACKEND_SERVICE };
  const results: HopResult[] = [];
  const gateway = typeof endpoints.prometheus === 'string' ? undefined : endpoints.prometheus;
  // The app's counters: the one endpoint, or every gateway replica summed.
  const scrapeApp = gateway ? () => scrapePods(gateway.replicas) : () => scrape(endpoints.prometheus as string);
  const scrapeStats = () => scrape(gateway ? gateway.stats : (endpoints.prometheus as string));
  const replicaCount = gateway && `${gateway.replicas.length} gateway replica${gateway.replicas.length === 1 ? '' : 's'}`;
  const noReplica = gateway && gateway.replicas.length === 0 ? `no Running pod matches ${gateway.selector} in namespace ${ns.collector}` : undefined;

  // Requests first: the app must answer, or nothing else can be checked.
  const started = Date.now();
  let before: Sample[] = [];
  if (gateway) {
    // Per replica: one that does not answer now counts from zero (as the single endpoint does).
    before = mergeSeries(await Promise.all(gateway.replicas.map((r) => scrape(r.url).catch(() => []))));
  } else {
    try {
      before = await scrape(endpoints.prometheus as string);
    } catch {
      // checked as its own hop below
    }
  }
  const normal = newTraceContext();
  const failing = newTraceContext();
  try {
    for (let i = 0; i < 3; i++) {
      const ctx = i === 0 ? normal : newTraceContext();
      const res = await fetch(`${endpoints.app}/api/orders`, { method: 'POST', headers: { 'content-type': 'application/json', traceparent: ctx.traceparent }, body: '{"item":"verify","quantity":1}', signal: AbortSignal.timeout(10_000) });
      if (res.status !== 201) throw new Error(`POST /api/orders answered ${res.status}`);
    }
    const res = await fetch(`${endpoints.app}/api/error`, { headers: { traceparent: failing.traceparent }, signal: AbortSignal.timeout(10_000) });
    if (res.status !== 500) throw new Error(`GET /api/error answered ${res.status}, expected 500`);
    results.push({ hop: 'sample app answers', ok: true, ms: Date.now() - started, detail: `3 orders + 1 error sent (trace ${normal.traceId.slice(0, 8)}…, error trace ${failing.traceId.slice(0, 8)}…)` });
  } catch (err) {
    results.push({ hop: 'sample app answers', ok: false, ms: Date.now() - started, detail: (err as Error).message, cause: `is the sample app running? kubectl -n ${ns.app} get pods; kubectl -n ${ns.app} logs deploy/${svc.front}` });
    return results;
  }

  const es = endpoints.elasticsearch;
  // The query of the "Logs for this trace" link, plus a condition of the hop.
  const traceLines = (traceId: string, ...more: object[]) => {
    const { dsl } = traceLogsQuery({ traceId });
    return { bool: { filter: [...dsl.bool.filter, ...more] } };
  };
  const kibana = endpoints.kibana;
  const fluentd = endpoints.fluentd;
  const kibanaNs = ns.kibana ?? 'kibana';
  const hops: Hop[] = [
    ...(gateway
      ? [
          {
            name: 'collector gateway replicas',
            cause: `the collector gateway has no Running replica, so nothing receives the apps' OTLP: kubectl -n ${ns.collector} get pods -l ${gateway.selector}; kubectl -n ${ns.collector} describe statefulset/otel-collector`,
            failNow: noReplica,
            probe: async () => `${replicaCount} Running, each scraped: ${gateway.replicas.map((r) => r.pod).join(', ')}`,
          },
        ]
      : []),
    {
      name: `access log in ${prefix}-*`,
      cause: `no access log: is the Fluentd DaemonSet running? kubectl -n ${ns.logging} logs ds/fluentd`,
      probe: async () => {
        const hits = await search(es, `${prefix}-*`, traceLines(normal.traceId, { term: { type: 'access' } }));
        if (hits === undefined) throw new Error(`no ${prefix}-* index yet`);
        const hit = hits.find((h) => h._source.kubernetes?.pod_name && h._source.kubernetes?.namespace_name && h._source.kubernetes?.container_name);
        if (!hit && hits.length > 0) throw new Error('the access log line has no Kubernetes metadata (pod, namespace, container)');
        return hit && `${hit._index}: pod ${hit._source.kubernetes.pod_name}, namespace ${hit._source.kubernetes.namespace_name}, container ${hit._source.kubernetes.container_name}`;
      },
    },
    {
      name: `error log in ${prefix}-*`,
      cause: `the error log line did not arrive: stderr lines go through the same Fluentd pipeline; kubectl -n ${ns.logging} logs ds/fluentd`,
      probe: async () => {
        const hits = await search(es, `${prefix}-*`, traceLines(failing.traceId, { term: { level: 'error' } }));
        return hits?.length ? `${hits.length} error line(s) with trace ${failing.traceId.slice(0, 8)}…` : undefined;
      },
    },
    {
      name: "trace's log lines (the link's query)",
      cause: `the query of "Logs for this trace" finds none of the trace's lines in ${prefix}-*: is trace_id a keyword in the index template (kubectl -n ${ns.logging} logs ds/fluentd shows mapping errors)?`,
      probe: async () => {
        const { kql, dsl } = traceLogsQuery({ traceId: normal.traceId });
        const hits = await search(es, `${prefix}-*`, dsl, 100);
        if (!hits?.length) return undefined;
        const stray = hits.find((h) => h._source.trace_id !== normal.traceId);
        if (stray) throw new Error(`the query returned a line of another trace (${stray._source.trace_id}) from ${stray._index}`);
        return `${hits.length} line(s) for ${kql}`;
      },
    },
    {
      name: 'trace in Jaeger (both services)',
      cause: `no trace in Jaeger: is the collector exporting to Jaeger? kubectl -n ${ns.collector} logs statefulset/otel-collector; kubectl -n ${ns.jaeger} logs deploy/jaeger`,
      probe: async () => {
        const trace = await getTrace(endpoints.jaeger, normal.traceId);
        const s = trace && summarizeTrace(trace);
        return s && s.services.includes(svc.front) && s.services.includes(svc.backend) ? `${s.spanCount} spans from ${s.services.join(', ')}` : undefined;
      },
    },
    {
      name: 'error span in Jaeger',
      cause: 'the error trace has no span with error status: check the app sets span status ERROR on /api/error',
      probe: async () => {
        const trace = await getTrace(endpoints.jaeger, failing.traceId);
        const s = trace && summarizeTrace(trace);
        return s && s.errorSpans.length > 0 ? `error on ${s.errorSpans.map((x) => x.operation).join(', ')}` : undefined;
      },
    },
    {
      name: `dependency ${svc.front} → ${svc.backend}`,
      cause: `Jaeger shows no edge between the services: is BACKEND_URL set on ${svc.front}? kubectl -n ${ns.app} describe deploy/${svc.front}`,
      probe: async () => {
        const edge = (await getDependencies(endpoints.jaeger)).find((d) => d.parent === svc.front && d.child === svc.backend);
        return edge && `${edge.callCount} calls`;
      },
    },
    ...(options.monitorTab ? [monitorHop({ jaeger: endpoints.jaeger, service: svc.front, since: started, jaegerNamespace: ns.jaeger })] : []),
    {
      name: 'request and error counters rose',
      cause: gateway
        ? noReplica
          ? `no gateway replica to scrape: ${noReplica}`
          : `the collector gateway's Prometheus endpoints (${replicaCount}, summed) did not count the requests: kubectl -n ${ns.collector} logs statefulset/otel-collector`
        : `the collector's Prometheus endpoint did not count the requests: kubectl -n ${ns.collector} logs statefulset/otel-collector`,
      failNow: noReplica,
      probe: async () => {
        const after = await scrapeApp();
        const count = (s: Sample[], route: string) => sumOf(s, 'http_server_request_duration_seconds_count', { job: svc.front, http_route: route });
        const orders = count(after, '/api/orders') - count(before, '/api/orders');
        const errors = sumOf(after, 'app_errors_total', { job: svc.front }) - sumOf(before, 'app_errors_total', { job: svc.front });
        return orders >= 3 && errors >= 1 ? `orders +${orders}, errors +${errors}${gateway ? ` (summed over ${replicaCount})` : ''}` : undefined;
      },
    },
    // Where the agents' telemetry arrives: the single collector, or the gateway replicas.
    ...(endpoints.agents ? [noReplica ? { ...agentHop(endpoints.agents, scrapeApp, before, ns.collector), failNow: noReplica } : agentHop(endpoints.agents, scrapeApp, before, ns.collector)] : []),
    {
      name: 'node and pod stats metrics',
      // The node agents scrape their kubelets and forward the stats to the collector (gateway replicas).
      cause: `no kubelet stats on the ${gateway ? "gateway replicas' " : ''}Prometheus endpoint: check the node agents' RBAC for nodes/stats; kubectl -n ${ns.collector} logs daemonset/${AGENT_DAEMONSET}`,
      failNow: noReplica,
      probe: async () => {
        const names = new Set((await scrapeApp()).map((s) => s.name));
        const node = [...names].find((n) => n.startsWith('k8s_node_'));
        const pod = [...names].find((n) => n.startsWith('k8s_pod_'));
        return node && pod ? `${node}, ${pod}, …` : undefined;
      },
    },
    (() => {
      let loss: string | undefined;
      return {
        name: 'nothing dropped (queues, retries, app buffers)',
        cause: `telemetry was lost since the pods started: see the detail; queue limits are collector.queue (docs/reliability.md); kubectl -n ${ns.collector} logs statefulset/otel-collector`,
        failNow: noReplica,
        probe: async () => {
          // The gateway replicas (traces, app metrics) and, in the gateway layout, the cluster collector (events).
          const samples = gateway ? [...(await scrapeApp()), ...(await scrapeStats())] : await scrapeApp();
          const report = deliveryReport(samples);
          loss = report?.loss;
          return report?.detail;
        },
        problem: () => loss,
      };
    })(),
    ...(fluentd
      ? [
          (() => {
            let loss: string | undefined;
            const noPod = fluentd.pods.length === 0 ? `no Running pod matches ${fluentd.selector} in namespace ${ns.logging}` : undefined;
            return {
              name: 'log lines dropped / retried (Fluentd)',
              cause: noPod
                ? `Fluentd is not running, so no container log is shipped: kubectl -n ${ns.logging} get pods -l ${fluentd.selector}; kubectl -n ${ns.logging} describe ds/fluentd`
                : `the log path is retrying or rerouting lines (see the detail; docs/logs-path.md); the reasons are in kubectl -n ${ns.logging} logs ds/fluentd (400 reasons: "send an error event to @ERROR")`,
              failNow: noPod,
              probe: async () => {
                const [samples, linesRead] = await Promise.all([scrapePods(fluentd.pods), linesReadOnPods(fluentd.pods)]);
                const report = fluentdReport(samples, linesRead, prefix);
                loss = report?.loss;
                return report && `${report.detail} (${fluentd.pods.length} pod${fluentd.pods.length === 1 ? '' : 's'})`;
              },
              problem: () => loss,
            };
          })(),
        ]
      : []),
    {
      name: `Kubernetes events in ${eventsPrefix}-*`,
      cause: `no events in Elasticsearch: check the collector's elasticsearch/events exporter; kubectl -n ${ns.collector} logs statefulset/${gateway ? CLUSTER_COLLECTOR_SERVICE : 'otel-collector'}`,
      probe: async () => {
        const found = await indices(es, `${eventsPrefix}-*`);
        if (found.length === 0) return undefined;
        const hits = await search(es, `${eventsPrefix}-*`, { match_all: {} }, 1);
        return hits?.length ? `${found.length} index(es), e.g. ${found[0]}` : undefined;
      },
    },
    ...(kibana
      ? [
          {
            name: 'Kibana answers',
            cause: `Kibana is not available: kubectl -n ${kibanaNs} get kibana,pods; kubectl -n ${kibanaNs} logs -l common.k8s.elastic.co/type=kibana`,
            probe: async () => {
              const s = await kibanaStatus(kibana);
              if (s.level !== 'available') throw new Error(`status ${s.level}${s.summary ? `: ${s.summary}` : ''}`);
              return `Kibana ${s.version ?? '?'} ${s.level}`;
            },
          },
          {
            name: 'Kibana data views',
            cause: `a data view is missing: the Job that creates them runs after Kibana answers; kubectl -n ${kibanaNs} get jobs; kubectl -n ${kibanaNs} logs job/<name>`,
            probe: async () => {
              const wanted = options.dataViews ?? [];
              const found = await Promise.all(wanted.map((id) => getDataView(kibana, id)));
              const missing = wanted.filter((_, i) => !found[i]);
              if (missing.length) throw new Error(`no data view ${missing.join(', ')} (404)`);
              return found.map((v) => `${v!.id} (${v!.title})`).join(', ') || 'none expected';
            },
          },
        ]
      : []),
  ];

  const deadline = started + timeoutMs;
  for (const hop of hops) {
    if (hop.failNow !== undefined) {
      results.push({ hop: hop.name, ok: false, ms: 0, detail: hop.failNow, cause: hop.cause });
      continue;
    }
    const t0 = Date.now();
    const r = await pollUntil(hop.probe, { timeoutMs: Math.max(0, deadline - Date.now()), intervalMs });
    const ms = Date.now() - started;
    const problem = r.value ? hop.problem?.() : undefined;
    if (r.value && problem) results.push({ hop: hop.name, ok: false, ms, detail: `${problem} (${r.value})`, cause: hop.cause });
    else if (r.value) results.push({ hop: hop.name, ok: true, ms, detail: r.value });
    else results.push({ hop: hop.name, ok: false, ms: Date.now() - t0, detail: r.lastError ?? 'not seen before the deadline', cause: hop.cause });
  }
  return results;
}

/** The table `npm run verify` prints. */
export function formatResults(results: HopResult[]): string {
  const lines = results.map((r) => `${r.ok ? 'ok    ' : 'FAILED'}  ${r.hop.padEnd(40)} ${String(r.ms).padStart(7)} ms  ${r.detail}`);
  const failed = results.find((r) => !r.ok);
  lines.push('');
  lines.push(failed ? `first failed hop: ${failed.hop}: ${failed.cause}` : 'every hop of the example scenario is working');
  lines.push(`${results.filter((r) => r.ok).length} passed, ${results.filter((r) => !r.ok).length} failed`);
  return lines.join('\n');
}
