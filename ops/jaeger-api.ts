import { fetchJson } from './poll';

/** The parts of Jaeger's query HTTP API (/api/traces, /api/dependencies) we read. */
export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  processID: string;
  /** Microseconds since the epoch. */
  startTime?: number;
  /** Microseconds. */
  duration?: number;
  references?: { refType: string; traceID: string; spanID: string }[];
  tags?: { key: string; type: string; value: unknown }[];
}
export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string }>;
}

export interface TraceSummary {
  services: string[];
  spanCount: number;
  errorSpans: { service: string; operation: string }[];
}

export async function getTrace(baseUrl: string, traceId: string): Promise<JaegerTrace | undefined> {
  const res = await fetch(`${baseUrl}/api/traces/${traceId}`, { signal: AbortSignal.timeout(5000) });
  if (res.status === 404) return undefined;
  const text = await res.text();
  if (!res.ok) throw new Error(`Jaeger /api/traces answered ${res.status}`);
  let body: { data?: JaegerTrace[] };
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`Jaeger /api/traces answered something that is not JSON: ${text.slice(0, 80)}`);
  }
  if (!Array.isArray(body.data)) throw new Error('Jaeger /api/traces answered without a data array');
  return body.data.find((t) => t.traceID === traceId) ?? body.data[0];
}

export function summarizeTrace(trace: JaegerTrace): TraceSummary {
  const service = (s: JaegerSpan) => trace.processes?.[s.processID]?.serviceName ?? 'unknown';
  const isError = (s: JaegerSpan) => (s.tags ?? []).some((t) => (t.key === 'error' && (t.value === true || t.value === 'true')) || (t.key === 'otel.status_code' && t.value === 'ERROR'));
  return {
    services: [...new Set(trace.spans.map(service))].sort(),
    spanCount: trace.spans.length,
    errorSpans: trace.spans.filter(isError).map((s) => ({ service: service(s), operation: s.operationName })),
  };
}

export async function getDependencies(baseUrl: string, lookbackMs = 3_600_000): Promise<{ parent: string; child: string; callCount: number }[]> {
  const body = await fetchJson<{ data?: { parent: string; child: string; callCount: number }[] }>(`${baseUrl}/api/dependencies?endTs=${Date.now()}&lookback=${lookbackMs}`);
  if (!Array.isArray(body.data)) throw new Error('Jaeger /api/dependencies answered without a data array');
  return body.data;
}
