/**
 * The one query for "the log lines of a trace (or of one span)": the KQL text the Jaeger → Kibana
 * links put into Discover, and the equivalent Elasticsearch query DSL that `npm run verify` and
 * the e2e run. Both are rendered from the same list of exact-match clauses, so they cannot drift.
 * Plain functions, no provider bindings (the operator tools import this).
 */

/**
 * Fields of a log document that Fluentd copies from the app's own JSON line (the sample app writes
 * them into every line) when they are W3C ids (constructs/fluentd/plugins/filter_app_line.rb); the
 * logs index template maps both as `keyword`, so a term (or a quoted KQL match) is exact.
 */
export const LOG_TRACE_FIELDS = { traceId: 'trace_id', spanId: 'span_id' } as const;

export interface TraceLogsSelector {
  /** W3C trace id (32 lowercase hex), or a link-template parameter standing in for one. */
  readonly traceId: string;
  /** W3C span id (16 lowercase hex): only that span's lines. @default - every line of the trace */
  readonly spanId?: string;
}

/** `field` must equal `value` exactly (keyword fields). */
export interface ExactClause {
  readonly field: string;
  readonly value: string;
}

export interface TraceLogsQuery {
  /** The clauses both renderings come from, in order. */
  readonly clauses: readonly ExactClause[];
  /** Kibana Query Language, e.g. `trace_id:"4bf9…"` (what Discover's search bar shows). */
  readonly kql: string;
  /** Elasticsearch query DSL: a bool filter of term queries. */
  readonly dsl: { readonly bool: { readonly filter: { readonly term: Record<string, string> }[] } };
}

/** The clauses of a selector: the trace id, then the span id when given. */
export function traceLogsClauses(selector: TraceLogsSelector): ExactClause[] {
  if (!selector.traceId) throw new Error('traceLogsQuery: traceId is empty');
  if (selector.spanId === '') throw new Error('traceLogsQuery: spanId is empty (leave it out for the whole trace)');
  return [
    { field: LOG_TRACE_FIELDS.traceId, value: selector.traceId },
    ...(selector.spanId !== undefined ? [{ field: LOG_TRACE_FIELDS.spanId, value: selector.spanId }] : []),
  ];
}

/**
 * A KQL quoted value: inside double quotes KQL reads `\` as an escape and `"` ends the value;
 * everything else (wildcards, `:`, `and`, parentheses) is literal there.
 */
export function kqlQuoted(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** KQL of exact clauses: `field:"value"` joined by `and`. */
export function renderKql(clauses: readonly ExactClause[]): string {
  return clauses.map((c) => `${c.field}:${kqlQuoted(c.value)}`).join(' and ');
}

/** The same clauses as Elasticsearch term filters (no scoring: an exact set of lines). */
export function renderDsl(clauses: readonly ExactClause[]): TraceLogsQuery['dsl'] {
  return { bool: { filter: clauses.map((c) => ({ term: { [c.field]: c.value } })) } };
}

/** The log lines of a trace (or span): KQL for the Discover link, DSL for the API, from one input. */
export function traceLogsQuery(selector: TraceLogsSelector): TraceLogsQuery {
  const clauses = traceLogsClauses(selector);
  return { clauses, kql: renderKql(clauses), dsl: renderDsl(clauses) };
}
