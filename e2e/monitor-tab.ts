/**
 * e2e steps of the Monitor tab (Jaeger's Service Performance Monitoring), on the real Jaeger with
 * its metric backend on the real OpenSearch (e2e/run.ts step 15):
 * (a) a Jaeger without metrics storage (the in-memory one of step 2) answers the metrics API 501,
 *     the answer `npm run verify` names;
 * (b) a known mix of requests (orders, errors, slow calls) goes through the app, agent and
 *     collector into the Jaeger on OpenSearch; its metrics API must count exactly that mix per
 *     operation (calls, error rates) and order the latency quantiles as the mix's durations do;
 * (c) the tab's "View traces" link for an operation, searched as the UI does, returns exactly the
 *     traces of that operation.
 * The answers can be recorded (E2E_RECORD_METRICS=<dir>) as the tests' fixture of the real API.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SAMPLE_APP_BACKEND_SERVICE, SAMPLE_APP_OPERATIONS, SAMPLE_APP_SERVICE } from '../constructs/app/names';
import { callsInWindow, definedValues, getMetrics, MetricFamily, MetricKind, MetricsApiError, MetricsQuery, MONITOR_TAB_QUERY, operationsOf, peak, rateWindowSeconds, seriesOf } from '../ops/jaeger-metrics';
import { JaegerTrace } from '../ops/jaeger-api';
import { VERIFY_METRICS_QUERY } from '../ops/monitor-hop';
import { fetchJson, pollUntil } from '../ops/poll';
import type { StepFn } from './trace-logs';

/** The requests of the check, sent in this order (errors last: see checkMix). */
export interface TrafficMix {
  readonly orders: number;
  readonly slow: number;
  /** Latency the slow calls ask for (`GET /api/slow?ms=`). */
  readonly slowMs: number;
  readonly errors: number;
}
export const MONITOR_MIX: TrafficMix = { orders: 6, slow: 2, slowMs: 400, errors: 3 };

/** One query of the check: a file of the recorded fixture. */
export interface MixQuery {
  readonly file: string;
  readonly service: string;
  readonly kind: MetricKind;
  readonly groupByOperation: boolean;
  readonly quantile?: number;
}

/** Every query of the check: what the tab asks for the front (by operation), its service totals, the backend's operations. */
export const MIX_QUERIES = {
  calls: { file: 'sample-app.calls.by-operation.json', service: SAMPLE_APP_SERVICE, kind: 'calls', groupByOperation: true },
  errors: { file: 'sample-app.errors.by-operation.json', service: SAMPLE_APP_SERVICE, kind: 'errors', groupByOperation: true },
  p50: { file: 'sample-app.latencies-0.5.by-operation.json', service: SAMPLE_APP_SERVICE, kind: 'latencies', groupByOperation: true, quantile: 0.5 },
  p75: { file: 'sample-app.latencies-0.75.by-operation.json', service: SAMPLE_APP_SERVICE, kind: 'latencies', groupByOperation: true, quantile: 0.75 },
  p95: { file: 'sample-app.latencies-0.95.by-operation.json', service: SAMPLE_APP_SERVICE, kind: 'latencies', groupByOperation: true, quantile: 0.95 },
  serviceCalls: { file: 'sample-app.calls.json', service: SAMPLE_APP_SERVICE, kind: 'calls', groupByOperation: false },
  serviceErrors: { file: 'sample-app.errors.json', service: SAMPLE_APP_SERVICE, kind: 'errors', groupByOperation: false },
  backendCalls: { file: 'sample-app-backend.calls.by-operation.json', service: SAMPLE_APP_BACKEND_SERVICE, kind: 'calls', groupByOperation: true },
} as const satisfies Record<string, MixQuery>;
export type MixFamilies = { [K in keyof typeof MIX_QUERIES]: MetricFamily };

/** The check's step and rate window: verify's (one call = 0.02/s, so counts come back exact). */
export const MIX_METRICS_QUERY = VERIFY_METRICS_QUERY;

/** Steps the mix may spread over and still be counted whole by one rate point (see checkMix). */
export function countableSpanMs(q: Pick<MetricsQuery, 'stepMs' | 'ratePerMs'>): number {
  return (Math.max(1, Math.ceil(q.ratePerMs / q.stepMs)) - 1) * q.stepMs;
}

const same = (a: number, b: number) => Math.abs(a - b) < 1e-9;

/**
 * What the metrics say against the mix sent; [] when they match. Jaeger's reader (Elasticsearch/
 * OpenSearch metric backend, processor.go) gives a rate at each step that has spans: the calls
 * of the last ceil(ratePer/step) steps over that window, rounded to 0.01/s, counting from zero
 * when the window starts before the first span. So when the whole mix falls within
 * countableSpanMs, the peak of each series is the whole count over the window, and with a
 * window of at most 100 s the count comes back exact. The error rate at a step is errors over
 * calls at that step: with the errors sent last, its peak is errors / all calls.
 */
