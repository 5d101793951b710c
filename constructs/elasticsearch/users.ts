/**
 * The file-realm users of Elasticsearch, one per client, in one place: the elasticsearch stack
 * lists their Secrets for ECK (names only), and each client stack creates its own user's
 * Secrets (credentials are born where they are used). Plain data, no provider bindings.
 */
import type { MonitoringConfig } from '../../config/schema';
import { JAEGER_ES_USER, jaegerElasticsearchRole } from '../jaeger/names';
import { kibanaDataViewsRole } from '../kibana/data-views';
import { DATA_VIEWS_USER } from '../kibana/names';
import { dailyIndexFamilies, EVENTS_INDEX_PREFIX, INDEX_JANITOR_USER, INDEX_TEMPLATES_USER, EVENTS_WRITER_USER, LOG_WRITER_USER } from './names';

/** An Elasticsearch role as roles.yml writes it. */
export interface ElasticsearchRole {
  readonly cluster: string[];
  readonly indices: { readonly names: string[]; readonly privileges: string[] }[];
  /** Application privileges, e.g. Kibana's feature privileges (`kibana-.kibana`, `feature_<id>.<all|read>`, `space:<id>`). */
  readonly applications?: { readonly application: string; readonly privileges: string[]; readonly resources: string[] }[];
}

/** Which stack creates (and rotates) a user's password. */
export type UserOwner = 'elasticsearch' | 'logging' | 'otel-collector' | 'jaeger' | 'kibana';

export interface ElasticsearchUserSpec {
  readonly username: string;
  readonly roleName: string;
  readonly role: ElasticsearchRole;
  readonly owner: UserOwner;
}

/** Index privileges of a writer: create its daily indices and index documents, nothing else. */
const WRITE_PRIVILEGES = ['create_index', 'create_doc', 'write', 'view_index_metadata', 'auto_configure'];

/** Every user the config calls for, each with the least privileges its client needs. */
export function elasticsearchUsers(config: Pick<MonitoringConfig, 'fluentd' | 'jaeger' | 'kibana' | 'elasticsearch'>): ElasticsearchUserSpec[] {
  const users: ElasticsearchUserSpec[] = [
    // The readiness gate: health and the index templates of every daily family.
    { username: INDEX_TEMPLATES_USER, roleName: 'index_templates', owner: 'elasticsearch', role: { cluster: ['monitor', 'manage_index_templates'], indices: [] } },
    // Fluentd: container logs only.
    { username: LOG_WRITER_USER, roleName: 'log_writer', owner: 'logging', role: { cluster: ['monitor'], indices: [{ names: [`${config.fluentd.indexPrefix}-*`], privileges: WRITE_PRIVILEGES }] } },
    // The collector's events exporter: Kubernetes events only.
    { username: EVENTS_WRITER_USER, roleName: 'events_writer', owner: 'otel-collector', role: { cluster: ['monitor'], indices: [{ names: [`${EVENTS_INDEX_PREFIX}-*`], privileges: WRITE_PRIVILEGES }] } },
  ];
  if (config.elasticsearch.retentionDays > 0) {
    // The retention CronJob: list and delete expired daily indices.
    users.push({ username: INDEX_JANITOR_USER, roleName: 'index_janitor', owner: 'logging', role: { cluster: ['monitor'], indices: [{ names: dailyIndexFamilies(config).map((family) => `${family}-*`), privileges: ['monitor', 'view_index_metadata', 'delete_index'] }] } });
  }
  if (config.jaeger.storage === 'elasticsearch') users.push({ username: JAEGER_ES_USER, roleName: 'jaeger_storage', owner: 'jaeger', role: jaegerElasticsearchRole() });
  if (config.kibana.enabled) users.push({ username: DATA_VIEWS_USER, roleName: 'kibana_data_views', owner: 'kibana', role: kibanaDataViewsRole() });
  return users;
}

/** The user `username`, which must be in the config's list (a typo here is a programming error). */
export function elasticsearchUser(config: Parameters<typeof elasticsearchUsers>[0], username: string): ElasticsearchUserSpec {
  const user = elasticsearchUsers(config).find((u) => u.username === username);
  if (!user) throw new Error(`no Elasticsearch user "${username}" in this configuration`);
  return user;
}

/** ECK's `auth.fileRealm` Secret of a user (basic-auth: username, password, roles), in Elasticsearch's namespace. */
export function fileRealmSecretName(username: string): string {
  return `elasticsearch-${username}-user`;
}

/** ECK's `auth.roles` Secret of a user (roles.yml), in Elasticsearch's namespace. */
export function roleSecretName(username: string): string {
  return `elasticsearch-${username}-role`;
}
