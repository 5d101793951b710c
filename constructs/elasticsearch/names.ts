/**
 * Names of the Elasticsearch objects that other stacks and the operator tools (ops/, scripts/)
 * refer to. Plain constants, no provider bindings: `npm run verify` imports them cheaply.
 */
import type { MonitoringConfig } from '../../config/schema';
import { rejectedIndexPrefix } from '../fluentd/names';
import { JAEGER_INDEX_FAMILIES } from '../jaeger/names';

/** Name of the ECK Elasticsearch resource (and Helm release). */
export const ELASTICSEARCH_CLUSTER = 'elasticsearch';
/** Our Service in front of ECK's `<cluster>-es-http` (the name users type). */
export const ELASTICSEARCH_SERVICE = 'elasticsearch';
export const ELASTICSEARCH_PORT = 9200;
/**
 * ECK's public copy of the HTTP certificate it issues and rotates (`tls.crt`, `ca.crt`; no key),
 * made to be copied into client namespaces: its ca.crt is what clients trust.
 */
export const ELASTICSEARCH_HTTP_PUBLIC_CERTS_SECRET = `${ELASTICSEARCH_CLUSTER}-es-http-certs-public`;
/** ECK's Secret with the `elastic` superuser password (key `elastic`). */
export const ELASTIC_USER_SECRET = `${ELASTICSEARCH_CLUSTER}-es-elastic-user`;

/** File-realm users (see users.ts): one per client, each with its own password. */
export const LOG_WRITER_USER = 'log-writer';
export const EVENTS_WRITER_USER = 'events-writer';
export const INDEX_JANITOR_USER = 'index-janitor';
export const INDEX_TEMPLATES_USER = 'index-templates';

/** Daily indices of Kubernetes events: `<prefix>-YYYY-MM-DD`. */
export const EVENTS_INDEX_PREFIX = 'k8s-events';

/** Label selector of the 12 CRDs the eck-operator chart installs (kept by Helm on uninstall). */
export const ECK_CRD_SELECTOR = 'app.kubernetes.io/name=eck-operator-crds';
/** CronJob deleting expired daily indices (its pods' `app.kubernetes.io/name`). */
export const INDEX_RETENTION_JOB = 'index-retention';
/** Job of the readiness gate (waits for health, applies index templates). */
export const READINESS_JOB = 'elasticsearch-ready';

/**
 * Every daily index family the stacks write (`<family>-YYYY-MM-DD`): container logs and the log
 * documents Elasticsearch rejected (their fallback family), Kubernetes events and, with Jaeger on
 * Elasticsearch, Jaeger's. The retention job prunes exactly these.
 */
export function dailyIndexFamilies(config: Pick<MonitoringConfig, 'fluentd' | 'jaeger'>): string[] {
  return [config.fluentd.indexPrefix, rejectedIndexPrefix(config.fluentd.indexPrefix), EVENTS_INDEX_PREFIX, ...(config.jaeger.storage === 'elasticsearch' ? JAEGER_INDEX_FAMILIES : [])];
}
