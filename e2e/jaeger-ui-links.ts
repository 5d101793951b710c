/**
 * How Jaeger's UI turns a link pattern into the URL a user clicks, for the tests and the e2e:
 * the same steps as jaeger-ui v2.19.0 (packages/jaeger-ui/src/utils/stringSupplant.ts
 * encodedStringSupplant with encodeURIComponent, utils/link-formatting.ts formatters `add` and
 * `epoch_micros_to_date_iso`, model/link-patterns.ts getParameterInTrace / getParameterInAncestor),
 * restricted to the parameters our patterns use. Plus the reading side: a Discover URL back into
 * its state, as Kibana reads it (URLSearchParams of the hash query, then rison).
 */
import rison from 'rison-node';
import type { JaegerTrace } from '../ops/jaeger-api';

const PARAMETER = /#\{([^{}]*)\}/g;

type Formatter = (value: unknown, ...args: string[]) => unknown;
const FORMATTERS: Record<string, Formatter> = {
  add: (value, offset) => (typeof value === 'number' && !Number.isNaN(parseInt(offset, 10)) ? value + parseInt(offset, 10) : value),
  epoch_micros_to_date_iso: (value) => (typeof value === 'number' ? new Date(value / 1000).toISOString() : value),
};

/** `name | f1 a | f2` → the name and the chained formatters (an unknown one is an error here, not ignored). */
function parameterAndFormatter(parameter: string): { name: string; format: (value: unknown) => unknown } {
  const [name, ...formats] = parameter.split('|').map((p) => p.trim());
  const fns = formats.map((f) => {
    const [fn, ...args] = f.split(/ +/);
    if (!FORMATTERS[fn]) throw new Error(`link pattern formatter "${fn}" is not one jaeger-ui 2.19.0 knows`);
    return (v: unknown) => FORMATTERS[fn](v, ...args);
  });
  return { name, format: (v) => fns.reduce((acc, fn) => fn(acc), v) };
}

/** The names (without formatters) of a template's parameters. */
export function templateParameters(template: string): string[] {
  return [...template.matchAll(PARAMETER)].map((m) => parameterAndFormatter(m[1]).name);
}

/** A link pattern URL with each `#{…}` replaced by encodeURIComponent(formatted value); a missing value is an error. */
export function expandLinkTemplate(template: string, values: Record<string, string | number>): string {
  return template.replace(PARAMETER, (_, parameter: string) => {
    const { name, format } = parameterAndFormatter(parameter);
    if (!(name in values)) throw new Error(`link pattern parameter ${name} has no value (have ${Object.keys(values).join(', ')})`);
    return encodeURIComponent(String(format(values[name])));
  });
}

/** The values a `traces` link gets: traceID and the trace's start and end (µs), as jaeger-ui computes them from the spans. */
export function traceLinkValues(trace: JaegerTrace): { traceID: string; startTime: number; endTime: number } {
  const spans = trace.spans.filter((s) => typeof s.startTime === 'number' && typeof s.duration === 'number');
  if (spans.length === 0) throw new Error(`trace ${trace.traceID} has no span with startTime and duration`);
  return {
    traceID: trace.traceID,
    startTime: Math.min(...spans.map((s) => s.startTime!)),
    endTime: Math.max(...spans.map((s) => s.startTime! + s.duration!)),
  };
}

/** The values an attribute link of a span gets: its spanID and `trace.traceID`. */
export function spanLinkValues(trace: JaegerTrace, spanId: string): { spanID: string; 'trace.traceID': string } {
  if (!trace.spans.some((s) => s.spanID === spanId)) throw new Error(`trace ${trace.traceID} has no span ${spanId}`);
  return { spanID: spanId, 'trace.traceID': trace.traceID };
}

export interface DiscoverLinkState {
  readonly base: string;
  readonly global: any;
  readonly app: any;
}

/** A Discover URL read the way Kibana reads it: hash query by URLSearchParams, `_g`/`_a` by rison. */
export function parseDiscoverUrl(url: string): DiscoverLinkState {
  const parsed = new URL(url);
  if (!parsed.hash.startsWith('#/?')) throw new Error(`not a Discover state URL (hash ${parsed.hash.slice(0, 20)}…)`);
  const query = new URLSearchParams(parsed.hash.slice('#/?'.length));
  const read = (key: string) => {
    const value = query.get(key);
    if (value === null) throw new Error(`Discover URL has no ${key}`);
    return rison.decode(value);
  };
  return { base: `${parsed.origin}${parsed.pathname}`, global: read('_g'), app: read('_a') };
}
