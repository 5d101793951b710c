/**
 * What each log entry of a capture's container log files must be in the documents, per entry:
 * the capture of the real Fluentd 1.19.3 on our fluent.conf and plugins (e2e/fixtures/
 * fluentd-1.19.3-issue30: its input files, the lab's intent per entry in entries.json, the bulk
 * bodies Fluentd sent and the engine's answers). One checker for both readings: offline on the
 * bulk bodies as the capture's engine answered them (__tests__/fluentd-capture.test.ts), and by
 * the e2e on what the real OpenSearch stored and refused (e2e/fluentd-capture.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { logsIndexTemplate, rejectedLogsIndexTemplate } from '../constructs/elasticsearch/index-templates';
import { APP_JSON_BUDGET, DOCUMENT_ID_KEY } from '../constructs/fluentd/fluent-conf';
import { REJECTED_MARKER, rejectedIndexPrefix } from '../constructs/fluentd/names';

export const FLUENTD_CAPTURE_DIR = join(__dirname, 'fixtures', 'fluentd-1.19.3-issue30');

type Stream = 'stdout' | 'stderr';

/** One line of a CRI container log file: `<RFC3339Nano> <stdout|stderr> <P|F> <text>`, the text as the bytes the app wrote. */
export interface CriLine {
  readonly time: string;
  readonly stream: Stream;
  readonly tag: 'P' | 'F';
  readonly text: Buffer;
}

export function criLines(file: Buffer): CriLine[] {
  const lines: CriLine[] = [];
  let start = 0;
  while (start < file.length) {
    const newline = file.indexOf(0x0a, start);
    const end = newline < 0 ? file.length : newline;
    const line = file.subarray(start, end);
    start = end + 1;
    if (line.length === 0) continue;
    const m = /^(\S+) (stdout|stderr) ([PF]) /.exec(line.subarray(0, 64).toString('latin1'));
    if (!m) throw new Error(`not a CRI log line: ${line.subarray(0, 80).toString()}`);
    lines.push({ time: m[1], stream: m[2] as Stream, tag: m[3] as 'P' | 'F', text: line.subarray(m[0].length) });
  }
  return lines;
}

/** Whose log a file is, from its name as the kubelet writes it: `<pod>_<namespace>_<container>-<container id>.log`. */
export interface ContainerOfFile {
  readonly pod: string;
  readonly namespace: string;
  readonly container: string;
  readonly containerId: string;
}

export function containerOfLogFile(name: string): ContainerOfFile {
  const m = /^([^_]+)_([^_]+)_(.+)-([0-9a-f]{64})\.log$/.exec(name);
  if (!m) throw new Error(`not a container log file name: ${name}`);
  return { pod: m[1], namespace: m[2], container: m[3], containerId: m[4] };
}

/** What one document must hold: a line, a line the runtime split (P…F), or a stack trace's lines. */
export interface LogEntry {
  /** entries.json's id (A01, …), or `<pod>:entry-NN` in the issue-23 file. */
  readonly id: string;
  readonly note: string;
  readonly file: string;
  readonly container: ContainerOfFile;
  readonly stream: Stream;
  /** The runtime's time of its first line. */
  readonly time: string;
  /** CRI lines it is made of: the parts of a split line, or a stack trace's lines. */
  readonly lines: number;
  /** Its text: invalid UTF-8 as U+FFFD; a trace's lines joined by `\n`, a split line's parts by nothing. */
  readonly text: string;
  /** False: its last part is a P (the end never came). */
  readonly complete: boolean;
  readonly kind: 'object' | 'text' | 'trace';
  /** The budget limit the lab meant the line to hit (depth, fields, size). */
  readonly budget?: string;
  /** The lab meant the engine to refuse its document (a 400): it lands as one fallback document. */
  readonly refused?: boolean;
}

interface EntriesJson {
  readonly entries: { id: string; file: string; stream: Stream; time: string; lines: number; kind: LogEntry['kind']; note: string; budget?: string; refused?: boolean }[];
  /** The container log file of the issue-23 capture (every line shape of that issue): its entries are its P…F groups. */
  readonly issue23_file: string;
}

