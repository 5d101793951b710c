/**
 * e2e steps of "from a trace to its logs", run against the real consumers we have here:
 * (a) the real Jaeger serves the UI configuration with our link patterns (read back over HTTP
 *     from the page it serves, not from our file), and those patterns, filled in as Jaeger's UI
 *     fills them with a real trace from its API, open Discover on the logs data view with the
 *     trace's query and time window;
 * (b) on the real OpenSearch, the query the link encodes (its DSL rendering, from the same
 *     builder as the KQL) returns exactly that trace's (or span's) lines among the real log lines
 *     the sample app wrote, indexed in the shape our Fluentd config writes, with our index template.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parse } from 'yaml';
import { validateConfig } from '../config/load';
import { logsIndexTemplate } from '../constructs/elasticsearch/index-templates';
import { SPAN_LINK_ATTRIBUTE, SPAN_LOGS_LINK_TEXT, TRACE_LOGS_LINK_TEXT, JaegerUiConfig } from '../constructs/jaeger/ui-config';
import { DATA_VIEW_IDS } from '../constructs/kibana/names';
import { LOG_TRACE_FIELDS, traceLogsQuery } from '../constructs/kibana/trace-logs-query';
import { getTrace, JaegerTrace } from '../ops/jaeger-api';
import { resolveTemplate, StackJson } from '../ops/terraform-json';
import { expandLinkTemplate, parseDiscoverUrl, spanLinkValues, traceLinkValues } from './jaeger-ui-links';
import { searchJson, utcDay } from './opensearch';

export type StepFn = (name: string, ok: boolean, detail: string, ms?: number) => void;

/** The jaeger stack's chart `uiconfig` (what the chart puts into ConfigMap `ui-config`), references resolved as Terraform will. */
export function jaegerUiconfig(stacks: Record<string, StackJson>): JaegerUiConfig {
  const release = Object.values(stacks.jaeger.resource?.helm_release ?? {}).find((r) => r.chart === 'jaeger');
  if (!release) throw new Error('synth: no jaeger helm_release');
  const values = parse(resolveTemplate(release.values[0], 'jaeger', stacks));
  if (!values.uiconfig) throw new Error('synth: the jaeger release has no uiconfig (is kibana.enabled off?)');
  return values.uiconfig;
}

/** Writes the rendered UI config where Jaeger can read it (`.json`: Jaeger picks the format by extension); returns its path. */
export function writeJaegerUiConfig(stacks: Record<string, StackJson>, dir: string): string {
  const file = join(dir, 'ui-config.json');
  writeFileSync(file, JSON.stringify(jaegerUiconfig(stacks), null, 2));
  return file;
}

/**
 * The UI config a running Jaeger injects into the page it serves: Jaeger replaces
 * `JAEGER_CONFIG = DEFAULT_CONFIG;` in index.html (the UI's, or the placeholder page of a build
 * without UI assets, which keeps that line) with `JAEGER_CONFIG = <json>;`.
 */
export function servedUiConfig(html: string): JaegerUiConfig | undefined {
  const m = /JAEGER_CONFIG = (\{.*\});/.exec(html);
  return m ? (JSON.parse(m[1]) as JaegerUiConfig) : undefined;
}

