/**
 * e2e: what the real Fluentd 1.19.3 sent for our fluent.conf (e2e/fixtures/fluentd-1.19.3, a
 * capture: the bulk requests exactly as sent), replayed on the real OpenSearch with our two logs
 * templates. Checked against the container log file it read (input-cri.log): every log entry is
 * in exactly one stored document, with its stream and the time it was written; the engine's own
 * 400s are the ones Fluentd answered with a fallback document, and those are stored; the trace
 * link's query returns exactly each trace's lines, rejected ones included.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { validateConfig } from '../config/load';
import { logsIndexTemplate, rejectedLogsIndexTemplate } from '../constructs/elasticsearch/index-templates';
import { REJECTED_MARKER, rejectedIndexPrefix } from '../constructs/fluentd/names';
import { LOG_TRACE_FIELDS, traceLogsQuery } from '../constructs/kibana/trace-logs-query';
import { indexNames, searchJson } from './opensearch';

export const FLUENTD_CAPTURE_DIR = join(__dirname, 'fixtures', 'fluentd-1.19.3');

/** What the runtime split at 16 KiB comes as several parts (P…P F). */
const RUNTIME_LINE_LIMIT = 16 * 1024;

/** One log entry of a CRI container log file: its parts joined, as the app wrote it. */
export interface CriEntry {
  readonly stream: 'stdout' | 'stderr';
  /** The runtime's time of the first part: when the line began. */
  readonly time: string;
  readonly text: string;
  readonly parts: number;
  /** False: the last part is a P (the line's end never came). */
  readonly complete: boolean;
}

/**
 * The entries of a CRI log file (`<RFC3339Nano> <stdout|stderr> <P|F> <text>`): P parts are
 * joined to the F that follows on the same stream (the runtime splits per stream); a P group
 * left at the end is an entry too.
 */
export function criEntries(file: string): CriEntry[] {
  const open = new Map<string, { time: string; texts: string[] }>();
  const entries: { at: number; entry: CriEntry }[] = [];
  const lines = file.split('\n').filter((l) => l !== '');
  lines.forEach((line, i) => {
    const m = /^(\S+) (stdout|stderr) ([PF]) (.*)$/.exec(line);
    if (!m) throw new Error(`not a CRI log line: ${line.slice(0, 80)}`);
    const [, time, stream, tag, text] = m;
    const group = open.get(stream) ?? { time, texts: [] };
    group.texts.push(text);
    if (tag === 'P') open.set(stream, group);
    else {
      open.delete(stream);
      entries.push({ at: i, entry: { stream: stream as CriEntry['stream'], time: group.time, text: group.texts.join(''), parts: group.texts.length, complete: true } });
    }
  });
  for (const [stream, group] of open) entries.push({ at: lines.length, entry: { stream: stream as CriEntry['stream'], time: group.time, text: group.texts.join(''), parts: group.texts.length, complete: false } });
  return entries.sort((a, b) => a.at - b.at).map((e) => e.entry);
}

const jsonObject = (text: string): Record<string, unknown> | undefined => {
  try {
    const v = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
  } catch {
    return undefined;
  }
};

/** JSON type of a value, for the clashes between lines. */
const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** The line shapes an input exercises (the list), and the type clashes between its JSON entries in order of arrival. */
export function lineShapes(entries: readonly CriEntry[]): { shapes: string[]; clashes: string[] } {
  const shapes = new Set<string>();
  const firstKind = new Map<string, string>();
  const clashes = new Set<string>();
  for (const e of entries) {
    const json = e.complete ? jsonObject(e.text) : undefined;
    if (json) {
      shapes.add(typeof json.time === 'string' ? 'JSON, time a string' : typeof json.time === 'number' ? 'JSON, time a number' : 'time' in json ? 'JSON, time other' : 'JSON, no time');
      for (const [k, v] of Object.entries(json)) {
        const seen = firstKind.get(k);
        if (seen === undefined) firstKind.set(k, kind(v));
        else if (seen !== kind(v)) clashes.add(`${seen}→${kind(v)}`);
      }
    } else if (e.complete) shapes.add('text');
    if (e.stream === 'stderr') shapes.add('stderr');
    if (e.parts > 1 && e.complete) shapes.add('P…F');
    if (!e.complete) shapes.add('P without F');
    if (e.text.length > RUNTIME_LINE_LIMIT) shapes.add('over 16 KiB');
  }
  return { shapes: [...shapes], clashes: [...clashes].sort() };
}