const decode = (parts: Buffer[]) => Buffer.concat(parts).toString('utf8');

/**
 * The entries of the capture's input: each entry of entries.json takes `lines` lines of its
 * file and stream from the one at its time; the issue-23 file's P parts join the next F of the
 * same stream (a P group left at the end is an entry too). Every line must be in one entry.
 */
export function captureEntries(dir = FLUENTD_CAPTURE_DIR): LogEntry[] {
  const intent = JSON.parse(readFileSync(join(dir, 'entries.json'), 'utf8')) as EntriesJson;
  const files = readdirSync(join(dir, 'input')).filter((f) => f.endsWith('.log')).sort();
  const entries: LogEntry[] = [];
  for (const file of files) {
    const container = containerOfLogFile(file);
    const lines = criLines(readFileSync(join(dir, 'input', file)));
    if (file === intent.issue23_file) {
      entries.push(...splitLineEntries(lines).map((e) => ({ ...e, file, container, id: `${container.pod}:${/entry-\d+/.exec(e.text)?.[0] ?? e.time}` })));
      continue;
    }
    const used = new Set<number>();
    for (const e of intent.entries.filter((x) => x.file === file)) {
      const first = lines.findIndex((l, i) => !used.has(i) && l.stream === e.stream && l.time === e.time);
      if (first < 0) throw new Error(`entries.json ${e.id}: no ${e.stream} line at ${e.time} in ${file}`);
      const mine = lines.map((l, i) => ({ l, i })).filter(({ l, i }) => i >= first && !used.has(i) && l.stream === e.stream).slice(0, e.lines);
      mine.forEach(({ i }) => used.add(i));
      const texts = mine.map(({ l }) => l.text);
      const text = e.kind === 'trace' ? texts.map((t) => decode([t])).join('\n') : decode(texts);
      entries.push({ id: e.id, note: e.note, file, container, stream: e.stream, time: e.time, lines: mine.length, text, complete: mine[mine.length - 1].l.tag === 'F', kind: e.kind, ...(e.budget ? { budget: e.budget } : {}), ...(e.refused ? { refused: true } : {}) });
    }
    const left = lines.findIndex((_, i) => !used.has(i));
    if (left >= 0) throw new Error(`${file}: its ${lines[left].stream} line at ${lines[left].time} is in no entry of entries.json`);
  }
  const unknown = intent.entries.filter((e) => !files.includes(e.file));
  if (unknown.length) throw new Error(`entries.json names files not in input/: ${[...new Set(unknown.map((e) => e.file))].join(', ')}`);
  return entries;
}

/** P parts joined to the next F of the same stream (the runtime splits per stream), timed by the first part. */
function splitLineEntries(lines: CriLine[]): Omit<LogEntry, 'id' | 'file' | 'container'>[] {
  const open = new Map<Stream, CriLine[]>();
  const out: { at: number; entry: Omit<LogEntry, 'id' | 'file' | 'container'> }[] = [];
  const entry = (parts: CriLine[], complete: boolean) => {
    const text = decode(parts.map((p) => p.text));
    return { note: `${parts.length} part(s)`, stream: parts[0].stream, time: parts[0].time, lines: parts.length, text, complete, kind: complete && jsonObject(text) ? ('object' as const) : ('text' as const) };
  };
  lines.forEach((line, i) => {
    const parts = [...(open.get(line.stream) ?? []), line];
    if (line.tag === 'P') open.set(line.stream, parts);
    else {
      open.delete(line.stream);
      out.push({ at: i, entry: entry(parts, true) });
    }
  });
  for (const parts of open.values()) out.push({ at: lines.length, entry: entry(parts, false) });
  return out.sort((a, b) => a.at - b.at).map((e) => e.entry);
}

export function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

const PIPELINE_NAMES = ['@timestamp', 'stream', 'logtag', 'message', 'json', 'kubernetes', 'docker', 'trace_id', 'level', 'fluentd_rejected', 'fluentd_budget_exceeded'];