/** (a) The real Jaeger serves our link patterns, and they lead from its real trace to the right Discover state. */
export async function jaegerServesLogLinks(options: { jaegerApi: string; traceId: string; rendered: JaegerUiConfig; step: StepFn }): Promise<void> {
  const { jaegerApi, traceId, rendered, step } = options;
  const t0 = Date.now();
  // Any UI route (here a trace page) gets the same index.html with the injected config.
  const res = await fetch(`${jaegerApi}/trace/${traceId}`, { signal: AbortSignal.timeout(5000) });
  const html = await res.text();
  const served = servedUiConfig(html);
  // Jaeger re-marshals the file (Go sorts map keys): compare as values, not as text.
  const same = isDeepStrictEqual(served?.linkPatterns, rendered.linkPatterns);
  step(
    'Jaeger serves the UI config with the log link patterns',
    res.ok && !!served && same,
    !served
      ? `GET /trace/${traceId} (${res.status}) has no injected JAEGER_CONFIG: ${html.slice(0, 200)}`
      : same
        ? `GET /trace/<id> → JAEGER_CONFIG with ${served.linkPatterns.length} link patterns ("${served.linkPatterns.map((p) => p.text).join('", "')}"), equal to the rendered uiconfig`
        : `served linkPatterns differ from the rendered ones: ${JSON.stringify(served.linkPatterns).slice(0, 300)}`,
    Date.now() - t0,
  );

  const t1 = Date.now();
  const traceLink = served!.linkPatterns.find((p) => p.type === 'traces' && p.text === TRACE_LOGS_LINK_TEXT);
  const spanLink = served!.linkPatterns.find((p) => p.type === 'attributes' && p.text === SPAN_LOGS_LINK_TEXT);
  const trace = (await getTrace(jaegerApi, traceId)) as JaegerTrace;
  const problems: string[] = [];
  if (!traceLink || !spanLink) problems.push('a trace link and a span link are served');
  let summary = '';
  if (traceLink && spanLink && trace) {
    const values = traceLinkValues(trace);
    const state = parseDiscoverUrl(expandLinkTemplate(traceLink.url, values));
    const from = Date.parse(state.global.time.from);
    const to = Date.parse(state.global.time.to);
    if (state.app.dataSource?.dataViewId !== DATA_VIEW_IDS.logs) problems.push(`trace link opens data view ${state.app.dataSource?.dataViewId}`);
    if (state.app.query?.query !== traceLogsQuery({ traceId }).kql) problems.push(`trace link queries ${state.app.query?.query}`);
    if (!(from < values.startTime / 1000 && to > values.endTime / 1000)) problems.push(`trace link window ${state.global.time.from}..${state.global.time.to} does not contain the trace`);
    // The span link sits on the `span.kind` attribute: every span Jaeger serves must carry it.
    const bare = trace.spans.filter((s) => !(s.tags ?? []).some((t) => t.key === SPAN_LINK_ATTRIBUTE));
    if (bare.length) problems.push(`${bare.length} span(s) without a ${SPAN_LINK_ATTRIBUTE} attribute, where the span link is shown (${bare.map((s) => s.operationName).join(', ')})`);
    const span = trace.spans[0];
    const spanState = parseDiscoverUrl(expandLinkTemplate(spanLink.url, spanLinkValues(trace, span.spanID)));
    if (spanState.app.query?.query !== traceLogsQuery({ traceId, spanId: span.spanID }).kql) problems.push(`span link queries ${spanState.app.query?.query}`);
    summary = `trace link → data view ${state.app.dataSource.dataViewId}, ${state.app.query.query}, ${state.global.time.from}..${state.global.time.to} (trace ${new Date(values.startTime / 1000).toISOString()}..${new Date(values.endTime / 1000).toISOString()}); span link on ${SPAN_LINK_ATTRIBUTE} of all ${trace.spans.length} spans → ${spanState.app.query.query}`;
  }
  step('the served links, filled with a real trace, open its logs in Discover', problems.length === 0, problems.length ? problems.join('; ') : summary, Date.now() - t1);
}

/** A line the app wrote, with where it came from. */
export interface AppLogLine {
  readonly container: string;
  readonly stream: 'stdout' | 'stderr';
  readonly line: string;
}

/**
 * The lines the app processes have written so far (the e2e keeps each process's output):
 * pino writes warn and above to stderr, the rest to stdout (sample-app/src/logger.ts).
 */
export function appLogLines(processes: readonly { label: string; lines: readonly string[] }[]): AppLogLine[] {
  return processes.flatMap((p) =>
    p.lines.map((line) => {
      let level: unknown;
      try {
        level = JSON.parse(line).level;
      } catch {
        // not JSON
      }
      return { container: p.label, stream: ['warn', 'error', 'fatal'].includes(String(level)) ? ('stderr' as const) : ('stdout' as const), line };
    }),
  );
}

/**
 * A container log line as our Fluentd pipeline indexes it (constructs/fluentd/fluent-conf.ts):
 * CRI `stream`/`logtag`, kubernetes_metadata's `kubernetes` and `docker` objects, the JSON
 * message parsed into top-level fields (reserve_data, remove_key_name_field: no `message`
 * left; keep_time_key: pino's `time` stays), and `@timestamp` from the event (CRI) time
 * (include_timestamp). Non-JSON lines keep `message`. Written to `<prefix>-YYYY-MM-DD` of the
 * event's UTC day (logstash_format, logstash_dateformat %Y-%m-%d).
 */
export function fluentdDocument(entry: AppLogLine, at: Date): Record<string, unknown> {
  let parsed: Record<string, unknown> | undefined;
  try {
    const value = JSON.parse(entry.line);
    if (value && typeof value === 'object' && !Array.isArray(value)) parsed = value;
  } catch {
    // not JSON: stays in `message`
  }
  return {
    stream: entry.stream,
    logtag: 'F',
    docker: { container_id: `containerd-${entry.container}` },
    kubernetes: {
      container_name: 'app',
      namespace_name: 'sample-app',
      pod_name: `${entry.container}-7d9c8b6f5-x2x9q`,
      container_image: 'localhost:5001/sample-app:e2e',
      pod_id: '00000000-0000-4000-8000-000000000000',
      host: 'monitoring-control-plane',
      labels: { 'app.kubernetes.io/name': entry.container },
      namespace_labels: { 'kubernetes.io/metadata.name': 'sample-app' },
    },
    ...(parsed ?? { message: entry.line }),
    '@timestamp': at.toISOString(),
  };
}

