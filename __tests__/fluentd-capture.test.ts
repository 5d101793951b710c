/**
 * The capture of the real Fluentd 1.19.3 on our fluent.conf and plugins (e2e/fixtures/
 * fluentd-1.19.3-issue30), offline: the bulk bodies it sent, as its engine answered them (one
 * line refused: its fallback document), checked per entry of the container log files it read,
 * with the same checker the e2e runs on what the real OpenSearch stored; the checker shown to
 * catch what the issue forbids; Fluentd's own counts against the input; and the capture tied to
 * the code (a change of the config, a plugin or the templates asks for a new capture).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { logsIndexTemplate, rejectedLogsIndexTemplate } from '../constructs/elasticsearch/index-templates';
import { DOCUMENT_ID_KEY, FLUENTD_COUNTERS, FLUENTD_OUTPUTS, FLUENTD_PLUGIN_FILES, FLUENTD_PLUGIN_IDS, FLUENTD_PLUGIN_SOURCE_DIR } from '../constructs/fluentd/fluent-conf';
import { REJECTED_MARKER, rejectedIndexPrefix } from '../constructs/fluentd/names';
import { emitRecords, parseMonitorPlugins } from '../ops/fluentd-monitor';
import { parsePrometheusText, sumOf } from '../ops/prometheus-text';
import { readStacks, resolveTemplate } from '../ops/terraform-json';
import {
  answeredDocuments,
  budgetLimits,
  captureCases,
  captureEntries,
  capturedBulks,
  checkDocuments,
  containerOfLogFile,
  criLines,
  documentsOfBulks,
  FLUENTD_CAPTURE_DIR,
  fluentdTimestamp,
  LogEntry,
  MAX_TERM_BYTES,
  pathAndValueOverTerm,
  REQUIRED_CASES,
  StoredDocument,
} from '../e2e/fluentd-capture-check';
import { build, outdirOf } from './helpers';

const PREFIX = 'fluentd';
const REJECTED = rejectedIndexPrefix(PREFIX);
const entries = captureEntries();
const bulks = capturedBulks();
const sent = documentsOfBulks(bulks);
/** What the capture's engine stored (both families) and what it refused, as Fluentd sent them. */
const { stored, refused } = answeredDocuments(bulks);
const checked = () => checkDocuments(entries, stored, PREFIX, refused);
const isFallback = (d: StoredDocument) => d.index.startsWith(`${REJECTED}-`);
const byId = (id: string) => entries.find((e) => e.id === id)!;
const capture = (file: string) => readFileSync(join(FLUENTD_CAPTURE_DIR, file), 'utf8');

