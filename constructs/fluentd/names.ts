/** Names of the Fluentd objects other stacks and tools refer to (plain constants, no provider bindings). */

/** DaemonSet name, also its pods' `app.kubernetes.io/name` label. */
export const FLUENTD_DAEMONSET = 'fluentd';
