/** Names of the collector objects the operator tools use too (plain constants, no provider bindings). */

/** Release, Deployment and Service name of the collector (the chart's fullnameOverride): the all-in-one or the OTLP gateway. */
export const COLLECTOR_SERVICE = 'otel-collector';

/** Release, Deployment and Service name of the single-replica cluster collector (role `cluster`). */
export const CLUSTER_COLLECTOR_SERVICE = 'otel-collector-cluster';

/** The labels the chart puts on the pods of a release (its selectorLabels + component, statefulset mode). */
export function collectorPodLabels(release: string): Record<string, string> {
  return { 'app.kubernetes.io/name': 'opentelemetry-collector', 'app.kubernetes.io/instance': release, component: 'statefulset-collector' };
}