/** What the line shapes and clashes of the issue need. */
export const REQUIRED_SHAPES = ['JSON, time a string', 'JSON, time a number', 'JSON, no time', 'text', 'stderr', 'P…F', 'P without F', 'over 16 KiB'];
export const REQUIRED_CLASHES = ['number→string', 'object→string', 'string→number', 'string→object'];

/** Fluentd's `@timestamp` for a CRI time (RFC3339Nano UTC, `Z`): nanoseconds kept, `+00:00`. */
export const fluentdTimestamp = (criTime: string) => criTime.replace(/Z$/, '+00:00');

/** A bulk item as Fluentd sent it. */
export interface SentItem {
  readonly action: { index: { _index: string } };
  readonly document: Record<string, unknown>;
}

/** The bulk requests of the capture, in the order sent (bulk-001.ndjson, …). */
export function capturedRequests(dir = FLUENTD_CAPTURE_DIR): SentItem[][] {
  return readdirSync(dir)
    .filter((f) => /^bulk-\d+\.ndjson$/.test(f))
    .sort()
    .map((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as SentItem));
}

/** The record a stored document carries: a fallback document's is its `message`, parsed. */
export function recordOf(doc: Record<string, unknown>): Record<string, unknown> | undefined {
  if (doc[REJECTED_MARKER] !== true) return doc;
  return jsonObject(String(doc.message));
}

/** Whether `doc` is the document of `entry`: its fields (or text), its stream, its time. */
export function carries(doc: Record<string, unknown>, entry: CriEntry): boolean {
  const record = recordOf(doc);
  if (!record || doc.stream !== entry.stream || record.stream !== entry.stream) return false;
  if (doc['@timestamp'] !== fluentdTimestamp(entry.time)) return false;
  if (doc.logtag !== (entry.complete ? 'F' : 'P')) return false;
  const json = entry.complete ? jsonObject(entry.text) : undefined;
  return json ? Object.entries(json).every(([k, v]) => isDeepStrictEqual(record[k], v)) : record.message === entry.text;
}

type StepFn = (name: string, ok: boolean, detail: string, ms?: number) => void;

interface BulkAnswer {
  errors: boolean;
  items: { index: { _id: string; _index: string; status: number; error?: { type: string; reason: string; caused_by?: { reason: string } } } }[];
}

