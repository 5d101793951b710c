/**
 * Jaeger's metrics HTTP API (`/api/metrics/calls|errors|latencies`), which the UI's Monitor tab
 * reads: request rate, error rate and latency quantiles per service and per operation. Read as
 * Jaeger 2.13/2.19 define it (jaegerquery http_handler.go, query_parser.go
 * parseMetricsQueryParams): `service` (repeatable), `groupByOperation`, `endTs` (ms since the
 * epoch), `lookback`, `step`, `ratePer` (ms), `spanKind` (repeatable: server, client, …; default
 * server) and, for latencies, `quantile` (0–1). The answer is a MetricFamily in protobuf JSON
 * (gogo jsonpb): NaN points (no span in that step) come as the string "NaN".
 *
 * With the Elasticsearch/OpenSearch metric backend (internal/storage/metricstore/elasticsearch)
 * each point is computed from the span indices: server spans of the service counted per step
 * (a date histogram on startTimeMillis with a cumulative sum), a rate over the last
 * ceil(ratePer / step) steps, rounded to 0.01 per second; errors are the spans with `error: true`
 * divided by the calls at the same step; latencies a percentiles aggregation of `duration`, in ms.
 */

export type MetricKind = 'calls' | 'errors' | 'latencies';

/** What the UI's Monitor tab asks for (jaeger-ui v2.19.0 components/Monitor/ServicesView: step 1 min, rate per 10 min, server spans). */
export const MONITOR_TAB_QUERY = { stepMs: 60_000, ratePerMs: 600_000, spanKind: 'server', quantiles: [0.5, 0.75, 0.95] } as const;

export interface MetricsQuery {
  readonly service: string;
  /** One series per operation (label `operation`) instead of one for the service. */
  readonly groupByOperation: boolean;
  /** End of the window, ms since the epoch. */
  readonly endTs: number;
  readonly lookbackMs: number;
  readonly stepMs: number;
  /** The window each rate is taken over; Jaeger uses ceil(ratePer / step) steps. */
  readonly ratePerMs: number;
  /** @default server (Jaeger's default too) */
  readonly spanKind?: string;
  /** Latencies only, e.g. 0.95. */
  readonly quantile?: number;
}

export interface MetricPoint {
  /** ms since the epoch */
  readonly time: number;
  /** NaN where the step has no span. */
  readonly value: number;
}

export interface MetricSeries {
  /** `service_name`, and `operation` when grouped by operation. */
  readonly labels: Readonly<Record<string, string>>;
  readonly points: readonly MetricPoint[];
}

export interface MetricFamily {
  /** e.g. service_call_rate, service_operation_error_rate, service_operation_latencies */
  readonly name: string;
  readonly series: readonly MetricSeries[];
}

/** The API's URL for one query. */
export function metricsUrl(baseUrl: string, kind: MetricKind, q: MetricsQuery): string {
  if (kind === 'latencies' && (q.quantile === undefined || !(q.quantile > 0 && q.quantile < 1))) throw new Error(`latencies need a quantile between 0 and 1, got ${q.quantile}`);
  const params = new URLSearchParams({
    service: q.service,
    groupByOperation: String(q.groupByOperation),
    endTs: String(Math.round(q.endTs)),
    lookback: String(Math.round(q.lookbackMs)),
    step: String(Math.round(q.stepMs)),
    ratePer: String(Math.round(q.ratePerMs)),
    spanKind: q.spanKind ?? 'server',
    ...(kind === 'latencies' ? { quantile: String(q.quantile) } : {}),
  });
  return `${baseUrl}/api/metrics/${kind}?${params}`;
}

