/**
 * e2e: what the real Fluentd 1.19.3 sent for our fluent.conf and plugins (e2e/fixtures/
 * fluentd-1.19.3-issue30, a capture: the bulk request bodies verbatim, the fallback bulk of its
 * @ERROR route among them), replayed on the real OpenSearch with our templates, and checked per
 * entry of the container log files it read (e2e/fluentd-capture-check.ts): every item answered as
 * the capture's engine answered it (the refused one refused again); exactly one document each (a
 * refused line's: its fallback in the rejected family), the pipeline's fields equal the runtime's
 * and the API server's, the app's JSON under `json`, no index but the line's day; replayed twice,
 * the same documents (ids from the line); what apps wrote is searchable (every message: a phrase
 * of its text, or `message.keyword` when it has no word; each JSON leaf by its path), forged
 * names find nothing; the trace link's query returns exactly each trace's lines.
 */
import { isDeepStrictEqual } from 'node:util';
import { validateConfig } from '../config/load';
import { logsIndexTemplate, rejectedLogsIndexTemplate } from '../constructs/elasticsearch/index-templates';
import { REJECTED_MARKER, rejectedIndexPrefix } from '../constructs/fluentd/names';
import { LOG_TRACE_FIELDS, traceLogsQuery } from '../constructs/kibana/trace-logs-query';
import { answeredDocuments, captureCases, CapturedBulk, captureEntries, capturedBulks, checkDocuments, FLUENTD_CAPTURE_DIR, jsonObject, LogEntry, REQUIRED_CASES, StoredDocument } from './fluentd-capture-check';
import { indexNames, searchJson } from './opensearch';

type StepFn = (name: string, ok: boolean, detail: string, ms?: number) => void;

interface BulkItemAnswer {
  _index: string;
  _id: string;
  status: number;
  result?: string;
  error?: { type: string; reason: string };
}