/**
 * (b) On the real OpenSearch: our logs index template, the app's real log lines indexed as
 * Fluentd would, then the link's query (DSL rendering) for one trace and for one of its spans
 * returns exactly the lines with those ids; other traces' lines and untraced lines are there
 * and not returned.
 */
export async function linkQueryOnSearchEngine(options: { es: string; lines: readonly AppLogLine[]; traceId: string; step: StepFn }): Promise<void> {
  const { es, lines, traceId, step } = options;
  const t0 = Date.now();
  const prefix = validateConfig({}, 'default config').fluentd.indexPrefix;
  await searchJson(es, `/_index_template/${prefix}`, { method: 'PUT', body: logsIndexTemplate(prefix, 0) });
  const now = new Date();
  const index = `${prefix}-${utcDay(now)}`;
  // Today's index may exist already without the template (the retention step's fixture): start it afresh, as a new day's index would.
  const gone = await fetch(`${es}/${index}`, { method: 'DELETE', signal: AbortSignal.timeout(15_000) });
  if (!gone.ok && gone.status !== 404) return step("the link's query on the real engine returns exactly the trace's lines", false, `DELETE ${index} answered ${gone.status}`);
  const docs = lines.map((l, i) => ({ id: `line-${i}`, source: fluentdDocument(l, new Date(now.getTime() + i)) }));
  const bulk = docs.flatMap((d) => [JSON.stringify({ index: { _index: index, _id: d.id } }), JSON.stringify(d.source)]).join('\n') + '\n';
  const res = await fetch(`${es}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: bulk, signal: AbortSignal.timeout(15_000) });
  const bulkBody = (await res.json()) as { errors: boolean; items: { index: { error?: unknown } }[] };
  if (!res.ok || bulkBody.errors) return step("the link's query on the real engine returns exactly the trace's lines", false, `bulk indexing into ${index} failed: ${JSON.stringify(bulkBody.items?.find((i) => i.index.error) ?? bulkBody).slice(0, 300)}`);

  // What must come back, read from the raw lines (not through the query).
  const withIds = docs.map((d) => ({ id: d.id, trace: d.source[LOG_TRACE_FIELDS.traceId] as string | undefined, span: d.source[LOG_TRACE_FIELDS.spanId] as string | undefined }));
  const spanId = withIds.find((d) => d.trace === traceId && d.span)?.span;
  const expected = (trace: string, span?: string) => withIds.filter((d) => d.trace === trace && (span === undefined || d.span === span)).map((d) => d.id).sort();
  const run = async (query: unknown) =>
    (await searchJson<{ hits: { hits: { _id: string }[] } }>(es, `/${prefix}-*/_search`, { method: 'POST', body: { size: 1000, query } })).hits.hits.map((h) => h._id).sort();
  const mapping = await searchJson<Record<string, { mappings: { properties: Record<string, { type?: string }> } }>>(es, `/${index}/_mapping`);
  const props = mapping[index]?.mappings.properties ?? {};
  const problems: string[] = [];
  for (const field of Object.values(LOG_TRACE_FIELDS)) if (props[field]?.type !== 'keyword') problems.push(`${index} maps ${field} as ${props[field]?.type ?? 'nothing'}, not keyword (template not applied?)`);
  const otherTraces = new Set(withIds.filter((d) => d.trace && d.trace !== traceId).map((d) => d.trace));
  const untraced = withIds.filter((d) => !d.trace).length;
  if (otherTraces.size === 0) problems.push('no line of another trace among the app\'s lines: the check would prove nothing');
  const wantTrace = expected(traceId);
  const gotTrace = await run(traceLogsQuery({ traceId }).dsl);
  if (wantTrace.length === 0) problems.push(`the app wrote no line with trace_id ${traceId}`);
  if (JSON.stringify(gotTrace) !== JSON.stringify(wantTrace)) problems.push(`trace query returned ${gotTrace.join(', ') || 'nothing'}, expected ${wantTrace.join(', ')}`);
  let spanDetail = 'no line with a span_id';
  if (spanId) {
    const wantSpan = expected(traceId, spanId);
    const gotSpan = await run(traceLogsQuery({ traceId, spanId }).dsl);
    if (JSON.stringify(gotSpan) !== JSON.stringify(wantSpan)) problems.push(`span query returned ${gotSpan.join(', ') || 'nothing'}, expected ${wantSpan.join(', ')}`);
    spanDetail = `span ${spanId}: ${gotSpan.length} of them`;
  } else problems.push('no line of the trace carries a span_id');
  step(
    "the link's query on the real engine returns exactly the trace's lines",
    problems.length === 0,
    problems.length
      ? problems.join('; ')
      : `${docs.length} real app log lines indexed into ${index} as Fluentd writes them (our logs index template: trace_id/span_id keyword); ${traceLogsQuery({ traceId }).kql} (as DSL) → exactly its ${gotTrace.length} lines (${spanDetail}); ${otherTraces.size} other traces' and ${untraced} untraced lines present, not returned`,
    Date.now() - t0,
  );
}
