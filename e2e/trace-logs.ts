/**
 * e2e steps of "from a trace to its logs", run against the real consumers we have here:
 * (a) the real Jaeger serves the UI configuration with our link patterns (read back over HTTP
 *     from the page it serves, not from our file), and those patterns, filled in as Jaeger's UI
 *     fills them with a real trace from its API, open Discover on the logs data view with the
 *     trace's query and time window;
 * (b) on the real OpenSearch, the query the link encodes returns exactly each trace's lines
 *     among the documents the real Fluentd sent (e2e/fluentd-capture.ts).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parse } from 'yaml';
import { SPAN_LINK_ATTRIBUTE, SPAN_LOGS_LINK_TEXT, TRACE_LOGS_LINK_TEXT, JaegerUiConfig } from '../constructs/jaeger/ui-config';
import { DATA_VIEW_IDS } from '../constructs/kibana/names';
import { traceLogsQuery } from '../constructs/kibana/trace-logs-query';
import { getTrace, JaegerTrace } from '../ops/jaeger-api';
import { resolveTemplate, StackJson } from '../ops/terraform-json';
import { expandLinkTemplate, parseDiscoverUrl, spanLinkValues, traceLinkValues } from './jaeger-ui-links';

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