/** Stack traces by language, as their text shows it. */
const TRACES: Record<string, RegExp> = {
  Java: /^\tat [\w$.]+\([\w$]+\.java:\d+\)$/m,
  Python: /^Traceback \(most recent call last\):$/m,
  Go: /^goroutine \d+ \[\w+\]:$/m,
  Node: /^ {4}at .+:\d+:\d+\)?$/m,
};

/**
 * The cases of issue #30 (and the line shapes of #23) a capture's input holds, told from the
 * input itself: what each app wrote, in which order, on which stream, in which day.
 */
export function captureCases(entries: readonly LogEntry[]): string[] {
  const cases = new Set<string>();
  const byTime = [...entries].sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  const perDay = new Map<string, Set<string>>();
  const firstKind = new Map<string, string>();
  const keysSeen = new Set<string>();
  // The lines over the field budget (an app's field explosion), by time.
  const explosions = byTime.filter((e) => e.complete && budgetLimits(jsonObject(e.text) ?? {}).includes('fields'));
  let explodedBy: string | undefined;
  for (const e of byTime) {
    perDay.set(e.time.slice(0, 10), (perDay.get(e.time.slice(0, 10)) ?? new Set()).add(e.file));
    if (e.text.includes('\uFFFD')) cases.add('invalid UTF-8');
    if (/\\ud[89a-f][0-9a-f]{2}/i.test(e.text)) cases.add('a JSON escape of a lone surrogate');
    if (e.stream === 'stderr') cases.add('stderr');
    if (!e.complete) cases.add('P without F');
    else if (e.kind !== 'trace' && e.lines > 1) cases.add('P…F');
    if (e.kind === 'trace') for (const [language, frame] of Object.entries(TRACES)) if (frame.test(e.text)) cases.add(`${language} stack trace`);
    if (e.kind === 'text' && /^\tat /.test(e.text)) cases.add('a trace frame on the other stream, alone');
    const object = e.complete ? jsonObject(e.text) : undefined;
    if (!object) {
      let value: unknown = undefined;
      try {
        value = e.complete ? JSON.parse(e.text) : undefined;
      } catch {
        cases.add(e.complete && e.text.trimStart().startsWith('{') ? 'JSON cut short' : 'text');
      }
      if (Array.isArray(value)) cases.add(value.length === 0 ? '[]' : 'array');
      else if (value === null) cases.add('null');
      else if (value !== undefined) cases.add('scalar');
      continue;
    }
    cases.add('JSON object');
    for (const name of PIPELINE_NAMES) if (name in object) cases.add(`an app's own ${name}`);
    for (const limit of budgetLimits(object)) cases.add(`over the budget: ${limit}`);
    if (pathAndValueOverTerm(object)) cases.add('a path and value over the engine\'s term limit');
    for (const [k, v] of Object.entries(object)) {
      const kind = v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
      const seen = firstKind.get(k);
      if (seen === undefined) firstKind.set(k, kind);
      else if (seen !== kind) cases.add('one field, another type in a later line');
      if (explodedBy !== undefined && explodedBy !== e.file && !keysSeen.has(k)) cases.add("a new field after another app's explosion");
      if (explodedBy === undefined && !keysSeen.has(k) && explosions.some((x) => x.time > e.time && x.file !== e.file)) cases.add("a new field before another app's explosion");
      keysSeen.add(k);
    }
    if (explosions.includes(e)) explodedBy = e.file;
  }
  if ([...perDay.values()].some((files) => files.size >= 3)) cases.add('several apps in one day');
  if (perDay.size >= 2) cases.add('lines of two days');
  return [...cases].sort();
}