export function checkMix(f: MixFamilies, mix: TrafficMix, q: Pick<MetricsQuery, 'stepMs' | 'ratePerMs'>): string[] {
  const problems: string[] = [];
  const ops = SAMPLE_APP_OPERATIONS;
  const total = mix.orders + mix.errors + mix.slow;
  const count = (family: MetricFamily, op?: string) => {
    const p = peak(op ? seriesOf(family, op) : family.series[0]);
    return p === undefined ? undefined : callsInWindow(p, q);
  };
  const expectCalls = (what: string, got: number | undefined, want: number) => {
    if (got !== want) problems.push(`${what}: ${got ?? 'no'} calls counted, ${want} sent`);
  };
  const frontOps = operationsOf(f.calls);
  const wantedOps = [ops.orders, ops.error, ops.slow].sort();
  if (JSON.stringify(frontOps) !== JSON.stringify(wantedOps)) problems.push(`${SAMPLE_APP_SERVICE}'s operations are ${frontOps.join(', ') || 'none'}, expected ${wantedOps.join(', ')}`);
  expectCalls(ops.orders, count(f.calls, ops.orders), mix.orders);
  expectCalls(ops.error, count(f.calls, ops.error), mix.errors);
  expectCalls(ops.slow, count(f.calls, ops.slow), mix.slow);
  expectCalls(`${SAMPLE_APP_SERVICE} (all operations)`, count(f.serviceCalls), total);
  expectCalls(`${SAMPLE_APP_BACKEND_SERVICE} ${ops.reserve}`, count(f.backendCalls, ops.reserve), mix.orders);

  const errorValues = definedValues(seriesOf(f.errors, ops.error) ?? { labels: {}, points: [] });
  if (errorValues.length === 0 || errorValues.some((v) => v !== 1)) problems.push(`${ops.error}: error rate ${errorValues.join(', ') || 'none'}, expected 1 at every step (every call fails)`);
  for (const op of [ops.orders, ops.slow]) {
    const values = definedValues(seriesOf(f.errors, op) ?? { labels: {}, points: [] });
    if (values.length === 0 || values.some((v) => v !== 0)) problems.push(`${op}: error rate ${values.join(', ') || 'none'}, expected 0`);
  }
  const serviceErrorRate = peak(f.serviceErrors.series[0]);
  if (serviceErrorRate === undefined || !same(serviceErrorRate, mix.errors / total)) problems.push(`${SAMPLE_APP_SERVICE} error rate ${serviceErrorRate ?? 'none'}, expected ${mix.errors}/${total} = ${(mix.errors / total).toFixed(4)}`);

  const quantiles = [f.p50, f.p75, f.p95];
  for (const op of [ops.orders, ops.error, ops.slow]) {
    const q3 = quantiles.map((family) => peak(seriesOf(family, op)));
    if (q3.some((x) => x === undefined)) problems.push(`${op}: P50/P75/P95 ${q3.join('/')}: a quantile is missing`);
    else if (!(q3[0]! <= q3[1]! && q3[1]! <= q3[2]!)) problems.push(`${op}: P50/P75/P95 ${q3.join('/')} ms are not in order`);
  }
  const slowP50 = peak(seriesOf(f.p50, ops.slow));
  if (slowP50 !== undefined && slowP50 < mix.slowMs) problems.push(`${ops.slow}: P50 ${slowP50} ms, but each call waited ${mix.slowMs} ms`);
  const ordersP95 = peak(seriesOf(f.p95, ops.orders));
  if (ordersP95 !== undefined && ordersP95 >= mix.slowMs) problems.push(`${ops.orders}: P95 ${ordersP95} ms, not below the slow calls' ${mix.slowMs} ms`);
  return problems;
}

/** One line of what the tab shows for the mix. */
export function mixSummary(f: MixFamilies, q: Pick<MetricsQuery, 'stepMs' | 'ratePerMs'>): string {
  const ops = SAMPLE_APP_OPERATIONS;
  const line = (op: string) =>
    `${op} ${peak(seriesOf(f.calls, op))}/s (${callsInWindow(peak(seriesOf(f.calls, op)) ?? 0, q)} calls), errors ${peak(seriesOf(f.errors, op))}, P50/P75/P95 ${[f.p50, f.p75, f.p95].map((x) => peak(seriesOf(x, op))).join('/')} ms`;
  return `${[ops.orders, ops.error, ops.slow].map(line).join('; ')}; service error rate ${peak(f.serviceErrors.series[0])?.toFixed(4)}; backend ${ops.reserve} ${callsInWindow(peak(seriesOf(f.backendCalls, ops.reserve)) ?? 0, q)} calls`;
}

