/**
 * The Monitor tab's metrics as the real Jaeger answers them (answers recorded by the e2e from
 * Jaeger v1.76.0 with its metric backend on OpenSearch 2.19.6: fixtures/jaeger-metrics-v1.76.0/):
 * the client reads them, the e2e's check of the mix accepts exactly the mix that was sent, and
 * verify's hop names the first missing piece.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { checkMix, countableSpanMs, MIX_QUERIES, MixFamilies, TrafficMix, traceSearchOfLink, viewTracesLink } from '../e2e/monitor-tab';
import { callsInWindow, definedValues, metricsUrl, parseMetricFamily, peak, rateWindowSeconds, seriesOf } from '../ops/jaeger-metrics';
import { monitorHop, VERIFY_METRICS_QUERY } from '../ops/monitor-hop';
import { JAEGER_METRICS_FIXTURE, recordedMetricsAnswer } from './fake-world';

const recorded = JSON.parse(readFileSync(join(JAEGER_METRICS_FIXTURE, 'mix.json'), 'utf8')) as { mix: TrafficMix; query: { stepMs: number; ratePerMs: number } };
const families = (prefix = ''): MixFamilies =>
  Object.fromEntries(Object.entries(MIX_QUERIES).map(([key, q]) => [key, parseMetricFamily(JSON.parse(readFileSync(join(JAEGER_METRICS_FIXTURE, `${prefix}${q.file}`), 'utf8')), q.file)])) as MixFamilies;

describe("Jaeger's metrics API answers (recorded from the real Jaeger)", () => {
  it('parse: a family per query, NaN for steps without spans, one series per operation when grouped', () => {
    const f = families();
    expect(f.calls.name).toBe('service_operation_call_rate');
    expect(f.serviceCalls.name).toBe('service_call_rate');
    expect(f.errors.name).toBe('service_operation_error_rate');
    expect(f.p95.name).toBe('service_operation_latencies');
    expect(f.calls.series.map((s) => s.labels)).toContainEqual({ service_name: 'sample-app', operation: 'POST /api/orders' });
    // The steps without spans come as the string "NaN" in the JSON, a NaN here.
    expect(readFileSync(join(JAEGER_METRICS_FIXTURE, MIX_QUERIES.calls.file), 'utf8')).toMatch(/"doubleValue":\s*"NaN"/);
    expect(f.calls.series.every((s) => s.points.some((p) => Number.isNaN(p.value)))).toBe(true);
    expect(f.calls.series.every((s) => s.points.every((p) => Number.isFinite(p.time)))).toBe(true);
  });

  it('before any span: a grouped family without series, a service family of NaN only', () => {
    const before = families('before.');
    expect(before.calls.series).toEqual([]);
    expect(before.serviceCalls.series).toHaveLength(1);
    expect(definedValues(before.serviceCalls.series[0])).toEqual([]);
    expect(peak(before.serviceCalls.series[0])).toBeUndefined();
  });

  it('a body that is not a MetricFamily is an error naming what is wrong', () => {
    expect(() => parseMetricFamily({ data: null })).toThrow('not a MetricFamily (no name)');
    expect(() => parseMetricFamily({ name: 'x', metrics: [{ labels: [], metricPoints: [{ timestamp: 'later' }] }] })).toThrow('metrics[0].metricPoints[0] is not {gaugeValue: {doubleValue}, timestamp}');
  });

  it('builds the query the way Jaeger parses it', () => {
    const url = new URL(metricsUrl('http://j:16686', 'latencies', { service: 'sample-app', groupByOperation: true, endTs: 1_700_000_000_000, lookbackMs: 60_000, stepMs: 5000, ratePerMs: 50_000, quantile: 0.95 }));
    expect(url.pathname).toBe('/api/metrics/latencies');
    expect(Object.fromEntries(url.searchParams)).toEqual({ service: 'sample-app', groupByOperation: 'true', endTs: '1700000000000', lookback: '60000', step: '5000', ratePer: '50000', spanKind: 'server', quantile: '0.95' });
    expect(() => metricsUrl('http://j', 'latencies', { service: 's', groupByOperation: false, endTs: 0, lookbackMs: 1, stepMs: 1, ratePerMs: 1 })).toThrow('latencies need a quantile');
  });

  it("turns a rate back into calls over Jaeger's window: exact up to 100 s", () => {
    expect(rateWindowSeconds(VERIFY_METRICS_QUERY)).toBe(50);
    expect(rateWindowSeconds({ stepMs: 60_000, ratePerMs: 600_000 })).toBe(600);
    expect(rateWindowSeconds({ stepMs: 60_000, ratePerMs: 30_000 })).toBe(60); // at least one step
    expect(callsInWindow(0.12, VERIFY_METRICS_QUERY)).toBe(6);
    expect(countableSpanMs(VERIFY_METRICS_QUERY)).toBe(45_000);
  });
});

describe("the e2e's check of the mix, on the real answers", () => {
  it('accepts the mix that was sent', () => {
    expect(recorded.query).toEqual(VERIFY_METRICS_QUERY);
    expect(checkMix(families(), recorded.mix, recorded.query)).toEqual([]);
  });

  it.each<[Partial<TrafficMix>, RegExp]>([
    [{ orders: recorded.mix.orders + 1 }, /^POST \/api\/orders: 6 calls counted, 7 sent$/m],
    [{ errors: recorded.mix.errors - 1 }, /^GET \/api\/error: 3 calls counted, 2 sent$/m],
    [{ slow: recorded.mix.slow + 1 }, /^GET \/api\/slow: 2 calls counted, 3 sent$/m],
    [{ slowMs: 1000 }, /^GET \/api\/slow: P50 [\d.]+ ms, but each call waited 1000 ms$/m],
  ])('rejects another mix %j, naming the count that differs', (change, problem) => {
    const problems = checkMix(families(), { ...recorded.mix, ...change }, recorded.query);
    expect(problems.join('\n')).toMatch(problem);
  });

  it('rejects the answers of a Jaeger that has not seen the mix', () => {
    const problems = checkMix(families('before.'), recorded.mix, recorded.query);
    expect(problems[0]).toBe("sample-app's operations are none, expected GET /api/error, GET /api/slow, POST /api/orders");
    expect(problems).toContain('POST /api/orders: no calls counted, 6 sent');
    expect(problems).toContain('GET /api/error: error rate none, expected 1 at every step (every call fails)');
  });

  it('the error rates it read: 1 for every step of the failing endpoint, 0 for the others, errors/calls for the service', () => {
    const f = families();
    expect(new Set(definedValues(seriesOf(f.errors, 'GET /api/error')!))).toEqual(new Set([1]));
    expect(new Set(definedValues(seriesOf(f.errors, 'POST /api/orders')!))).toEqual(new Set([0]));
    const { orders, slow, errors } = recorded.mix;
    expect(peak(f.serviceErrors.series[0])).toBeCloseTo(errors / (orders + slow + errors), 12);
  });
});

describe("the tab's \"View traces\" link", () => {
  it('is built as jaeger-ui 2.19.0 builds it, and searched with its service, operation, window and limit', () => {
    const link = viewTracesLink('http://localhost:16686', 'sample-app', 'GET /api/error', 1_700_000_000_000, 3_600_000);
    expect(link).toBe('http://localhost:16686/search?end=1700000000000000&limit=20&lookback=1h&maxDuration&minDuration&operation=GET%20%2Fapi%2Ferror&service=sample-app&start=1699996400000000');
    const search = new URL(traceSearchOfLink(link, 'http://127.0.0.1:1'));
    expect(search.pathname).toBe('/api/traces');
    expect(Object.fromEntries(search.searchParams)).toEqual({ service: 'sample-app', operation: 'GET /api/error', start: '1699996400000000', end: '1700000000000000', limit: '20' });
  });
});

describe("verify's Monitor tab hop against the recorded answers", () => {
  let server: http.Server;
  let base: string;
  let when: 'before' | 'after' | 'disabled' = 'after';
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const answer = recordedMetricsAnswer(new URL(req.url!, 'http://x'), when);
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  const hop = (operations?: { orders: string; error: string }) => monitorHop({ jaeger: base, service: 'sample-app', since: Date.now() - 10_000, jaegerNamespace: 'jaeger', operations });

  it('reads what the tab shows: rates, error rates, the three quantiles of the orders', async () => {
    when = 'after';
    const detail = await hop().probe();
    expect(detail).toMatch(/^POST \/api\/orders 0\.12 req\/s, 0% errors, P50\/P75\/P95 [\d.]+\/[\d.]+\/[\d.]+ ms; GET \/api\/error 0\.06 req\/s, 100% errors \(rates over 50 s, steps of 5 s\)$/);
  });

  it.each<['before' | 'disabled', { orders: string; error: string } | undefined, string, RegExp]>([
    ['disabled', undefined, 'Jaeger /api/metrics/calls answered 501: metrics querying is currently disabled', /^Jaeger has no metrics storage/],
    ['before', undefined, 'no call rate for POST /api/orders over 50 s (operations with calls: none)', /^the server spans of sample-app are not in Elasticsearch yet/],
  ])('%s: names the first missing piece', async (state, operations, piece, cause) => {
    when = state;
    const h = hop(operations);
    await expect(h.probe()).rejects.toThrow(piece);
    expect(h.cause).toMatch(cause);
  });

  it('names an endpoint without calls, and an error rate of 0', async () => {
    when = 'after';
    const unknown = hop({ orders: 'GET /nope', error: 'GET /api/error' });
    await expect(unknown.probe()).rejects.toThrow('no call rate for GET /nope over 50 s (operations with calls: GET /api/error, GET /api/slow, POST /api/orders)');
    // The orders never fail: taken as the error endpoint, their error rate is 0.
    const noErrors = hop({ orders: 'POST /api/orders', error: 'POST /api/orders' });
    await expect(noErrors.probe()).rejects.toThrow('error rate of POST /api/orders is 0');
    expect(noErrors.cause).toMatch(/does not carry the error status/);
  });
});