/** What a capture must hold to prove the issue's cases. */
export const REQUIRED_CASES = [
  'JSON object', 'text', 'array', '[]', 'null', 'scalar', 'JSON cut short', 'stderr', 'P…F', 'P without F',
  'invalid UTF-8', 'a JSON escape of a lone surrogate',
  "an app's own @timestamp", "an app's own kubernetes", "an app's own docker", "an app's own stream", "an app's own logtag", "an app's own fluentd_rejected", "an app's own json", "an app's own message", "an app's own fluentd_budget_exceeded",
  'over the budget: depth', 'over the budget: fields', 'over the budget: size', 'one field, another type in a later line',
  "a path and value over the engine's term limit",
  "a new field before another app's explosion", "a new field after another app's explosion",
  'Java stack trace', 'Python stack trace', 'Go stack trace', 'Node stack trace', 'a trace frame on the other stream, alone',
  'several apps in one day', 'lines of two days',
];

/** Fluentd's `@timestamp` for a CRI time (RFC3339Nano UTC, `Z`): nanoseconds kept, `+00:00`. */
export const fluentdTimestamp = (criTime: string) => criTime.replace(/Z$/, '+00:00');

/** A document as an engine stores it (or as Fluentd sent it): its index, its id, its source. */
export interface StoredDocument {
  readonly index: string;
  readonly id: string;
  readonly source: Record<string, unknown>;
}

/** A `_bulk` request Fluentd sent, verbatim, with the capture engine's answer. */
export interface CapturedBulk {
  readonly name: string;
  readonly body: Buffer;
  readonly items: { readonly action: Record<string, { _index: string; _id?: string }>; readonly document: Record<string, unknown> }[];
  readonly answer: { errors: boolean; items: Record<string, { _index: string; _id: string; status: number; result?: string; error?: { type: string; reason: string } }>[] };
}

/** The capture's bulk requests in the order they arrived (bulk-001.body, …); a body that is not valid UTF-8 throws. */
export function capturedBulks(dir = FLUENTD_CAPTURE_DIR): CapturedBulk[] {
  return readdirSync(dir)
    .filter((f) => /^bulk-\d+\.body$/.test(f))
    .sort()
    .map((f) => {
      const body = readFileSync(join(dir, f));
      const lines = new TextDecoder('utf-8', { fatal: true }).decode(body).split('\n').filter(Boolean);
      if (lines.length % 2) throw new Error(`${f}: an action without its document`);
      const items = Array.from({ length: lines.length / 2 }, (_, i) => ({ action: JSON.parse(lines[2 * i]), document: JSON.parse(lines[2 * i + 1]) }));
      return { name: f.replace(/\.body$/, ''), body, items, answer: JSON.parse(readFileSync(join(dir, f.replace(/\.body$/, '.answer.json')), 'utf8')) };
    });
}

/** The documents of bulk requests as the engine is asked to store them. */
export function documentsOfBulks(bulks: readonly CapturedBulk[]): StoredDocument[] {
  return bulks.flatMap((b) =>
    b.items.map(({ action, document }) => {
      const [meta] = Object.values(action);
      return { index: meta._index, id: meta._id ?? '', source: document };
    }),
  );
}

/**
 * The documents of bulk requests split by the engine's answer per item (`statuses`, in order; by
 * default the capture engine's): those it stored (2xx) and those it refused, as Fluentd sent them.
 */
export function answeredDocuments(bulks: readonly CapturedBulk[], statuses: readonly number[] = bulks.flatMap((b) => b.answer.items.map((i) => Object.values(i)[0].status))): { stored: StoredDocument[]; refused: StoredDocument[] } {
  const docs = documentsOfBulks(bulks);
  if (statuses.length !== docs.length) throw new Error(`${statuses.length} answers for ${docs.length} items`);
  const ok = (i: number) => statuses[i] >= 200 && statuses[i] < 300;
  return { stored: docs.filter((_, i) => ok(i)), refused: docs.filter((_, i) => !ok(i)) };
}

/** Strings compared as text: a lone surrogate is U+FFFD, and a run of U+FFFD counts as one (engines replace per byte or per sequence). */
const UNPAIRED = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
export const asText = (s: string) => s.replace(UNPAIRED, '\uFFFD').replace(/\uFFFD+/g, '\uFFFD');

