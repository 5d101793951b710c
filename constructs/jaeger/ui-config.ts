/**
 * Jaeger UI configuration (the JSON `jaeger_query.ui.config_file` names, which Jaeger injects into
 * the page it serves as `JAEGER_CONFIG = {…};`): link patterns from a trace and from a span to
 * their log lines in Kibana Discover. Plain functions, no provider bindings.
 *
 * Link patterns as jaeger-ui v2.19.0 (the UI of Jaeger 2.19.0) evaluates them
 * (packages/jaeger-ui/src/model/link-patterns.ts, utils/stringSupplant.ts, utils/link-formatting.ts):
 * - `type: 'traces'` links show in the trace page header; their parameters are the trace's
 *   `traceID`, `traceName`, `duration`, `startTime`, `endTime` (microseconds since the epoch),
 *   with formatters `add <µs>` and `epoch_micros_to_date_iso`.
 * - `type: 'attributes'` (legacy `tags`) links show on the span attribute whose key is `key`;
 *   their parameters are the span's (`spanID`, …) and `trace.<key>`. Formatters do not work
 *   there (the parameter name is looked up with its `| formatter` suffix and never found, so the
 *   link would be dropped): a span link's time range cannot be the trace's.
 * - Each value is put into the URL with encodeURIComponent.
 */
import { discoverUrl, jaegerLinkTemplate } from '../kibana/discover-link';
import { traceLogsQuery } from '../kibana/trace-logs-query';

/** Where the chart mounts `uiconfig` (jaeger chart 4.11.1 templates/jaeger/jaeger-deploy.yaml: ConfigMap `ui-config`, subPath). */
export const JAEGER_UI_CONFIG_FILE = '/etc/jaeger/ui-config.json';

/** A jaeger-ui link pattern as its config file takes it. */
export interface JaegerLinkPattern {
  readonly type: 'traces' | 'attributes';
  /** The attribute the link is attached to (attribute links only). */
  readonly key?: string;
  readonly url: string;
  readonly text: string;
}

export interface JaegerUiConfig {
  readonly linkPatterns: JaegerLinkPattern[];
}

/** Texts of the two links users click. */
export const TRACE_LOGS_LINK_TEXT = 'Logs for this trace';
export const SPAN_LOGS_LINK_TEXT = 'Logs for this span';

/**
 * The span attribute the span link is attached to: Jaeger's API gives every span of an
 * OpenTelemetry SDK a `span.kind` tag (the SDK's default kind is INTERNAL, which is not
 * "unspecified"), so every span shows the link. The e2e checks this on the real Jaeger.
 */
export const SPAN_LINK_ATTRIBUTE = 'span.kind';

export interface TraceLogsLinksOptions {
  /** Kibana in the user's browser (kibana.publicUrl). */
  readonly kibanaUrl: string;
  /** The logs data view (DATA_VIEW_IDS.logs). */
  readonly logsDataViewId: string;
  /**
   * Minutes added before the trace's first span and after its last: log lines are stamped by
   * the container runtime when written, a little after the span's clock read.
   * @default 5
   */
  readonly marginMinutes?: number;
  /**
   * Days a span link searches back from now (its time range cannot be the trace's, see above):
   * the logs' retention period.
   * @default 7
   */
  readonly spanLookbackDays?: number;
}

const MICROS_PER_MINUTE = 60_000_000;

/** The trace's time window with the margin, as Jaeger parameters (microseconds → ISO 8601). */
export function traceWindowParams(marginMinutes: number): { from: string; to: string } {
  if (!Number.isInteger(marginMinutes) || marginMinutes < 0) throw new Error(`jaeger ui: marginMinutes must be an integer >= 0, got ${marginMinutes}`);
  const margin = marginMinutes * MICROS_PER_MINUTE;
  return { from: `startTime | add -${margin} | epoch_micros_to_date_iso`, to: `endTime | add ${margin} | epoch_micros_to_date_iso` };
}

/** "Logs for this trace" (trace header) and "Logs for this span" (each span), opening Kibana Discover. */
export function traceLogsLinkPatterns(options: TraceLogsLinksOptions): JaegerLinkPattern[] {
  const lookback = options.spanLookbackDays ?? 7;
  if (!Number.isInteger(lookback) || lookback < 1) throw new Error(`jaeger ui: spanLookbackDays must be an integer >= 1, got ${lookback}`);
  const window = traceWindowParams(options.marginMinutes ?? 5);
  const link = (kql: string, from: string, to: string) => discoverUrl({ kibanaUrl: options.kibanaUrl, dataViewId: options.logsDataViewId, kql, from, to });
  return [
    {
      type: 'traces',
      url: jaegerLinkTemplate((p) => link(traceLogsQuery({ traceId: p('traceID') }).kql, p(window.from), p(window.to))),
      text: TRACE_LOGS_LINK_TEXT,
    },
    {
      type: 'attributes',
      key: SPAN_LINK_ATTRIBUTE,
      url: jaegerLinkTemplate((p) => link(traceLogsQuery({ traceId: p('trace.traceID'), spanId: p('spanID') }).kql, `now-${lookback}d`, 'now')),
      text: SPAN_LOGS_LINK_TEXT,
    },
  ];
}

export function buildJaegerUiConfig(options: TraceLogsLinksOptions): JaegerUiConfig {
  return { linkPatterns: traceLogsLinkPatterns(options) };
}