/** A request body as Fluentd sent it, to `_bulk` (refreshed, so a search sees it); the engine's answer per item. */
async function replay(es: string, bulk: CapturedBulk): Promise<BulkItemAnswer[]> {
  const res = await fetch(`${es}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: bulk.body, signal: AbortSignal.timeout(30_000) });
  const answer = (await res.json()) as { items?: Record<string, BulkItemAnswer>[] };
  if (!res.ok || answer.items?.length !== bulk.items.length) throw new Error(`${bulk.name} answered ${res.status}: ${JSON.stringify(answer).slice(0, 300)}`);
  return answer.items.map((i) => Object.values(i)[0]);
}

/** Every document of the logs family, as stored. */
async function storedDocuments(es: string, prefix: string): Promise<StoredDocument[]> {
  const res = await searchJson<{ hits: { hits: { _index: string; _id: string; _source: Record<string, unknown> }[] } }>(es, `/${prefix}-*/_search`, { method: 'POST', body: { size: 10_000, query: { match_all: {} } } });
  return res.hits.hits.map((h) => ({ index: h._index, id: h._id, source: h._source }));
}

/** The ids a query returns over the logs family. */
async function idsOf(es: string, prefix: string, query: unknown): Promise<string[]> {
  const res = await searchJson<{ hits: { hits: { _id: string }[] } }>(es, `/${prefix}-*/_search`, { method: 'POST', body: { size: 1000, _source: false, query } });
  return res.hits.hits.map((h) => h._id).sort();
}

/** Leaves of a JSON object by dotted path (objects only; keys with a dot or empty are left out: a path cannot name them alone). */
function leaves(object: Record<string, unknown>, path = 'json'): [string, string][] {
  return Object.entries(object).flatMap(([k, v]): [string, string][] => {
    if (k === '' || k.includes('.')) return [];
    if (v !== null && typeof v === 'object') return Array.isArray(v) ? [] : leaves(v as Record<string, unknown>, `${path}.${k}`);
    return v === null ? [] : [[`${path}.${k}`, String(v)]];
  });
}

/** A phrase of a message to search for: up to 300 characters, ending on a word boundary; undefined when it has no word. */
function phraseOf(message: string): string | undefined {
  const phrase = message.length > 300 ? message.slice(0, 300).replace(/[\p{L}\p{N}_]+$/u, '') : message;
  return /[\p{L}\p{N}]/u.test(phrase) ? phrase : undefined;
}

/** The capture replayed on the real engine, checked (see the file comment). */
export async function fluentdCaptureOnSearchEngine(options: { es: string; step: StepFn; dir?: string }): Promise<void> {
  const { es, step } = options;
  const dir = options.dir ?? FLUENTD_CAPTURE_DIR;
  const t0 = Date.now();
  const prefix = validateConfig({}, 'default config').fluentd.indexPrefix;
  const rejectedPrefix = rejectedIndexPrefix(prefix);
  const template = logsIndexTemplate(prefix, 0, 'opensearch');
  const rejectedTemplate = rejectedLogsIndexTemplate(rejectedPrefix, 0, REJECTED_MARKER);
  await searchJson(es, `/_index_template/${prefix}`, { method: 'PUT', body: template });
  await searchJson(es, `/_index_template/${rejectedPrefix}`, { method: 'PUT', body: rejectedTemplate });
  const entries = captureEntries(dir);
  const bulks = capturedBulks(dir);
  const landName = "the real Fluentd's documents on the real engine: each line exactly once, as the pipeline writes it";
  // Start every logs index afresh: the retention step leaves today's, made before our templates.
  for (const index of (await indexNames(es)).filter((i) => i.startsWith(`${prefix}-`))) {
    const gone = await fetch(`${es}/${index}`, { method: 'DELETE', signal: AbortSignal.timeout(15_000) });
    if (!gone.ok && gone.status !== 404) return step(landName, false, `DELETE ${index} answered ${gone.status}`);
  }

  // 1. The requests in the order they came; the engine answers each item as the capture's engine did (a refusal too).
  const cases = captureCases(entries);
  const problems: string[] = REQUIRED_CASES.filter((c) => !cases.includes(c)).map((c) => `the capture's input lacks the case "${c}"`);
  const first: BulkItemAnswer[] = [];
  const answerOf = (a: BulkItemAnswer) => [a._index, a._id, a.status, a.error?.type];
  try {
    for (const bulk of bulks) {
      const answers = await replay(es, bulk);
      const captured = bulk.answer.items.map((i) => Object.values(i)[0]);
      if (!isDeepStrictEqual(answers.map(answerOf), captured.map(answerOf))) {
        problems.push(`${bulk.name}: the engine answered ${answers.map((a) => `${a.status} ${a.error?.type ?? a._id}`).join(', ').slice(0, 200)} where the capture's engine answered ${captured.map((a) => `${a.status} ${a.error?.type ?? a._id}`).join(', ').slice(0, 200)}`);
      }
      first.push(...answers);
    }
  } catch (err) {
    return step(landName, false, (err as Error).message, Date.now() - t0);
  }
  const docs = await storedDocuments(es, prefix);
  const { refused } = answeredDocuments(bulks, first.map((a) => a.status));
  const check = checkDocuments(entries, docs, prefix, refused);
  problems.push(...check.problems);
  // No index but the lines' days (not an app's own @timestamp's; a refused line's in the rejected family), and no field added by any line.
  const days = [...new Set(entries.map((e) => `${e.refused ? rejectedPrefix : prefix}-${e.time.slice(0, 10)}`))].sort();
  const indices = (await indexNames(es)).filter((i) => i.startsWith(`${prefix}-`)).sort();
  if (!isDeepStrictEqual(indices, days)) problems.push(`indices ${indices.join(', ')}, not exactly the lines' days ${days.join(', ')}`);
  const present = days.filter((d) => indices.includes(d));
  const mapping = present.length ? await searchJson<Record<string, { mappings: { properties?: Record<string, { type?: string }> } }>>(es, `/${present.join(',')}/_mapping`) : {};
  for (const [index, m] of Object.entries(mapping)) {
    const fallbacks = index.startsWith(`${rejectedPrefix}-`);
    const templateFields = Object.keys((fallbacks ? rejectedTemplate : template).template.mappings.properties).sort();
    const fields = Object.keys(m.mappings.properties ?? {}).sort();
    if (!isDeepStrictEqual(fields, templateFields)) problems.push(`${index} maps ${fields.filter((f) => !templateFields.includes(f)).join(', ') || 'fewer fields'} beside the template's`);
    for (const field of ['stream', 'logtag', ...Object.values(LOG_TRACE_FIELDS)]) if (m.mappings.properties?.[field]?.type !== 'keyword') problems.push(`${index} maps ${field} as ${m.mappings.properties?.[field]?.type ?? 'nothing'}, not keyword`);
    if (!fallbacks && m.mappings.properties?.json?.type !== 'flat_object') problems.push(`${index} maps json as ${m.mappings.properties?.json?.type}, not flat_object`);
  }
  const kinds = ['object', 'text', 'trace'].map((k) => `${entries.filter((e) => e.kind === k).length} ${k}`).join(', ');
  const refusals = first.filter((a) => a.status >= 300).map((a) => `${a.status} ${a.error?.type}`);
  const overBudget = [...check.documents.values()].filter((d) => 'fluentd_budget_exceeded' in d.source).length;
  const fieldCount = (t: typeof template) => Object.keys(t.template.mappings.properties).length;
  step(
    landName,
    problems.length === 0,
    problems.length
      ? problems.join('; ')
      : `${bulks.length} bulk requests of Fluentd 1.19.3 replayed verbatim with our templates (OpenSearch: json flat_object): ${entries.length} entries of ${new Set(entries.map((e) => e.file)).size} apps' files (${kinds}) each in exactly one of the ${docs.length} documents (${cases.length} cases of #23 and #30), every answer as the capture's engine gave it (${refusals.length} refused: ${refusals.join(', ') || 'none'}; each such line exactly once in ${rejectedPrefix}-*, marked, its own id, the whole record in message, nowhere else); stream, logtag, @timestamp the runtime's, kubernetes.* the file's pod, JSON objects whole under json (${overBudget} over the budget: marked, the whole line in message), other lines as their text, invalid bytes as U+FFFD; indices ${days.join(', ')} only, each mapping exactly its template's fields (${fieldCount(template)} logs, ${fieldCount(rejectedTemplate)} fallback)`,
    Date.now() - t0,
  );

  // 2. The same requests again (a chunk re-sent after a crash, a retried bulk): the same documents; the refused item refused again.
  const t1 = Date.now();
  const againProblems: string[] = [];
  const again: BulkItemAnswer[] = [];
  for (const bulk of bulks) again.push(...(await replay(es, bulk)));
  const after = await storedDocuments(es, prefix);
  if (after.length !== docs.length) againProblems.push(`${after.length} documents after the second replay, ${docs.length} after the first`);
  if (!isDeepStrictEqual(again.map((a) => a._id), first.map((a) => a._id))) againProblems.push('the second replay wrote other ids');
  const unlike = again.filter((a, i) => (first[i].status >= 300 ? a.status !== first[i].status : a.status !== 200 || a.result !== 'updated'));
  if (unlike.length) againProblems.push(`${unlike.length} items of the second replay were neither overwrites (200 updated) nor refused as the first time: ${JSON.stringify(unlike[0]).slice(0, 300)}`);
  againProblems.push(...checkDocuments(entries, after, prefix, answeredDocuments(bulks, again.map((a) => a.status)).refused).problems.map((p) => `after the second replay: ${p}`));
  step(
    'the bulks replayed twice: the same documents (ids from the line)',
    againProblems.length === 0,
    againProblems.length
      ? againProblems.join('; ')
      : `every one of the ${again.length - refusals.length} items stored the first time, sent again, overwrote its document (200 updated, same _id), the ${refusals.length} refused refused again: still ${after.length} documents, each entry still in exactly one`,
    Date.now() - t1,
  );

  // 3. What apps wrote is searchable, and an app's names under `json` never stand for the pipeline's.
  const t2 = Date.now();
  const searchProblems: string[] = [];
  let phrases = 0;
  let paths = 0;
  const textless: string[] = [];
  const objects = new Map<LogEntry, Record<string, unknown>>();
  for (const [entry, doc] of check.documents) {
    const message = String(doc.source.message);
    const phrase = phraseOf(message);
    if (phrase === undefined) {
      // No word for the analyzer to make a token of: the exact line, by the keyword subfield.
      textless.push(JSON.stringify(message));
      const want = [...check.documents.values()].filter((d) => d.source.message === message).map((d) => d.id).sort();
      const got = await idsOf(es, prefix, { term: { 'message.keyword': message } });
      if (!isDeepStrictEqual(got, want)) searchProblems.push(`${entry.id}: message.keyword:${JSON.stringify(message.slice(0, 40))} returns ${got.length} documents, not the ${want.length} with that message`);
    } else {
      phrases++;
      if (!(await idsOf(es, prefix, { match_phrase: { message: phrase } })).includes(doc.id)) searchProblems.push(`${entry.id}: message:"${phrase.slice(0, 40)}" does not find it`);
    }
    const json = doc.source.json as Record<string, unknown> | undefined;
    if (json) objects.set(entry, json);
  }
  // Each leaf by its path: a value only one line has finds exactly that line, whatever came before it in the day.
  const all = [...objects.entries()].flatMap(([entry, json]) => leaves(json).map(([path, value]) => ({ entry, path, value })));
  for (const { entry, path, value } of all) {
    const expected = all.filter((l) => l.path === path && l.value === value).map((l) => check.documents.get(l.entry)!.id).sort();
    const got = await idsOf(es, prefix, { term: { [path]: value } });
    paths++;
    if (!expected.every((id) => got.includes(id))) searchProblems.push(`${entry.id}: ${path}:"${value.slice(0, 40)}" does not find it`);
    else if (expected.length === 1 && got.length !== 1) searchProblems.push(`${entry.id}: ${path}:"${value.slice(0, 40)}" finds ${got.length} documents, only it has that value`);
  }
  // An app's own kubernetes.* is data: the pipeline's fields of that name find only that pod's lines.
  let forged = 0;
  for (const [entry] of check.documents) {
    const own = (jsonObject(entry.text)?.kubernetes as Record<string, unknown> | undefined)?.namespace_name;
    if (typeof own !== 'string') continue;
    forged++;
    const got = await idsOf(es, prefix, { term: { 'kubernetes.namespace_name': own } });
    const theirs = [...check.documents].filter(([e]) => e.container.namespace === own).map(([, d]) => d.id).sort();
    if (!isDeepStrictEqual(got, theirs)) searchProblems.push(`${entry.id}: kubernetes.namespace_name:"${own}" (its forged value) returns ${got.length} documents, not that namespace's ${theirs.length}`);
  }
  if (forged === 0) searchProblems.push('no line forges kubernetes.namespace_name: the check proves nothing');
  // The budget marker finds exactly the lines cut at the budget.
  const markers = new Set([...check.documents.values()].flatMap((d) => (d.source.fluentd_budget_exceeded as string[] | undefined) ?? []));
  for (const marker of markers) {
    const expected = [...check.documents.values()].filter((d) => ((d.source.fluentd_budget_exceeded as string[] | undefined) ?? []).includes(marker)).map((d) => d.id).sort();
    const got = await idsOf(es, prefix, { term: { fluentd_budget_exceeded: marker } });
    if (!isDeepStrictEqual(got, expected)) searchProblems.push(`fluentd_budget_exceeded:${marker} returns ${got.length} documents, not the ${expected.length} cut at that limit`);
  }
  step(
    'what apps wrote is searchable; their names under json never stand for the pipeline\'s',
    searchProblems.length === 0,
    searchProblems.length
      ? searchProblems.slice(0, 10).join('; ') + (searchProblems.length > 10 ? `; … ${searchProblems.length - 10} more` : '')
      : `every message found: ${phrases} by a phrase of their text, ${textless.length} without a word by message.keyword (${textless.join(', ') || 'none'}); ${paths} JSON leaves found by json.<path>:"value" (each value only one line has finds exactly it, also after another app's field explosion); ${forged} forged kubernetes.namespace_name found only under json.kubernetes; fluentd_budget_exceeded:${[...markers].sort().join('|')} finds exactly the lines cut at that limit`,
    Date.now() - t2,
  );

  // 4. The trace link's query (DSL of the same builder as the KQL) over the logs view's pattern.
  const t3 = Date.now();
  const linkProblems: string[] = [];
  const traced = [...check.documents.values()].filter((d) => typeof d.source[LOG_TRACE_FIELDS.traceId] === 'string');
  const traces = [...new Set(traced.map((d) => d.source[LOG_TRACE_FIELDS.traceId] as string))];
  for (const traceId of traces) {
    const want = traced.filter((d) => d.source[LOG_TRACE_FIELDS.traceId] === traceId).map((d) => d.id).sort();
    const got = await idsOf(es, prefix, traceLogsQuery({ traceId }).dsl);
    if (!isDeepStrictEqual(got, want)) linkProblems.push(`trace ${traceId}: the query returned ${got.length} documents, expected ${want.length}`);
  }
  if (traces.length < 2) linkProblems.push('fewer than two traces among the lines: the check would prove little');
  step(
    "the link's query returns exactly each trace's lines",
    linkProblems.length === 0,
    linkProblems.length ? linkProblems.join('; ') : `${traces.length} traces: ${traceLogsQuery({ traceId: traces[0] }).kql} (as DSL) on ${prefix}-* → exactly each trace's lines (${traced.length} lines, from ${new Set(traced.map((d) => d.source.kubernetes && (d.source.kubernetes as Record<string, unknown>).pod_name)).size} pods); ${check.documents.size - traced.length} untraced lines not returned`,
    Date.now() - t3,
  );
}