describe("the capture's input", () => {
  it('reads CRI lines as bytes (invalid UTF-8 kept as written) and whose log a file is from its name', () => {
    const files = readdirSync(join(FLUENTD_CAPTURE_DIR, 'input'));
    const lines = files.flatMap((f) => criLines(readFileSync(join(FLUENTD_CAPTURE_DIR, 'input', f))));
    expect(lines.length).toBe(84);
    expect(lines.some((l) => !l.text.equals(Buffer.from(l.text.toString('utf8'))))).toBe(true);
    expect(containerOfLogFile(files.find((f) => f.startsWith('payments-'))!)).toEqual({ pod: 'payments-6d9f8b7c5-q7w2e', namespace: 'team-a', container: 'payments', containerId: 'a1'.repeat(32) });
    expect(() => containerOfLogFile('payments.log')).toThrow('not a container log file name');
    expect(() => criLines(Buffer.from('not a cri line\n'))).toThrow('not a CRI log line');
    expect(fluentdTimestamp('2026-12-05T10:00:01.123456789Z')).toBe('2026-12-05T10:00:01.123456789+00:00');
  });

  it("joins a split line's parts per stream, timed by the first part, and a stack trace's lines as entries.json says; every line in one entry", () => {
    // Issue 23's file: a stderr line split around a stdout line, and a P whose F never came.
    const split = entries.find((e) => e.id.endsWith(':entry-15'))!;
    expect(split).toMatchObject({ stream: 'stderr', lines: 2, complete: true, kind: 'object' });
    expect(entries.indexOf(entries.find((e) => e.id.endsWith(':entry-16'))!)).toBeLessThan(entries.indexOf(split));
    expect(entries.find((e) => e.id.endsWith(':entry-21'))).toMatchObject({ complete: false, kind: 'text' });
    expect(byId('E02')).toMatchObject({ kind: 'trace', stream: 'stderr', lines: 6 });
    expect(byId('E02').text.split('\n')).toHaveLength(6);
    expect(byId('B09').text).toContain('\uFFFD');
    // One item per entry, and one more per refused item: its fallback.
    expect(entries).toHaveLength(stored.length);
    expect(sent).toHaveLength(entries.length + refused.length);
  });

  it('holds every case of issue 30 and every line shape of issue 23', () => {
    const cases = captureCases(entries);
    expect(REQUIRED_CASES.filter((c) => !cases.includes(c))).toEqual([]);
    // Told from the input: without the stack traces' app, or the exploding one, those cases are missing.
    expect(captureCases(entries.filter((e) => e.container.container !== 'billing'))).not.toContain('Java stack trace');
    const withoutExplosion = captureCases(entries.filter((e) => e.container.container !== 'search'));
    expect(withoutExplosion.filter((c) => c.includes('explosion') || c === 'over the budget: fields' || c.includes('term limit'))).toEqual([]);
  });

  it("the line meant to be refused is the one whose path and value together pass the engine's term limit, each within the budget", () => {
    const overTerm = entries.filter((e) => e.kind === 'object' && e.complete && pathAndValueOverTerm(JSON.parse(e.text)));
    expect(overTerm.map((e) => e.id)).toEqual(['C05']);
    expect(entries.filter((e) => e.refused)).toEqual(overTerm);
    expect(budgetLimits(JSON.parse(byId('C05').text))).toEqual([]);
    // `json.<path>=<value>` in UTF-8 bytes: 32766 is the longest term.
    const nested = (value: number) => ({ ['a'.repeat(10_000)]: { ['b'.repeat(10_000)]: 'v'.repeat(value) } });
    const atLimit = MAX_TERM_BYTES - 'json.'.length - 10_000 - '.'.length - 10_000 - '='.length;
    expect([pathAndValueOverTerm(nested(atLimit)), pathAndValueOverTerm(nested(atLimit + 1))]).toEqual([false, true]);
    // A key or value over the budget is left out by app_line: it makes no term.
    expect(pathAndValueOverTerm({ ['k'.repeat(16_385)]: 'v'.repeat(16_384) })).toBe(false);
  });

  it('the budget as the design states it: depth past maxDepth, fields past maxFields, a string past maxValueBytes', () => {
    const nest = (n: number): Record<string, unknown> => (n === 1 ? { leaf: 1 } : { l: nest(n - 1) });
    expect(budgetLimits(nest(16))).toEqual([]);
    expect(budgetLimits(nest(17))).toEqual(['depth']);
    expect(budgetLimits(Object.fromEntries(Array.from({ length: 256 }, (_, i) => [`k${i}`, i])))).toEqual([]);
    expect(budgetLimits(Object.fromEntries(Array.from({ length: 257 }, (_, i) => [`k${i}`, i])))).toEqual(['fields']);
    expect(budgetLimits({ big: 'x'.repeat(16_385) })).toEqual(['size']);
    expect(budgetLimits({ ['k'.repeat(16_385)]: 1 })).toEqual(['size']);
  });
});