/** A JSON value as a document can hold it: strings (and keys) as text, infinite numbers as their text. */
function comparable(v: unknown): unknown {
  if (typeof v === 'string') return asText(v);
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (Array.isArray(v)) return v.map(comparable);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [asText(k), comparable(x)]));
  return v;
}

const isContainer = (v: unknown): v is object => v !== null && typeof v === 'object';

/**
 * Which limits of the per-line budget (APP_JSON_BUDGET) an object goes over, as the design
 * states them: objects nested deeper than maxDepth levels (the line's object is level 1), more
 * than maxFields leaf values (a subtree past the depth counts as one: it is kept as its text),
 * a key or string longer than maxValueBytes.
 */
export function budgetLimits(object: Record<string, unknown>, budget: { maxDepth: number; maxFields: number; maxValueBytes: number } = APP_JSON_BUDGET): string[] {
  const hit = new Set<string>();
  let leaves = 0;
  const walk = (v: unknown, level: number) => {
    if (!isContainer(v)) {
      leaves++;
      if (typeof v === 'string' && Buffer.byteLength(v) > budget.maxValueBytes) hit.add('size');
      return;
    }
    if (level > budget.maxDepth) {
      hit.add('depth');
      leaves++;
      return;
    }
    for (const [k, child] of Object.entries(v)) {
      if (!Array.isArray(v) && Buffer.byteLength(k) > budget.maxValueBytes) hit.add('size');
      walk(child, level + 1);
    }
  };
  for (const [k, child] of Object.entries(object)) {
    if (Buffer.byteLength(k) > budget.maxValueBytes) hit.add('size');
    walk(child, 2);
  }
  if (leaves > budget.maxFields) hit.add('fields');
  return [...hit].sort();
}

/** Lucene's longest term in UTF-8 bytes: an item that makes a longer one is refused (400, "immense term"). */
export const MAX_TERM_BYTES = 32766;

/**
 * Whether a leaf of an app's object, its keys and value each within the budget, makes a term over
 * MAX_TERM_BYTES where OpenSearch's `flat_object` indexes path and value as one term
 * (`json._valueAndPath`: `json.<path>=<value>`): the engine refuses the line's document. (Elasticsearch's
 * `flattened` indexes no leaf over its `ignore_above`, 1024: there the same line lands.)
 */
export function pathAndValueOverTerm(object: Record<string, unknown>, budget: { maxValueBytes: number } = APP_JSON_BUDGET): boolean {
  const within = (s: string) => Buffer.byteLength(s) <= budget.maxValueBytes;
  const walk = (v: unknown, path: string): boolean => {
    if (Array.isArray(v)) return v.some((x) => walk(x, path));
    if (isContainer(v)) return Object.entries(v).some(([k, x]) => within(k) && walk(x, `${path}.${k}`));
    return v !== null && within(String(v)) && Buffer.byteLength(`${path}=${String(v)}`) > MAX_TERM_BYTES;
  };
  return walk(object, 'json');
}

/** Whether `kept` is part of `orig`: its keys and values from it, a subtree past the depth as that subtree's JSON text. */
function keptWithin(kept: unknown, orig: unknown): boolean {
  if (typeof kept === 'string' && isContainer(orig)) {
    const parsed = jsonObject(`{"v":${kept}}`);
    return !!parsed && isDeepStrictEqual(comparable(parsed.v), orig);
  }
  if (Array.isArray(kept)) {
    if (!Array.isArray(orig)) return false;
    let j = 0;
    return kept.every((k) => {
      while (j < orig.length && !keptWithin(k, orig[j])) j++;
      return j++ < orig.length;
    });
  }
  if (isContainer(kept)) return isContainer(orig) && !Array.isArray(orig) && Object.entries(kept).every(([k, v]) => k in orig && keptWithin(v, (orig as Record<string, unknown>)[k]));
  return isDeepStrictEqual(kept, orig);
}

