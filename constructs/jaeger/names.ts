/** Names of the Jaeger objects the operator tools use too (plain constants, no provider bindings). */

/** Release (and the chart's all-ports Service) name. */
export const JAEGER_RELEASE = 'jaeger';
/** Our Service for the query UI/API, the name users type for port-forwards. */
export const JAEGER_QUERY_SERVICE = 'jaeger-query';