/**
 * The "View traces" link of an operation in the tab's table, as jaeger-ui v2.19.0 builds it
 * (components/Monitor/ServicesView/operationDetailsTable: end and start in µs, lookback in hours
 * of the selected timeframe, empty min/maxDuration).
 */
export function viewTracesLink(jaegerUi: string, service: string, operation: string, endTimeMs: number, lookbackMs: number): string {
  return `${jaegerUi}/search?end=${endTimeMs}000&limit=20&lookback=${lookbackMs / (3600 * 1000)}h&maxDuration&minDuration&operation=${encodeURIComponent(operation)}&service=${service}&start=${endTimeMs - lookbackMs}000`;
}

/**
 * The trace search that link opens, against Jaeger's /api/traces: the UI bundled with the e2e's
 * Jaeger (jaeger-ui v1.76) sends the search page's URL query as it is; jaeger-ui v2.19.0 sends the
 * same service, operation, start/end and limit to /api/v3/trace-summaries, which that build has
 * not. Both search the same storage the same way.
 */
export function traceSearchOfLink(link: string, jaegerApi: string): string {
  const query = new URL(link).searchParams;
  const api = new URLSearchParams();
  for (const key of ['service', 'operation', 'start', 'end', 'limit', 'minDuration', 'maxDuration']) {
    const value = query.get(key);
    if (value) api.set(key, value);
  }
  return `${jaegerApi}/api/traces?${api}`;
}

export interface MonitorTabContext {
  /** The Jaeger on OpenSearch with the rendered metric backend. */
  readonly api: string;
  /** A Jaeger without metrics storage (in memory). */
  readonly memoryApi: string;
  readonly order: () => Promise<string>;
  readonly failing: () => Promise<string>;
  readonly slow: (ms: number) => Promise<string>;
  readonly step: StepFn;
  readonly waitMs: number;
  /** Directory to record the API's answers into (the tests' fixture). */
  readonly record?: string;
}

const traceIds = (body: { data?: JaegerTrace[] }) => (body.data ?? []).map((t) => t.traceID).sort();