/** Leaf values and nesting levels of a kept object. */
function shape(v: unknown, level = 1): { leaves: number; depth: number } {
  if (!isContainer(v)) return { leaves: 1, depth: level - 1 };
  const parts = Object.values(v).map((x) => shape(x, level + 1));
  return { leaves: parts.reduce((n, p) => n + p.leaves, 0), depth: Math.max(level, ...parts.map((p) => p.depth)) };
}

/** The app's own human message: its string `msg` or `message`, the first not empty. */
function humanMessage(object: Record<string, unknown>): string | undefined {
  return ['msg', 'message'].map((k) => object[k]).find((v): v is string => typeof v === 'string' && v !== '');
}

/** The copies the pipeline promotes from the app's object: W3C trace and span ids, a short level word or number. */
function promoted(object: Record<string, unknown>): Record<string, string | undefined> {
  const { trace_id, span_id, level } = object;
  const lvl = Number.isInteger(level) ? String(level) : level;
  return {
    trace_id: typeof trace_id === 'string' && /^[0-9a-f]{32}$/.test(trace_id) ? trace_id : undefined,
    span_id: typeof span_id === 'string' && /^[0-9a-f]{16}$/.test(span_id) ? span_id : undefined,
    level: typeof lvl === 'string' && /^[A-Za-z0-9_-]{1,32}$/.test(lvl) ? lvl : undefined,
  };
}

const PROMOTED = ['trace_id', 'span_id', 'level'] as const;

/** A list of problems, and the check that adds one when a value is not the expected one. */
function problemList() {
  const p: string[] = [];
  const want = (what: string, got: unknown, expected: unknown) => {
    if (!isDeepStrictEqual(got, expected)) p.push(`${what} ${JSON.stringify(got)?.slice(0, 80)}, not ${JSON.stringify(expected)?.slice(0, 80)}`);
  };
  return { p, want };
}

/** What is wrong with `doc` as the document of `entry` (empty: nothing). */
export function entryProblems(entry: LogEntry, doc: StoredDocument, indexPrefix: string): string[] {
  const s = doc.source;
  const { p, want } = problemList();
  const sameText = (what: string, got: unknown, expected: string) => {
    if (typeof got !== 'string' || asText(got) !== asText(expected)) p.push(`${what} ${JSON.stringify(got)?.slice(0, 80)}, not ${JSON.stringify(expected).slice(0, 80)}`);
  };
  want('index', doc.index, `${indexPrefix}-${entry.time.slice(0, 10)}`);
  want('@timestamp', s['@timestamp'], fluentdTimestamp(entry.time));
  want('stream', s.stream, entry.stream);
  want('logtag', s.logtag, entry.complete ? 'F' : 'P');
  const k8s = (s.kubernetes ?? {}) as Record<string, unknown>;
  want('kubernetes', [k8s.pod_name, k8s.namespace_name, k8s.container_name], [entry.container.pod, entry.container.namespace, entry.container.container]);
  want('docker.container_id', (s.docker as Record<string, unknown> | undefined)?.container_id, entry.container.containerId);
  want('id', doc.id, s[DOCUMENT_ID_KEY]);
  const mapped = Object.keys(logsIndexTemplate(indexPrefix, 0).template.mappings.properties);
  const unmapped = Object.keys(s).filter((k) => !mapped.includes(k) && k !== DOCUMENT_ID_KEY);
  if (unmapped.length) p.push(`top-level names the pipeline does not own: ${unmapped.join(', ')}`);

  const object = entry.complete && entry.kind === 'object' ? jsonObject(entry.text) : undefined;
  if (entry.kind === 'object' && entry.complete && !object) p.push('entries.json calls it a JSON object, but it is not one');
  if (entry.kind !== 'object' && jsonObject(entry.text)) p.push(`entries.json calls a JSON object ${entry.kind}`);
  if (!object) {
    // Text, a stack trace, an array, a scalar, null, JSON cut short, a line without its end: the text.
    sameText('message', s.message, entry.text);
    for (const k of ['json', 'fluentd_budget_exceeded', ...PROMOTED]) if (k in s) p.push(`${k} on a text line`);
    return p;
  }
  const orig = comparable(object) as Record<string, unknown>;
  const cut = budgetLimits(object);
  if (entry.budget && !cut.includes(entry.budget)) p.push(`the budget: entries.json says ${entry.budget}, the line goes over ${cut.join(', ') || 'nothing'}`);
  const kept = comparable(s.json) as Record<string, unknown>;
  if (cut.length === 0) {
    // Within the budget: the object whole, the app's own message.
    want('json', kept, orig);
    if ('fluentd_budget_exceeded' in s) p.push(`fluentd_budget_exceeded ${JSON.stringify(s.fluentd_budget_exceeded)} within the budget`);
    sameText('message', s.message, humanMessage(object) ?? entry.text);
  } else {
    // Over: fields up to the budget, the rest in `message` (the whole line), and the marker.
    want('fluentd_budget_exceeded', s.fluentd_budget_exceeded, cut);
    sameText('message', s.message, entry.text);
    if (!isContainer(kept) || !keptWithin(kept, orig)) p.push('json is not a part of the line\'s object');
    const { leaves, depth } = shape(kept);
    if (leaves > APP_JSON_BUDGET.maxFields || depth > APP_JSON_BUDGET.maxDepth) p.push(`json keeps ${leaves} leaves, ${depth} levels: over the budget`);
  }
  const copies = promoted(cut.length === 0 ? object : (s.json as Record<string, unknown>) ?? {});
  for (const k of PROMOTED) want(k, s[k], copies[k]);
  return p;
}

