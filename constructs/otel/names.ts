/** Names of the collector objects the operator tools use too (plain constants, no provider bindings). */

/** Release, Deployment and Service name of the collector (the chart's fullnameOverride). */
export const COLLECTOR_SERVICE = 'otel-collector';
