/** Names of the collector objects the operator tools use too (plain constants, no provider bindings). */

/** Release, Deployment and Service name of the collector (the chart's fullnameOverride): the all-in-one or the OTLP gateway. */
export const COLLECTOR_SERVICE = 'otel-collector';

/** Release, Deployment and Service name of the single-replica cluster collector (role `cluster`). */
export const CLUSTER_COLLECTOR_SERVICE = 'otel-collector-cluster';

/**
 * Release, Service and ClusterRole name of the node agent (role `agent`); the chart names its
 * DaemonSet `otel-agent-agent` and its ConfigMap likewise.
 */
export const AGENT_SERVICE = 'otel-agent';
export const AGENT_DAEMONSET = `${AGENT_SERVICE}-agent`;

/** The chart's `component` label per mode (_helpers.tpl opentelemetry-collector.component, chart 0.170.0). */
const CHART_COMPONENT = { statefulset: 'statefulset-collector', daemonset: 'agent-collector' } as const;

/** The labels the chart puts on the pods of a release (its selectorLabels + component of the mode). */
export function collectorPodLabels(release: string, mode: keyof typeof CHART_COMPONENT = 'statefulset'): Record<string, string> {
  return { 'app.kubernetes.io/name': 'opentelemetry-collector', 'app.kubernetes.io/instance': release, component: CHART_COMPONENT[mode] };
}
