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

/** Labels ECK puts on every pod of the Kibana resource `name` (ECK v3.5.0 pkg/apis/kibana/v1/labels.go). */
export const kibanaPodLabels = (name: string = KIBANA_NAME) => ({ 'common.k8s.elastic.co/type': 'kibana', 'kibana.k8s.elastic.co/name': name });

/** Job that waits for Kibana and creates or overwrites the data views (its pods' `app.kubernetes.io/name`). */
export const DATA_VIEWS_JOB = 'kibana-data-views';
/** The data-view Job's own file-realm user: Kibana's data-view management, nothing else. */
export const DATA_VIEWS_USER = 'kibana-data-views';