describe('what the real Fluentd sent, per entry (the checker the e2e runs on the engine)', () => {
  it('every entry in exactly one document, the pipeline\'s fields the runtime\'s and the file\'s, the app\'s JSON under json, no stray document', () => {
    const { problems, documents } = checked();
    expect(problems).toEqual([]);
    expect(documents.size).toBe(entries.length);
  });

  it('the line the engine refused (400: an immense term in json._valueAndPath) went to @ERROR and landed once as its fallback, with its own id and the whole record', () => {
    const answers = bulks.flatMap((b) => b.answer.items.map((i) => Object.values(i)[0]));
    const refusals = answers.filter((a) => a.status !== 201);
    expect(refusals).toMatchObject([{ _index: `${PREFIX}-2026-12-07`, status: 400, error: { type: 'illegal_argument_exception' } }]);
    expect(refusals[0].error!.reason).toMatch(/immense term in field="json\._valueAndPath"/);
    expect(refused.map((d) => d.id)).toEqual([refusals[0]._id]);
    const fallback = checked().documents.get(byId('C05'))!;
    expect([fallback.index, fallback.id]).toEqual([`${REJECTED}-2026-12-07`, refusals[0]._id]);
    expect(fallback.source).toMatchObject({ [REJECTED_MARKER]: true, stream: 'stdout', logtag: 'F', '@timestamp': fluentdTimestamp(byId('C05').time), kubernetes: { namespace_name: 'team-c', container_name: 'search' } });
    expect(Object.keys(fallback.source).sort()).toEqual(['@timestamp', DOCUMENT_ID_KEY, REJECTED_MARKER, 'kubernetes', 'logtag', 'message', 'span_id', 'stream', 'trace_id']);
    expect(sent.filter(isFallback)).toEqual([fallback]);
    // Fluentd's one warn line: the 400 of that line's file and time, sent to @ERROR.
    const warnings = capture('fluentd.log').split('\n').filter((l) => /\[(warn|error|fatal)\]/.test(l));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('send an error event to @ERROR');
    expect(warnings[0]).toContain('400 - Rejected by Elasticsearch');
    expect(warnings[0]).toContain(`tag="kubernetes.var.log.containers.${byId('C05').file}" time=2026-12-07 10:00:00.000028123 +0000`);
  });

  it('sends every document with an `index` action and the id derived from the line (never `create`); valid UTF-8 bodies', () => {
    for (const bulk of bulks) {
      expect(bulk.body.equals(Buffer.from(new TextDecoder('utf-8', { fatal: true }).decode(bulk.body)))).toBe(true);
      for (const { action, document } of bulk.items) {
        expect(Object.keys(action)).toEqual(['index']);
        expect(action.index._id).toBe(document[DOCUMENT_ID_KEY]);
      }
    }
    // The id begins with the runtime's time of the line (seconds, nanoseconds), so the same line re-sent has the same id.
    const { documents } = checked();
    for (const [entry, doc] of documents) {
      const [, seconds, nanos] = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{9})Z$/.exec(entry.time)!;
      expect([parseInt(doc.id.slice(0, 10), 16), parseInt(doc.id.slice(10, 18), 16)]).toEqual([Date.parse(`${seconds}Z`) / 1000, Number(nanos)]);
    }
    // One id per entry: a refused line's fallback carries the id of the line's refused document.
    expect(new Set(sent.map((d) => d.id)).size).toBe(entries.length);
  });

  it("keeps an app's own pipeline names under json, where they cannot clash: its @timestamp, kubernetes, stream, logtag and markers", () => {
    const doc = (id: string) => checked().documents.get(byId(id))!.source as Record<string, any>;
    expect(doc('A02')['@timestamp']).toBe(fluentdTimestamp(byId('A02').time));
    expect(doc('A02').json['@timestamp']).toBe('2020-01-01T00:00:00Z');
    expect(doc('A04').kubernetes.namespace_name).toBe('team-a');
    expect(doc('A04').json.kubernetes.namespace_name).toBe('kube-system');
    expect([doc('A05').stream, doc('A05').json.stream, doc('A05').logtag, doc('A05').json.logtag]).toEqual(['stderr', 'stdout-fake', 'F', 'X']);
    expect(doc('A06')).not.toHaveProperty(REJECTED_MARKER);
    expect(doc('A06').json).toMatchObject({ fluentd_rejected: true, fluentd_budget_exceeded: 'no', json: { own: 'json field' }, message: 'app message field' });
    expect(doc('A06')).not.toHaveProperty('trace_id'); // "not-a-trace-id" is not a W3C id
    expect(doc('C01').fluentd_budget_exceeded).toEqual(['fields']);
    expect(Object.keys(doc('C01').json)).toHaveLength(256);
  });

  describe('the checker catches what the issue forbids', () => {
    const docOf = (id: string) => checked().documents.get(byId(id))!;
    /** The checker's problems with one stored document of the capture changed. */
    const withChanged = (id: string, change: (d: StoredDocument) => StoredDocument | StoredDocument[] | undefined) => {
      const target = docOf(id);
      const docs = stored.flatMap((d) => (d === target ? (change(structuredClone(d)) ?? []) : [d]));
      return checkDocuments(entries, docs, PREFIX, refused).problems.join('\n');
    };
    const [refusedDocument] = refused;
    const source = (d: StoredDocument, more: Record<string, unknown>, less: string[] = []) => ({ ...d, source: Object.fromEntries(Object.entries({ ...d.source, ...more }).filter(([k]) => !less.includes(k))) });

    it.each<[string, string, (d: StoredDocument) => StoredDocument | StoredDocument[] | undefined, RegExp]>([
      ['a line lost', 'D03', () => undefined, /D03 \(new field after C\) is in 0 documents/],
      ['a line twice (a chunk re-sent without ids)', 'E02', (d) => [d, { ...d, id: 'other' }], /E02 \(Java\) is in 2 documents/],
      ["the index of the app's @timestamp", 'A02', (d) => ({ ...d, index: 'fluentd-2020-01-01' }), /A02 .*index "fluentd-2020-01-01", not "fluentd-2026-12-07"/],
      ["the app's stream", 'A05', (d) => source(d, { stream: 'stdout-fake' }), /A05 .* is in 0 documents[\s\S]*document\(s\) of no entry/],
      ["the app's logtag", 'A05', (d) => source(d, { logtag: 'X' }), /A05 .*logtag "X", not "F"/],
      ["the app's kubernetes", 'A04', (d) => source(d, { kubernetes: { ...(d.source.kubernetes as object), container_name: 'kube-apiserver' } }), /A04 .*kubernetes \["payments-6d9f8b7c5-q7w2e","team-a","kube-apiserver"\]/],
      ['an app field at the top', 'D03', (d) => source(d, { orders_after_field: 'seen-after' }), /D03 .*top-level names the pipeline does not own: orders_after_field/],
      ['the JSON object changed', 'B14', (d) => source(d, { json: { ...(d.source.json as object), a: 2 } }), /B14 .*json \{/],
      ['an array as fields', 'B03', (d) => source(d, { json: { 0: { a: 1 } } }), /B03 .*json on a text line/],
      ['null as no message', 'B06', (d) => source(d, {}, ['message']), /B06 .*message undefined, not "null"/],
      ['invalid bytes dropped instead of replaced', 'B09', (d) => source(d, { message: String(d.source.message).replace(/\uFFFD/g, '') }), /B09 .*message "plain text with invalid bytes  here and  there"/],
      ['a stack trace cut to its first line', 'E04', (d) => source(d, { message: 'Traceback (most recent call last):' }), /E04 .*message "Traceback \(most recent call last\):"/],
      ['a frame joined across streams', 'E08', (d) => source(d, { message: `${d.source.message}\n\tat com.example.billing.Split.run(Split.java:5)` }), /E08 .*message/],
      ['the budget marker missing', 'C02', (d) => source(d, {}, ['fluentd_budget_exceeded']), /C02 .*fluentd_budget_exceeded undefined, not \["depth"\]/],
      ['over the budget with the rest lost', 'C03', (d) => source(d, { message: '949 new keys' }), /C03 .*message "949 new keys"/],
      ['more leaves than the budget', 'C01', (d) => source(d, { json: JSON.parse(byId('C01').text) }), /C01 .*json keeps 2001 leaves/],
      ["a promoted copy that is not the app's", 'A07', (d) => source(d, { level: 'info' }), /A07 .*level "info", not "30"/],
      ['a partial line as complete', 'sample-app-5d8f7c9b7-x2x4q:entry-21', (d) => source(d, { logtag: 'F' }), /entry-21 .*logtag "F", not "P"/],
      ['an id that is not the line\'s', 'B01', (d) => ({ ...d, id: 'random' }), /B01 .*id "random"/],
      ['a refused line without its fallback', 'C05', () => undefined, /C05 \(refused by the engine: fallback\) is in 0 fallback documents of fluentd-rejected-\*/],
      ['a refused line with its fallback twice', 'C05', (d) => [d, { ...d, id: 'other' }], /C05 \(refused by the engine: fallback\) is in 2 fallback documents of fluentd-rejected-\*/],
      ['a refused line in the logs family too', 'C05', (d) => [d, refusedDocument], /C05 .* was refused, yet is in 1 document\(s\) of fluentd-\*/],
      ['a refused line in the logs family instead', 'C05', () => refusedDocument, /C05 .* was refused, yet is in 1 document\(s\) of fluentd-\*[\s\S]*C05 .* is in 0 fallback documents/],
      ['a fallback without the whole record', 'C05', (d) => source(d, { message: 'refused' }), /C05 .*message "refused" is not the refused record as JSON/],
      ['a fallback with the app\'s object at the top', 'C05', (d) => source(d, { json: refusedDocument.source.json }), /C05 .*top-level names the fallback does not own: json/],
      ['a fallback with another id', 'C05', (d) => ({ ...d, id: 'random' }), /C05 .*id \["random","006b/],
      ['a fallback of a line the engine stored', 'D03', (d) => [d, { ...d, index: `${REJECTED}-2026-12-07`, source: { ...d.source, [REJECTED_MARKER]: true } }], /D03 .* is in 1 fallback document\(s\) of fluentd-rejected-\*, though the engine refused none of its documents/],
    ])('%s', (_what, id, change, problem) => {
      expect(withChanged(id, change)).toMatch(problem);
    });

    it('an engine that stores the line the capture\'s engine refused (Elasticsearch 9 would): the intent and the stray fallback named', () => {
      const problems = checkDocuments(entries, [...stored, { ...refusedDocument }], PREFIX, []).problems.join('\n');
      expect(problems).toMatch(/C05 .*: entries\.json says the engine refuses it, the engine stored it/);
      expect(problems).toMatch(/C05 .* is in 1 fallback document\(s\) of fluentd-rejected-\*, though the engine refused none of its documents/);
    });
  });
});

describe("Fluentd's own counts at the end of the capture agree with its input", () => {
  const metrics = parsePrometheusText(capture('metrics.txt'));
  const plugins = parseMonitorPlugins(capture('monitor_agent.json'), 'monitor_agent.json');
  const total = (name: string) => sumOf(metrics, name);

  it("in_tail's emit_records (what verify reports as lines read) is every CRI line of the input; out_es sent one record per entry; the refused one to @ERROR, its fallback through out_es_rejected", () => {
    const linesRead = emitRecords(plugins, FLUENTD_PLUGIN_IDS.tail, 'monitor_agent');
    const toLogs = sumOf(metrics, 'fluentd_output_status_emit_records', { plugin_id: FLUENTD_OUTPUTS.logs });
    const toFallback = sumOf(metrics, 'fluentd_output_status_emit_records', { plugin_id: FLUENTD_OUTPUTS.rejected });
    expect(linesRead).toBe(entries.reduce((n, e) => n + e.lines, 0));
    expect(toLogs).toBe(entries.length);
    expect(total(FLUENTD_COUNTERS.errorLabel)).toBe(refused.length);
    expect(toFallback).toBe(sent.filter(isFallback).length);
    expect([linesRead, toLogs, total(FLUENTD_COUNTERS.errorLabel), toFallback, stored.length]).toEqual([84, 64, 1, 1, 64]);
    // Every item stored but the refused entry's (400); nothing failed a flush.
    expect(bulks.flatMap((b) => b.answer.items.map((i) => i.index.status))).toEqual(sent.map((d) => (refused.some((r) => r.index === d.index && r.id === d.id) ? 400 : 201)));
    for (const output of Object.values(FLUENTD_OUTPUTS)) expect(sumOf(metrics, 'fluentd_output_status_num_errors', { plugin_id: output })).toBe(0);
    // No per-record counting filter on the main path: Fluentd no longer serves one.
    expect(metrics.some((s) => s.name.startsWith('fluentd_input_status_num_records'))).toBe(false);
  });

  it("app_line's counters: the lines with invalid UTF-8, the JSON lines cut at the budget; concat's: the partial line", () => {
    const raw = readdirSync(join(FLUENTD_CAPTURE_DIR, 'input')).flatMap((f) => criLines(readFileSync(join(FLUENTD_CAPTURE_DIR, 'input', f))));
    expect(total(FLUENTD_COUNTERS.invalidUtf8)).toBe(raw.filter((l) => !l.text.equals(Buffer.from(l.text.toString('utf8')))).length);
    const cut = stored.filter((d) => 'fluentd_budget_exceeded' in d.source);
    expect(total(FLUENTD_COUNTERS.overBudget)).toBe(cut.length);
    expect(cut.length).toBe(entries.filter((e: LogEntry) => e.kind === 'object' && budgetLimits(JSON.parse(e.text)).length > 0).length);
    expect(total(FLUENTD_COUNTERS.partialTimeouts)).toBe(entries.filter((e) => !e.complete).length);
  });
});

describe('the logs template: a fixed mapping that holds every name the pipeline writes', () => {
  it.each([
    ['elasticsearch', { type: 'flattened', ignore_above: 1024 }],
    ['opensearch', { type: 'flat_object' }],
  ] as const)('%s: not dynamic; the app\'s object and the pod labels each ONE field; every top-level name of every document the real Fluentd sent to the logs family is mapped', (engine, oneField) => {
    const { mappings } = logsIndexTemplate(PREFIX, 0, engine).template;
    const props = mappings.properties as Record<string, { type?: string; properties?: Record<string, unknown> }>;
    expect(mappings.dynamic).toBe(false);
    expect(props.json).toEqual(oneField);
    expect(props.kubernetes.properties!.labels).toEqual(oneField);
    const names = (pick: (d: Record<string, unknown>) => unknown) => [...new Set(sent.filter((d) => !isFallback(d)).flatMap((d) => Object.keys((pick(d.source) as object) ?? {})))].sort();
    // `_hash` is the id (kept in _source for a re-emitted record, not searched).
    expect(names((d) => d).filter((n) => !(n in props) && n !== DOCUMENT_ID_KEY)).toEqual([]);
    expect(names((d) => d.kubernetes).filter((n) => !(n in props.kubernetes.properties!))).toEqual([]);
    expect(names((d) => d.docker).filter((n) => !(n in props.docker.properties!))).toEqual([]);
    expect(names((d) => d)).toEqual(expect.arrayContaining(['json', 'message', 'fluentd_budget_exceeded', 'trace_id', 'span_id', 'level']));
  });

  it('the fallback family: not dynamic, every top-level name of the fallback the real Fluentd sent mapped, the pod as four keywords', () => {
    const { mappings } = rejectedLogsIndexTemplate(REJECTED, 0, REJECTED_MARKER).template;
    const props = mappings.properties as Record<string, { type?: string; properties?: Record<string, unknown> }>;
    const fallbacks = sent.filter(isFallback);
    expect(mappings.dynamic).toBe(false);
    expect(fallbacks).toHaveLength(1);
    expect([...new Set(fallbacks.flatMap((d) => Object.keys(d.source)))].filter((n) => !(n in props) && n !== DOCUMENT_ID_KEY)).toEqual([]);
    expect(Object.keys(fallbacks[0].source.kubernetes as object).sort()).toEqual(Object.keys(props.kubernetes.properties!).sort());
    expect(props[REJECTED_MARKER]).toEqual({ type: 'boolean' });
  });

  it('the readiness gate applies the Elasticsearch variant (flattened) in the deployed stack', () => {
    const templates = Object.values<any>(readStacks(outdirOf(build())).elasticsearch.resource!.kubernetes_config_map_v1).find((c) => c.metadata.name === 'elasticsearch-index-templates');
    expect(JSON.parse(templates.data[`${PREFIX}.json`])).toEqual(logsIndexTemplate(PREFIX, 0, 'elasticsearch'));
  });
});

describe('the capture is of what the logging stack deploys today (re-capture after a change: e2e/fixtures/fluentd-1.19.3-issue30/README.md)', () => {
  it('fluent.conf equals the dev profile synthesized config, Terraform escapes read and references resolved', () => {
    const stacks = readStacks(outdirOf(build()));
    const configMap = Object.values<any>(stacks.logging.resource!.kubernetes_config_map_v1).find((c) => 'fluent.conf' in c.data);
    const deployed = resolveTemplate(configMap.data['fluent.conf'], 'logging', stacks);
    // The capture saved the config with a final newline; the ConfigMap has none.
    expect(deployed).toBe(capture('fluent.conf').replace(/\n$/, ''));
  });

  it('plugins-app/ holds exactly our plugins, byte for byte', () => {
    const dir = join(FLUENTD_CAPTURE_DIR, 'plugins-app');
    expect(readdirSync(dir).sort()).toEqual([...FLUENTD_PLUGIN_FILES].sort());
    for (const file of FLUENTD_PLUGIN_FILES) expect({ file, same: readFileSync(join(dir, file)).equals(readFileSync(join(FLUENTD_PLUGIN_SOURCE_DIR, file))) }).toEqual({ file, same: true });
  });

  it("the capture engine had this code's two logs templates for OpenSearch", () => {
    expect(JSON.parse(capture(`index-template-${PREFIX}.json`))).toEqual(logsIndexTemplate(PREFIX, 0, 'opensearch'));
    expect(JSON.parse(capture(`index-template-${rejectedIndexPrefix(PREFIX)}.json`))).toEqual(rejectedLogsIndexTemplate(rejectedIndexPrefix(PREFIX), 0, REJECTED_MARKER));
  });
});