/**
 * What is wrong with `doc` as the fallback document of `entry`, whose document the engine refused
 * (`refused`, as Fluentd sent it): the @ERROR route's document, in the rejected family of the
 * line's day, marked, with the line's own id, its stream, logtag, time and pod (no field of the
 * app's), and the whole refused record but its id as one JSON string in `message`.
 */
export function fallbackProblems(entry: LogEntry, doc: StoredDocument, refused: StoredDocument, indexPrefix: string): string[] {
  const s = doc.source;
  const record = refused.source;
  const { p, want } = problemList();
  const rejectedPrefix = rejectedIndexPrefix(indexPrefix);
  want('index', doc.index, `${rejectedPrefix}-${entry.time.slice(0, 10)}`);
  want(REJECTED_MARKER, s[REJECTED_MARKER], true);
  want('id', [doc.id, s[DOCUMENT_ID_KEY]], [refused.id, refused.id]);
  want('@timestamp', s['@timestamp'], fluentdTimestamp(entry.time));
  want('stream', s.stream, entry.stream);
  want('logtag', s.logtag, entry.complete ? 'F' : 'P');
  const k8s = (record.kubernetes ?? {}) as Record<string, unknown>;
  want('kubernetes', s.kubernetes, { namespace_name: entry.container.namespace, pod_name: entry.container.pod, container_name: entry.container.container, host: k8s.host });
  for (const k of ['trace_id', 'span_id']) want(k, s[k] ?? null, typeof record[k] === 'string' ? record[k] : null);
  const mapped = Object.keys(rejectedLogsIndexTemplate(rejectedPrefix, 0, REJECTED_MARKER).template.mappings.properties);
  const unmapped = Object.keys(s).filter((k) => !mapped.includes(k) && k !== DOCUMENT_ID_KEY);
  if (unmapped.length) p.push(`top-level names the fallback does not own: ${unmapped.join(', ')}`);
  // The whole record the engine refused (but its id), which is the line's document as the pipeline writes it.
  const withoutId = Object.fromEntries(Object.entries(record).filter(([k]) => k !== DOCUMENT_ID_KEY));
  const kept = typeof s.message === 'string' ? jsonObject(s.message) : undefined;
  if (!kept || !isDeepStrictEqual(comparable(kept), comparable(withoutId))) p.push(`message ${JSON.stringify(s.message)?.slice(0, 80)} is not the refused record as JSON`);
  p.push(...entryProblems(entry, refused, indexPrefix).map((x) => `the refused record: ${x}`));
  return p;
}

