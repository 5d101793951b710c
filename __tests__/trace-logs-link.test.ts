import rison from 'rison-node';
import { logsIndexTemplate } from '../constructs/elasticsearch/index-templates';
import { JAEGER_UI_CONFIG_FILE, SPAN_LINK_ATTRIBUTE, SPAN_LOGS_LINK_TEXT, TRACE_LOGS_LINK_TEXT, traceLogsLinkPatterns } from '../constructs/jaeger/ui-config';
import { discoverUrl, encodeUriQuery, jaegerLinkTemplate } from '../constructs/kibana/discover-link';
import { DATA_VIEW_IDS } from '../constructs/kibana/names';
import { ExactClause, LOG_TRACE_FIELDS, TraceLogsSelector, traceLogsQuery } from '../constructs/kibana/trace-logs-query';
import { expandLinkTemplate, parseDiscoverUrl, spanLinkValues, templateParameters, traceLinkValues } from '../e2e/jaeger-ui-links';
import { servedUiConfig } from '../e2e/trace-logs';
import type { JaegerTrace } from '../ops/jaeger-api';
import { recordedTraceAnswer } from './fake-world';
import { build, config, helmValues, synth } from './helpers';

/**
 * KQL of the only shape the builder writes (`field:"value"` joined by ` and `), read back
 * independently of the builder: quoted values with `\` escapes, per KQL's grammar.
 */