/** The capture replayed on the real engine, checked (see the file comment). */
export async function fluentdCaptureOnSearchEngine(options: { es: string; step: StepFn; dir?: string }): Promise<void> {
  const { es, step } = options;
  const dir = options.dir ?? FLUENTD_CAPTURE_DIR;
  const t0 = Date.now();
  const prefix = validateConfig({}, 'default config').fluentd.indexPrefix;
  const rejectedPrefix = rejectedIndexPrefix(prefix);
  await searchJson(es, `/_index_template/${prefix}`, { method: 'PUT', body: logsIndexTemplate(prefix, 0) });
  await searchJson(es, `/_index_template/${rejectedPrefix}`, { method: 'PUT', body: rejectedLogsIndexTemplate(rejectedPrefix, 0, REJECTED_MARKER) });

  const entries = criEntries(readFileSync(join(dir, 'input-cri.log'), 'utf8'));
  const requests = capturedRequests(dir);
  // Start every logs index afresh: the retention step leaves today's, made before our templates
  // (no mappings), and the capture's days are not today's once the capture is a day old.
  const captureIndices = [...new Set(requests.flat().map((i) => i.action.index._index))].sort();
  for (const index of (await indexNames(es)).filter((i) => i.startsWith(`${prefix}-`))) {
    const gone = await fetch(`${es}/${index}`, { method: 'DELETE', signal: AbortSignal.timeout(15_000) });
    if (!gone.ok && gone.status !== 404) return step('the real Fluentd\'s documents on the real engine: every line lands', false, `DELETE ${index} answered ${gone.status}`);
  }
  // Each request as Fluentd sent it, in order (a mapping comes from the first line of a field).
  const sent: { item: SentItem; request: number; answer: BulkAnswer['items'][number]['index'] }[] = [];
  for (const [r, items] of requests.entries()) {
    const body = items.flatMap((i) => [JSON.stringify(i.action), JSON.stringify(i.document)]).join('\n') + '\n';
    const res = await fetch(`${es}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body, signal: AbortSignal.timeout(15_000) });
    const answer = (await res.json()) as BulkAnswer;
    if (!res.ok || answer.items?.length !== items.length) return step("the real Fluentd's documents on the real engine: every line lands", false, `bulk request ${r + 1} answered ${res.status}: ${JSON.stringify(answer).slice(0, 300)}`);
    items.forEach((item, i) => sent.push({ item, request: r + 1, answer: answer.items[i].index }));
  }
  const stored = sent.filter((s) => s.answer.status === 201 || s.answer.status === 200);
  const refused = sent.filter((s) => !stored.includes(s));

  // 1. Every entry in exactly one stored document, and no stored document without its entry.
  const problems: string[] = [];
  const carriers = entries.map((e) => stored.filter((s) => carries(s.item.document, e)));
  entries.forEach((e, i) => {
    if (carriers[i].length !== 1) problems.push(`entry ${i + 1} (${e.stream}, "${e.text.slice(0, 50)}…") is in ${carriers[i].length} stored documents`);
  });
  const strays = stored.filter((s) => !entries.some((e) => carries(s.item.document, e)));
  if (strays.length) problems.push(`${strays.length} stored documents carry no input entry: ${JSON.stringify(strays[0].item.document).slice(0, 200)}`);
  const { shapes, clashes } = lineShapes(entries);
  const missingShapes = [...REQUIRED_SHAPES.filter((s) => !shapes.includes(s)), ...REQUIRED_CLASHES.filter((c) => !clashes.includes(c)).map((c) => `clash ${c}`)];
  if (missingShapes.length) problems.push(`the capture's input lacks ${missingShapes.join(', ')}`);
  const mapping = await searchJson<Record<string, { mappings: { properties?: Record<string, { type?: string }> } }>>(es, `/${captureIndices.join(',')}/_mapping`);
  for (const [index, m] of Object.entries(mapping)) {
    for (const field of ['stream', ...Object.values(LOG_TRACE_FIELDS)]) {
      const type = m.mappings.properties?.[field]?.type;
      if (type !== 'keyword') problems.push(`${index} maps ${field} as ${type ?? 'nothing'}, not keyword`);
    }
  }
  const fallbacks = stored.filter((s) => s.item.document[REJECTED_MARKER] === true);
  step(
    "the real Fluentd's documents on the real engine: every line lands",
    problems.length === 0,
    problems.length
      ? problems.join('; ')
      : `${requests.length} bulk requests of Fluentd 1.19.3 replayed with our templates: ${entries.length} entries of input-cri.log each in exactly one of the ${stored.length} stored documents (${fallbacks.length} in ${rejectedPrefix}-*), with its stream and the time its first part was written; shapes ${shapes.join(', ')}; clashes in order of arrival ${clashes.join(', ')}`,
    Date.now() - t0,
  );

  // 2. The engine's own 400s: Fluentd answered each with a fallback document, which is stored.
  const t1 = Date.now();
  const reasons = refused.map((s) => `${s.answer.status} ${s.answer.error?.type}: ${s.answer.error?.caused_by?.reason ?? s.answer.error?.reason}`);
  const rejectedProblems: string[] = [];
  if (refused.length === 0) rejectedProblems.push('the engine refused none of the documents: the fallback path is not exercised');
  for (const s of refused) {
    if (s.answer.status !== 400) rejectedProblems.push(`a ${s.answer.status}, not a 400: ${JSON.stringify(s.answer.error)}`);
    const fallback = sent.filter((f) => f.request > s.request && f.item.document[REJECTED_MARKER] === true && isDeepStrictEqual(recordOf(f.item.document), s.item.document));
    if (fallback.length !== 1) rejectedProblems.push(`${fallback.length} fallback documents for the refused ${JSON.stringify(s.item.document).slice(0, 120)}`);
    else if (!stored.includes(fallback[0])) rejectedProblems.push(`the fallback document was refused too: ${JSON.stringify(fallback[0].answer.error)}`);
  }
  const capturedAnswers = readFileSync(join(dir, 'answers.ndjson'), 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { answer: { status: number } }).answer.status);
  if (!isDeepStrictEqual(capturedAnswers, sent.map((s) => s.answer.status))) rejectedProblems.push(`the engine answers ${sent.map((s) => s.answer.status).join(',')} where the capture's engine answered ${capturedAnswers.join(',')}`);
  step(
    'rejected lines: the engine\'s 400, then Fluentd\'s fallback document stored',
    rejectedProblems.length === 0,
    rejectedProblems.length ? rejectedProblems.join('; ') : `${refused.length} documents refused here as in the capture (${reasons.join('; ')}); each has exactly one fallback document from @ERROR (the refused record whole in message), stored in ${rejectedPrefix}-*`,
    Date.now() - t1,
  );

  // 3. The trace link's query (DSL of the same builder as the KQL) over the logs view's pattern.
  const t2 = Date.now();
  const linkProblems: string[] = [];
  const traces = [...new Set(stored.map((s) => s.item.document[LOG_TRACE_FIELDS.traceId]).filter((t): t is string => typeof t === 'string'))];
  const untraced = stored.filter((s) => typeof s.item.document[LOG_TRACE_FIELDS.traceId] !== 'string').length;
  let withFallback = 0;
  for (const traceId of traces) {
    const want = stored.filter((s) => s.item.document[LOG_TRACE_FIELDS.traceId] === traceId).map((s) => s.answer._id).sort();
    const res = await searchJson<{ hits: { hits: { _id: string }[] } }>(es, `/${prefix}-*/_search`, { method: 'POST', body: { size: 1000, query: traceLogsQuery({ traceId }).dsl } });
    const got = res.hits.hits.map((h) => h._id).sort();
    if (!isDeepStrictEqual(got, want)) linkProblems.push(`trace ${traceId}: the query returned ${got.length} documents, expected ${want.length}`);
    if (stored.some((s) => s.item.document[LOG_TRACE_FIELDS.traceId] === traceId && s.item.document[REJECTED_MARKER] === true)) withFallback++;
  }
  if (traces.length < 2) linkProblems.push('fewer than two traces among the lines: the check would prove little');
  if (withFallback === 0) linkProblems.push('no trace has a rejected line: the check does not show rejected lines are found');
  step(
    "the link's query returns exactly each trace's lines, rejected ones too",
    linkProblems.length === 0,
    linkProblems.length ? linkProblems.join('; ') : `${traces.length} traces: ${traceLogsQuery({ traceId: traces[0] }).kql} (as DSL) on ${prefix}-* → exactly each trace's stored lines (${withFallback} of them with a line from ${rejectedPrefix}-*); ${untraced} untraced lines not returned`,
    Date.now() - t2,
  );
}