export async function monitorTabOnSearchEngine(ctx: MonitorTabContext, mix: TrafficMix = MONITOR_MIX): Promise<void> {
  // Each answer byte for byte as Jaeger sent it (the status is in the file name's family: .json 200, .txt not).
  const record = (file: string, _status: number, body: string) => {
    if (!ctx.record) return;
    mkdirSync(ctx.record, { recursive: true });
    writeFileSync(join(ctx.record, file), body);
  };
  const q = (m: MixQuery, endTs: number, lookbackMs: number): MetricsQuery => ({
    service: m.service,
    groupByOperation: m.groupByOperation,
    endTs,
    lookbackMs,
    ...MIX_METRICS_QUERY,
    spanKind: MONITOR_TAB_QUERY.spanKind,
    quantile: m.quantile,
  });
  const families = async (endTs: number, lookbackMs: number, prefix = '') =>
    Object.fromEntries(
      await Promise.all(Object.entries(MIX_QUERIES).map(async ([key, m]) => [key, await getMetrics(ctx.api, m.kind, q(m, endTs, lookbackMs), (status, body) => record(`${prefix}${m.file}`, status, body))])),
    ) as MixFamilies;

  // (a) No metrics storage, no metrics: the in-memory Jaeger answers 501.
  const t0 = Date.now();
  const memoryAnswer = await getMetrics(ctx.memoryApi, 'calls', q(MIX_QUERIES.calls, t0, 60_000), (status, body) => record('disabled.calls.txt', status, body)).then(
    () => 'an answer',
    (err: Error) => err,
  );
  ctx.step(
    'no Monitor tab without metrics storage',
    memoryAnswer instanceof MetricsApiError && memoryAnswer.status === 501,
    memoryAnswer instanceof Error ? `in-memory Jaeger: ${memoryAnswer.message}` : `the in-memory Jaeger answered the metrics API with ${memoryAnswer}, expected 501`,
    Date.now() - t0,
  );

  // Before the mix: what the tab shows for a service with no span in the window (recorded only).
  if (ctx.record) await families(t0 - 1000, 60_000, 'before.');

  // (b) The mix, errors last, each request with its own trace.
  const sent = { orders: [] as string[], slow: [] as string[], errors: [] as string[] };
  const s0 = Date.now();
  for (let i = 0; i < mix.orders; i++) sent.orders.push(await ctx.order());
  for (let i = 0; i < mix.slow; i++) sent.slow.push(await ctx.slow(mix.slowMs));
  for (let i = 0; i < mix.errors; i++) sent.errors.push(await ctx.failing());
  const spanMs = Date.now() - s0;
  if (spanMs >= countableSpanMs(MIX_METRICS_QUERY)) {
    return ctx.step('Monitor tab metrics = the mix sent', false, `sending the mix took ${spanMs} ms: over ${countableSpanMs(MIX_METRICS_QUERY)} ms one rate point no longer holds it all`);
  }
  const all = [...sent.orders, ...sent.slow, ...sent.errors];
  const stored = await pollUntil(async () => {
    for (const id of all) if (!(await fetchJson<{ data?: JaegerTrace[] }>(`${ctx.api}/api/traces/${id}`).catch(() => undefined))?.data?.length) return undefined;
    return true;
  }, { timeoutMs: ctx.waitMs });
  if (!stored.value) return ctx.step('Monitor tab metrics = the mix sent', false, `not every trace of the mix reached the Jaeger on OpenSearch: ${stored.lastError ?? 'timeout'}`);

  const m0 = Date.now();
  let last: string[] = ['the metrics API gave no answer'];
  const matched = await pollUntil(async () => {
    const endTs = Date.now();
    let f: MixFamilies;
    try {
      f = await families(endTs, endTs - s0 + 2 * MIX_METRICS_QUERY.stepMs);
    } catch (err) {
      // No metrics storage: nothing to wait for.
      if (err instanceof MetricsApiError && err.status === 501) return { disabled: err.message };
      throw err;
    }
    last = checkMix(f, mix, MIX_METRICS_QUERY);
    return last.length === 0 ? { families: f } : undefined;
  }, { timeoutMs: ctx.waitMs, intervalMs: 1000 });
  const f = matched.value && 'families' in matched.value ? matched.value.families : undefined;
  ctx.step(
    'Monitor tab metrics = the mix sent',
    !!f,
    f
      ? `${mix.orders} orders, ${mix.slow} × ${mix.slowMs} ms, ${mix.errors} errors sent within ${spanMs} ms → ${mixSummary(f, MIX_METRICS_QUERY)} (steps of ${MIX_METRICS_QUERY.stepMs / 1000} s, rates over ${rateWindowSeconds(MIX_METRICS_QUERY)} s)`
      : matched.value && 'disabled' in matched.value
        ? `the Jaeger on OpenSearch has no metrics storage (jaeger_query.storage.metrics): ${matched.value.disabled}`
        : `${last.join('; ')}${matched.lastError ? ` (last error: ${matched.lastError})` : ''}`,
    Date.now() - m0,
  );
  if (ctx.record && f) {
    writeFileSync(join(ctx.record, 'mix.json'), `${JSON.stringify({ mix, query: MIX_METRICS_QUERY, spanKind: MONITOR_TAB_QUERY.spanKind, operations: SAMPLE_APP_OPERATIONS }, null, 2)}\n`);
  }

  // (c) From the tab to the traces: the "View traces" link of each operation, at the tab's default timeframe (1 h).
  const l0 = Date.now();
  const problems: string[] = [];
  const endTime = Date.now();
  for (const [op, ids] of [[SAMPLE_APP_OPERATIONS.error, sent.errors], [SAMPLE_APP_OPERATIONS.orders, sent.orders], [SAMPLE_APP_OPERATIONS.slow, sent.slow]] as const) {
    const link = viewTracesLink('http://jaeger.ui', SAMPLE_APP_SERVICE, op, endTime, 3_600_000);
    const found = traceIds(await fetchJson<{ data?: JaegerTrace[] }>(traceSearchOfLink(link, ctx.api)));
    if (JSON.stringify(found) !== JSON.stringify([...ids].sort())) problems.push(`${op}: the link's search returned ${found.length} traces (${found.map((x) => x.slice(0, 8)).join(', ')}), expected exactly the ${ids.length} sent`);
  }
  ctx.step(
    'the tab\'s "View traces" link finds those traces',
    problems.length === 0,
    problems.length ? problems.join('; ') : `for ${SAMPLE_APP_OPERATIONS.error}, ${SAMPLE_APP_OPERATIONS.orders} and ${SAMPLE_APP_OPERATIONS.slow}: exactly the ${mix.errors}, ${mix.orders} and ${mix.slow} traces sent (search of ${viewTracesLink('', SAMPLE_APP_SERVICE, SAMPLE_APP_OPERATIONS.error, endTime, 3_600_000).replace(/\d{13}000/g, '<µs>')})`,
    Date.now() - l0,
  );
}