/** Documents are matched to entries by pod, namespace, stream and `@timestamp`. */
const matchKey = (pod: unknown, namespace: unknown, stream: unknown, timestamp: unknown) => JSON.stringify([pod, namespace, stream, timestamp]);

function byMatchKey(docs: readonly StoredDocument[]): Map<string, StoredDocument[]> {
  const byKey = new Map<string, StoredDocument[]>();
  for (const d of docs) {
    const k8s = (d.source.kubernetes ?? {}) as Record<string, unknown>;
    const key = matchKey(k8s.pod_name, k8s.namespace_name, d.source.stream, d.source['@timestamp']);
    byKey.set(key, [...(byKey.get(key) ?? []), d]);
  }
  return byKey;
}

export interface CaptureCheck {
  /** One line per problem: an entry not in exactly one document, a field not as the runtime or the app wrote it, a stray document. */
  readonly problems: string[];
  /** Each entry's document (entries in exactly one): a refused entry's is its fallback document. */
  readonly documents: Map<LogEntry, StoredDocument>;
}

/**
 * Every entry in exactly one document, that document as the pipeline must write it, and no
 * document of no entry. `docs`: what the engine stored, both families; `refused`: the documents
 * the engine refused, as Fluentd sent them. An entry whose document was refused is exactly one
 * fallback document in the rejected family and nowhere else; any other entry is exactly one
 * document of the logs family and has no fallback. entries.json's `refused` must say which.
 */
export function checkDocuments(entries: readonly LogEntry[], docs: readonly StoredDocument[], indexPrefix: string, refused: readonly StoredDocument[] = []): CaptureCheck {
  const rejectedFamily = `${rejectedIndexPrefix(indexPrefix)}-`;
  const isFallback = (d: StoredDocument) => d.index.startsWith(rejectedFamily);
  const logs = byMatchKey(docs.filter((d) => !isFallback(d)));
  const fallbacks = byMatchKey(docs.filter(isFallback));
  const refusals = byMatchKey(refused);
  const problems: string[] = [];
  const documents = new Map<LogEntry, StoredDocument>();
  const claimed = new Set<StoredDocument>();
  for (const e of entries) {
    const key = matchKey(e.container.pod, e.container.namespace, e.stream, fluentdTimestamp(e.time));
    const [mine, fallback, refusal] = [logs, fallbacks, refusals].map((m) => m.get(key) ?? []);
    [...mine, ...fallback, ...refusal].forEach((d) => claimed.add(d));
    const label = `${e.id} (${e.note})`;
    if (!!e.refused !== refusal.length > 0) problems.push(`${label}: entries.json says the engine ${e.refused ? 'refuses' : 'stores'} it, the engine ${refusal.length ? 'refused' : 'stored'} it`);
    if (refusal.length === 0 && fallback.length) problems.push(`${label} is in ${fallback.length} fallback document(s) of ${rejectedFamily}*, though the engine refused none of its documents`);
    if (refusal.length && mine.length) problems.push(`${label} was refused, yet is in ${mine.length} document(s) of ${indexPrefix}-*`);
    const own = refusal.length ? fallback : mine;
    if (own.length !== 1) {
      problems.push(refusal.length ? `${label} is in ${own.length} fallback documents of ${rejectedFamily}*` : `${label} is in ${own.length} documents`);
      continue;
    }
    documents.set(e, own[0]);
    const wrong = refusal.length ? fallbackProblems(e, own[0], refusal[0], indexPrefix) : entryProblems(e, own[0], indexPrefix);
    if (wrong.length) problems.push(`${label}: ${wrong.join('; ')}`);
  }
  const strays = [...docs, ...refused].filter((d) => !claimed.has(d));
  if (strays.length) problems.push(`${strays.length} document(s) of no entry, e.g. ${strays[0].index} ${JSON.stringify(strays[0].source).slice(0, 200)}`);
  const ids = new Set(docs.map((d) => `${d.index}/${d.id}`));
  if (ids.size !== docs.length) problems.push(`${docs.length - ids.size} document(s) share an id`);
  return { problems, documents };
}