function readKql(kql: string): ExactClause[] {
  const clause = /^([A-Za-z_.@][\w.@]*):"((?:[^"\\]|\\[\\"])*)"/;
  const out: ExactClause[] = [];
  let rest = kql;
  for (;;) {
    const m = clause.exec(rest);
    if (!m) throw new Error(`not a clause: ${rest}`);
    out.push({ field: m[1], value: m[2].replace(/\\([\\"])/g, '$1') });
    rest = rest.slice(m[0].length);
    if (rest === '') return out;
    if (!rest.startsWith(' and ')) throw new Error(`expected " and ", got ${rest}`);
    rest = rest.slice(5);
  }
}

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

describe('traceLogsQuery: one input, KQL for the link and DSL for the API', () => {
  it.each<[TraceLogsSelector]>([
    [{ traceId: TRACE }],
    [{ traceId: TRACE, spanId: SPAN }],
    // Values KQL must escape: the two renderings still say the same thing.
    [{ traceId: 'a"b\\c and d:*', spanId: '(x) or y' }],
  ])('%j: the KQL read back is exactly the DSL term filters', (selector) => {
    const q = traceLogsQuery(selector);
    const fromKql = readKql(q.kql);
    const fromDsl = q.dsl.bool.filter.map((f) => {
      const [[field, value]] = Object.entries(f.term);
      return { field, value };
    });
    expect(fromKql).toEqual(fromDsl);
    expect(fromKql).toEqual([{ field: 'trace_id', value: selector.traceId }, ...(selector.spanId ? [{ field: 'span_id', value: selector.spanId }] : [])]);
  });

  it('renders the familiar forms', () => {
    expect(traceLogsQuery({ traceId: TRACE, spanId: SPAN })).toMatchObject({
      kql: `trace_id:"${TRACE}" and span_id:"${SPAN}"`,
      dsl: { bool: { filter: [{ term: { trace_id: TRACE } }, { term: { span_id: SPAN } }] } },
    });
  });

  it('refuses empty ids instead of matching every line', () => {
    expect(() => traceLogsQuery({ traceId: '' })).toThrow(/traceId is empty/);
    expect(() => traceLogsQuery({ traceId: TRACE, spanId: '' })).toThrow(/spanId is empty/);
  });

  it('queries fields the logs index template maps as keyword (exact match)', () => {
    const props = logsIndexTemplate('fluentd', 0).template.mappings.properties as Record<string, { type: string }>;
    expect(props[LOG_TRACE_FIELDS.traceId]).toMatchObject({ type: 'keyword' });
    expect(props[LOG_TRACE_FIELDS.spanId]).toMatchObject({ type: 'keyword' });
  });
});

describe('discoverUrl: Kibana Discover state (rison in the hash query)', () => {
  const link = { kibanaUrl: 'http://localhost:5601', dataViewId: DATA_VIEW_IDS.logs, kql: traceLogsQuery({ traceId: TRACE }).kql, from: '2026-11-30T01:00:00.000Z', to: '2026-11-30T01:10:00.000Z' };

  it('parses back (URLSearchParams + rison-node, as Kibana reads it) into the data view, query and time range', () => {
    const state = parseDiscoverUrl(discoverUrl(link));
    expect(state.base).toBe('http://localhost:5601/app/discover');
    expect(state.global).toEqual({ time: { from: link.from, to: link.to } });
    expect(state.app).toEqual({ dataSource: { type: 'dataView', dataViewId: DATA_VIEW_IDS.logs }, query: { language: 'kuery', query: link.kql } });
  });

  it('is in the form Kibana\'s own locator writes (sorted rison keys, readable `:` and `,`, %20 not +)', () => {
    const url = discoverUrl({ ...link, kql: 'a:"b c+d"' });
    expect(url).toBe(
      "http://localhost:5601/app/discover#/?_g=(time:(from:'2026-11-30T01:00:00.000Z',to:'2026-11-30T01:10:00.000Z'))" +
        "&_a=(dataSource:(dataViewId:monitoring-logs,type:dataView),query:(language:kuery,query:'a:%22b%20c%2Bd%22'))",
    );
    expect(parseDiscoverUrl(url).app.query.query).toBe('a:"b c+d"');
    expect(encodeUriQuery("(x:'a b',y:!t)")).toBe("(x:'a%20b',y:!t)");
  });

  it('survives rison\'s own escapes (a quote in the query) and a Kibana behind a path', () => {
    const url = discoverUrl({ ...link, kibanaUrl: 'https://example.com/kibana', kql: "message:\"it's!\"" });
    expect(parseDiscoverUrl(url)).toMatchObject({ base: 'https://example.com/kibana/app/discover', app: { query: { query: "message:\"it's!\"" } } });
  });

  it('refuses a Kibana URL with a trailing slash or query', () => {
    expect(() => discoverUrl({ ...link, kibanaUrl: 'http://localhost:5601/' })).toThrow(/trailing slash/);
    expect(() => discoverUrl({ ...link, kibanaUrl: 'http://localhost:5601?x=1' })).toThrow(/kibanaUrl/);
  });
});

describe('Jaeger link patterns to the logs', () => {
  const patterns = traceLogsLinkPatterns({ kibanaUrl: 'http://localhost:5601', logsDataViewId: DATA_VIEW_IDS.logs, marginMinutes: 5, spanLookbackDays: 7 });
  const [traceLink, spanLink] = patterns;
  // An order's trace as Jaeger v1.76.0's API answered it (recorded by the e2e: 15 spans of two
  // services), about TRACE. Its spans start at 1796677382173000 µs at the earliest and end at
  // 1796677382209432 µs at the latest (the root span, POST /api/orders).
  const trace = (JSON.parse(recordedTraceAnswer('/api/orders', TRACE)) as { data: JaegerTrace[] }).data[0];
  const backendSpan = trace.spans.find((s) => s.operationName === 'inventory.reserve')!.spanID;

  it('the Jaeger parameters stay intact in the templates (not URL- or rison-escaped)', () => {
    expect(traceLink).toMatchObject({ type: 'traces', text: TRACE_LOGS_LINK_TEXT });
    expect(templateParameters(traceLink.url)).toEqual(['startTime', 'endTime', 'traceID']);
    expect(traceLink.url).toContain("time:(from:'#{startTime | add -300000000 | epoch_micros_to_date_iso}',to:'#{endTime | add 300000000 | epoch_micros_to_date_iso}')");
    expect(traceLink.url).toContain("query:'trace_id:%22#{traceID}%22'");
    expect(spanLink).toMatchObject({ type: 'attributes', key: SPAN_LINK_ATTRIBUTE, text: SPAN_LOGS_LINK_TEXT });
    expect(templateParameters(spanLink.url)).toEqual(['trace.traceID', 'spanID']);
  });

  it('"Logs for this trace", filled in as Jaeger\'s UI does, opens the logs data view on the trace id over the trace\'s window ± 5 min', () => {
    const state = parseDiscoverUrl(expandLinkTemplate(traceLink.url, traceLinkValues(trace)));
    expect(state.app).toEqual({ dataSource: { type: 'dataView', dataViewId: DATA_VIEW_IDS.logs }, query: { language: 'kuery', query: traceLogsQuery({ traceId: TRACE }).kql } });
    expect(state.global.time).toEqual({ from: '2026-12-07T20:58:02.173Z', to: '2026-12-07T21:08:02.209Z' });
    // A child that ends after the root (async work: inventory.reserve, which starts at
    // 1796677382191000 µs, made 1 s longer) ends the window, not the root.
    const late = { ...trace, spans: trace.spans.map((s) => (s.spanID === backendSpan ? { ...s, duration: s.duration! + 1_000_000 } : s)) };
    expect(parseDiscoverUrl(expandLinkTemplate(traceLink.url, traceLinkValues(late))).global.time).toEqual({ from: '2026-12-07T20:58:02.173Z', to: '2026-12-07T21:08:03.200Z' });
  });

  it('"Logs for this span" filters on the trace and the span id over the retention period', () => {
    const state = parseDiscoverUrl(expandLinkTemplate(spanLink.url, spanLinkValues(trace, backendSpan)));
    expect(state.app.query.query).toBe(traceLogsQuery({ traceId: TRACE, spanId: backendSpan }).kql);
    expect(state.app.dataSource.dataViewId).toBe(DATA_VIEW_IDS.logs);
    expect(state.global.time).toEqual({ from: 'now-7d', to: 'now' });
  });

  it('a parameter that the encoding would mangle is caught when the template is built', () => {
    expect(() => jaegerLinkTemplate((p) => discoverUrl({ kibanaUrl: 'http://k:1', dataViewId: 'v', kql: p('x').toLowerCase(), from: 'now', to: 'now' }))).toThrow(/did not survive/);
    expect(() => jaegerLinkTemplate((p) => p('a{b}'))).toThrow(/cannot contain/);
  });

  it('rison-node decodes what Jaeger fills in, with real ids and ISO times (nothing left to escape)', () => {
    const url = expandLinkTemplate(traceLink.url, traceLinkValues(trace));
    const g = new URLSearchParams(new URL(url).hash.slice(3)).get('_g')!;
    expect(rison.decode(g)).toEqual({ time: { from: '2026-12-07T20:58:02.173Z', to: '2026-12-07T21:08:02.209Z' } });
  });
});

describe('the Jaeger stack serves the link patterns through the chart', () => {
  it('with Kibana: uiconfig in the values (the chart\'s ConfigMap `ui-config`), named by jaeger_query.ui.config_file', () => {
    const cfg = config({ kibana: { publicUrl: 'https://kibana.example.com' }, elasticsearch: { retentionDays: 14 } });
    const values = helmValues(synth(build(cfg).jaeger), 'jaeger');
    expect(values.uiconfig).toEqual({ linkPatterns: traceLogsLinkPatterns({ kibanaUrl: 'https://kibana.example.com', logsDataViewId: DATA_VIEW_IDS.logs, spanLookbackDays: 14 }) });
    expect(values.userconfig.extensions.jaeger_query.ui).toEqual({ config_file: JAEGER_UI_CONFIG_FILE });
    expect(parseDiscoverUrl(expandLinkTemplate(values.uiconfig.linkPatterns[0].url, { traceID: TRACE, startTime: start0, endTime: start0 })).base).toBe('https://kibana.example.com/app/discover');
  });

  it('without Kibana: no UI config, no config_file', () => {
    const values = helmValues(synth(build(config({ kibana: { enabled: false } })).jaeger), 'jaeger');
    expect(values.uiconfig).toBeUndefined();
    expect(values.userconfig.extensions.jaeger_query.ui).toBeUndefined();
  });
});

const start0 = Date.UTC(2026, 0, 1) * 1000;

describe('e2e helpers of the trace → logs steps', () => {
  it('reads the config Jaeger injects into its page (Go json escapes & < > as \\u00XX)', () => {
    const config = { linkPatterns: traceLogsLinkPatterns({ kibanaUrl: 'http://localhost:5601', logsDataViewId: DATA_VIEW_IDS.logs }) };
    // What Jaeger's static handler writes: json.Marshal (HTML-escaping) in place of DEFAULT_CONFIG.
    const goJson = JSON.stringify(config).replace(/&/g, '\\u0026').replace(/</g, '\\u003c').replace(/>/g, '\\u003e');
    const page = `<pre>\n// JAEGER_CONFIG_JS\n\nJAEGER_CONFIG = ${goJson};\n\nJAEGER_STORAGE_CAPABILITIES = {"archiveStorage":false};\n</pre>`;
    expect(goJson).toContain('\\u0026_a=');
    expect(servedUiConfig(page)).toEqual(config);
    expect(servedUiConfig('<pre>JAEGER_CONFIG = DEFAULT_CONFIG;</pre>')).toBeUndefined();
  });
});
