import { SAMPLE_APP_OPERATIONS } from '../constructs/app/names';
import { getMetrics, MetricFamily, MetricsApiError, MetricsQuery, MONITOR_TAB_QUERY, operationsOf, peak, rateWindowSeconds, seriesOf } from './jaeger-metrics';

/**
 * The Monitor tab's hop of `npm run verify`: after its orders and its `/api/error` calls, Jaeger's
 * metrics API shows the front's operations as the tab reads them (server spans, grouped by
 * operation): a call rate for the orders and for the error endpoint, the error endpoint's error
 * rate, and the P50/P75/P95 latencies of the orders. Polled until then; the first missing piece
 * is named.
 *
 * Its step and rate window are finer than the tab's (1 min steps, rates over 10 min): Jaeger
 * rounds each rate to 0.01/s, so in the tab an operation called fewer than 3 times in 10 minutes
 * shows a rate (and error rate) of 0. Over 50 s, one call is 0.02/s.
 */
export const VERIFY_METRICS_QUERY = { stepMs: 5_000, ratePerMs: 50_000 } as const;

export interface MonitorHopOptions {
  readonly jaeger: string;
  /** The front's service name. */
  readonly service: string;
  /** When verify sent its requests (the lookback starts a step before). */
  readonly since: number;
  readonly jaegerNamespace: string;
  /** @default SAMPLE_APP_OPERATIONS */
  readonly operations?: { readonly orders: string; readonly error: string };
  /** @default Date.now */
  readonly now?: () => number;
}

const pct = (x: number) => `${Math.round(x * 100)}%`;

/** A hop of runVerify (ops/verify.ts): its cause follows the piece that is missing. */
export function monitorHop(options: MonitorHopOptions) {
  const ops = options.operations ?? SAMPLE_APP_OPERATIONS;
  const now = options.now ?? Date.now;
  const logs = `kubectl -n ${options.jaegerNamespace} logs deploy/jaeger`;
  let cause = `the metrics did not show the requests: ${logs}`;
  const missing = (piece: string, why: string): never => {
    cause = why;
    throw new Error(piece);
  };
  return {
    name: 'Monitor tab: rate, errors, latency',
    get cause() {
      return cause;
    },
    probe: async () => {
      const endTs = now();
      const q: MetricsQuery = { service: options.service, groupByOperation: true, endTs, lookbackMs: endTs - options.since + 2 * VERIFY_METRICS_QUERY.stepMs, ...VERIFY_METRICS_QUERY, spanKind: MONITOR_TAB_QUERY.spanKind };
      let calls: MetricFamily, errors: MetricFamily, latencies: MetricFamily[];
      try {
        [calls, errors, ...latencies] = await Promise.all([
          getMetrics(options.jaeger, 'calls', q),
          getMetrics(options.jaeger, 'errors', q),
          ...MONITOR_TAB_QUERY.quantiles.map((quantile) => getMetrics(options.jaeger, 'latencies', { ...q, quantile })),
        ]);
      } catch (err) {
        const e = err as Error;
        if (e instanceof MetricsApiError && e.status === 501) {
          return missing(e.message, `Jaeger has no metrics storage (jaeger_query.storage.metrics), so the Monitor tab is empty: it needs jaeger.storage "elasticsearch"; ${logs}`);
        }
        return missing(e.message, `Jaeger's metrics API failed: it aggregates the span indices in Elasticsearch on each query; ${logs}`);
      }
      const window = `${rateWindowSeconds(q)} s`;
      for (const op of [ops.orders, ops.error]) {
        if (!((peak(seriesOf(calls, op)) ?? 0) > 0)) {
          missing(
            `no call rate for ${op} over ${window} (operations with calls: ${operationsOf(calls).join(', ') || 'none'})`,
            `the server spans of ${options.service} are not in Elasticsearch yet, or not as server spans: is the trace hop green? ${logs}`,
          );
        }
      }
      const errorRate = peak(seriesOf(errors, ops.error)) ?? 0;
      if (!(errorRate > 0)) missing(`error rate of ${ops.error} is 0`, `the server span of ${ops.error} does not carry the error status that Jaeger stores as error: true; is the error-span hop green?`);
      const quantiles = latencies.map((family) => peak(seriesOf(family, ops.orders)));
      const absent = MONITOR_TAB_QUERY.quantiles.filter((_, i) => quantiles[i] === undefined);
      if (absent.length) missing(`no P${absent.map((x) => x * 100).join('/P')} latency for ${ops.orders}`, `Jaeger returned no latency percentiles for ${ops.orders}: ${logs}`);
      const ordersErrors = peak(seriesOf(errors, ops.orders)) ?? 0;
      return (
        `${ops.orders} ${peak(seriesOf(calls, ops.orders))} req/s, ${pct(ordersErrors)} errors, P50/P75/P95 ${quantiles.join('/')} ms; ` +
        `${ops.error} ${peak(seriesOf(calls, ops.error))} req/s, ${pct(errorRate)} errors (rates over ${window}, steps of ${q.stepMs / 1000} s)`
      );
    },
  };
}
