/** Names of the Fluentd objects other stacks and tools refer to (plain constants, no provider bindings). */

/** DaemonSet name, also its pods' `app.kubernetes.io/name` label. */
export const FLUENTD_DAEMONSET = 'fluentd';

/**
 * Prefix of the daily indices (`<prefix>-YYYY-MM-DD`) of the documents Elasticsearch rejected from
 * `<indexPrefix>-*`, as Fluentd's @ERROR route rewrites them. Inside `<indexPrefix>-*`, so the logs
 * data view, the trace link's query and the writer's index privilege cover them too.
 */
export function rejectedIndexPrefix(indexPrefix: string): string {
  return `${indexPrefix}-rejected`;
}

/** Marks a fallback document (boolean `true`); a record carrying it is never re-sent as a fallback. */
export const REJECTED_MARKER = 'fluentd_rejected';
