/**
 * Names of the Kibana objects that stacks, the Jaeger link patterns and the operator tools
 * (ops/, scripts/) share. Plain constants, no provider bindings: `npm run verify` imports them cheaply.
 */

/** Name of the ECK Kibana resource and its Helm release. ECK names its Service `<name>-kb-http`. */
export const KIBANA_NAME = 'kibana';
/** ECK's HTTP Service of the Kibana resource (TLS off: users reach it through port-forward). */
export const KIBANA_SERVICE = `${KIBANA_NAME}-kb-http`;
export const KIBANA_PORT = 5601;

/**
 * Ids of the data views Terraform creates (stable, so links can name them): application and
 * container logs (`<fluentd.indexPrefix>-*`), Kubernetes events, and Jaeger's spans (production
 * profile: Jaeger on Elasticsearch).
 */
export const DATA_VIEW_IDS = {
  logs: 'monitoring-logs',
  events: 'monitoring-k8s-events',
  spans: 'monitoring-jaeger-spans',
} as const;
export type DataViewKey = keyof typeof DATA_VIEW_IDS;