/** A non-2xx answer of the metrics API; 501 means Jaeger has no metrics storage (`jaeger_query.storage.metrics` unset). */
export class MetricsApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** A MetricFamily as the API answers it, checked field by field (an unexpected shape is an error naming the field). */
export function parseMetricFamily(body: unknown, what = 'metrics API'): MetricFamily {
  if (!isRecord(body) || typeof body.name !== 'string') throw new Error(`${what}: not a MetricFamily (no name)`);
  // gogo jsonpb omits an empty repeated field: no series at all comes without `metrics`.
  const metrics = body.metrics ?? [];
  if (!Array.isArray(metrics)) throw new Error(`${what}: metrics is not a list`);
  const series = metrics.map((m, i): MetricSeries => {
    if (!isRecord(m) || !Array.isArray(m.labels ?? []) || !Array.isArray(m.metricPoints ?? [])) throw new Error(`${what}: metrics[${i}] has no labels/metricPoints lists`);
    const labels: Record<string, string> = {};
    for (const l of (m.labels ?? []) as unknown[]) {
      if (!isRecord(l) || typeof l.name !== 'string' || typeof l.value !== 'string') throw new Error(`${what}: metrics[${i}] has a label that is not {name, value}`);
      labels[l.name] = l.value;
    }
    const points = ((m.metricPoints ?? []) as unknown[]).map((p, j): MetricPoint => {
      const raw = isRecord(p) && isRecord(p.gaugeValue) ? p.gaugeValue.doubleValue : undefined;
      const value = typeof raw === 'number' ? raw : raw === 'NaN' || raw === 'Infinity' || raw === '-Infinity' ? Number(raw) : undefined;
      const time = isRecord(p) && typeof p.timestamp === 'string' ? Date.parse(p.timestamp) : NaN;
      // jsonpb leaves out a zero double: a point with a gauge and no doubleValue is 0.
      const gauge = value ?? (isRecord(p) && isRecord(p.gaugeValue) && raw === undefined ? 0 : undefined);
      if (gauge === undefined || Number.isNaN(time)) throw new Error(`${what}: metrics[${i}].metricPoints[${j}] is not {gaugeValue: {doubleValue}, timestamp}`);
      return { time, value: gauge };
    });
    return { labels, points };
  });
  return { name: body.name, series };
}

/**
 * One query; throws MetricsApiError with Jaeger's message on a non-2xx answer. `onAnswer` sees
 * the answer as it came (the e2e records real answers for the tests' fakes with it).
 */
export async function getMetrics(baseUrl: string, kind: MetricKind, q: MetricsQuery, onAnswer?: (status: number, body: string) => void): Promise<MetricFamily> {
  const url = metricsUrl(baseUrl, kind, q);
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  onAnswer?.(res.status, text);
  if (!res.ok) {
    let msg = text.trim().slice(0, 200);
    try {
      msg = JSON.parse(text).errors?.[0]?.msg ?? msg;
    } catch {
      // not Jaeger's structured error: keep the text
    }
    throw new MetricsApiError(res.status, `Jaeger /api/metrics/${kind} answered ${res.status}: ${msg}`);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`Jaeger /api/metrics/${kind} answered something that is not JSON: ${text.slice(0, 80)}`);
  }
  return parseMetricFamily(body, `Jaeger /api/metrics/${kind}`);
}

/** The values of a series that are numbers (steps with spans). */
export const definedValues = (s: MetricSeries): number[] => s.points.map((p) => p.value).filter((v) => !Number.isNaN(v));

/** The highest defined value of a series (the peak the tab's chart shows), undefined when every step is empty. */
export function peak(s: MetricSeries | undefined): number | undefined {
  const values = s ? definedValues(s) : [];
  return values.length ? Math.max(...values) : undefined;
}

/** The series of an operation in a family grouped by operation. */
export function seriesOf(family: MetricFamily, operation: string): MetricSeries | undefined {
  return family.series.find((s) => s.labels.operation === operation);
}

/** The operations of a grouped family, sorted. */
export const operationsOf = (family: MetricFamily): string[] => family.series.map((s) => s.labels.operation).filter((o): o is string => !!o).sort();

/**
 * Calls in one rate window, from a rate: Jaeger divides the calls of the window by its length
 * (ceil(ratePer / step) steps) and rounds to 0.01/s, so the count is exact when that length is
 * at most 100 s (0.005/s of rounding is then less than half a call).
 */
export function callsInWindow(ratePerSecond: number, q: Pick<MetricsQuery, 'stepMs' | 'ratePerMs'>): number {
  return Math.round(ratePerSecond * rateWindowSeconds(q));
}

/** The window Jaeger's Elasticsearch metric reader divides by: ceil(ratePer / step) steps, at least one. */
export function rateWindowSeconds(q: Pick<MetricsQuery, 'stepMs' | 'ratePerMs'>): number {
  return (Math.max(1, Math.ceil(q.ratePerMs / q.stepMs)) * q.stepMs) / 1000;
}
