/** Samples of the Prometheus text exposition format (what the collector's exporter serves). */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) throw new Error(`not Prometheus text format: ${line.slice(0, 80)}`);
    const labels: Record<string, string> = {};
    for (const l of (m[3] ?? '').matchAll(LABEL)) labels[l[1]] = l[2].replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    const value = Number(m[4]);
    if (Number.isNaN(value) && m[4] !== 'NaN') throw new Error(`not a number in: ${line.slice(0, 80)}`);
    samples.push({ name: m[1], labels, value });
  }
  return samples;
}

/** Sum of the samples of `name` whose labels include `match`. */
export function sumOf(samples: Sample[], name: string, match: Record<string, string> = {}): number {
  return samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v)).reduce((acc, s) => acc + s.value, 0);
}

/** Identity of a series: its name and its whole label set. */
function seriesKey(s: Sample): string {
  return JSON.stringify([s.name, Object.entries(s.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]);
}

/**
 * The samples of several endpoints as one: the same series (name and labels) on several
 * endpoints adds up, a series only one endpoint has counts once. For the replicas of the
 * collector gateway, each of which exposes only the metrics that reached it.
 */
export function mergeSeries(lists: readonly (readonly Sample[])[]): Sample[] {
  const byKey = new Map<string, Sample>();
  for (const list of lists) {
    for (const s of list) {
      const key = seriesKey(s);
      const seen = byKey.get(key);
      if (seen) seen.value += s.value;
      else byKey.set(key, { name: s.name, labels: { ...s.labels }, value: s.value });
    }
  }
  return [...byKey.values()];
}

export async function scrape(url: string): Promise<Sample[]> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  return parsePrometheusText(await res.text());
}
