/** Names of the Jaeger objects the operator tools use too (plain constants, no provider bindings). */

/** Release (and the chart's all-ports Service) name. */
export const JAEGER_RELEASE = 'jaeger';
/** Our Service for the query UI/API, the name users type for port-forwards. */
export const JAEGER_QUERY_SERVICE = 'jaeger-query';

/**
 * Prefixes of the daily indices Jaeger's Elasticsearch storage writes and reads
 * (`<family>-YYYY-MM-DD`, no index prefix, no aliases): spans, services (operation names),
 * dependency links and adaptive-sampling probabilities. The retention job deletes
 * `<family>-YYYY-MM-DD` older than the retention period.
 */
export const JAEGER_INDEX_FAMILIES = ['jaeger-span', 'jaeger-service', 'jaeger-dependencies', 'jaeger-sampling'] as const;
export type JaegerIndexFamily = (typeof JAEGER_INDEX_FAMILIES)[number];

/** File-realm user Jaeger authenticates to Elasticsearch as. */
export const JAEGER_ES_USER = 'jaeger';

/** An Elasticsearch role as roles.yml writes it (structurally ElasticsearchRole of constructs/elasticsearch/users.ts). */
export interface JaegerElasticsearchRole {
  readonly cluster: string[];
  readonly indices: { readonly names: string[]; readonly privileges: string[] }[];
}

/**
 * The least-privilege role Jaeger v2's Elasticsearch storage needs with the configuration
 * buildJaegerConfig writes (`create_mappings: true`, `version` set, health check off, no
 * ILM/aliases, no index prefix): only `<family>-*` of the given families, and no cluster
 * privilege but the index templates Jaeger puts at startup.
 *
 * Not granted: `monitor` (Jaeger pings `GET /` only when `version` is 0, and the olivere
 * client's health check sends `HEAD /` only when `disable_health_check` is false: we set
 * both), `create_index`/`manage` (daily indices are auto-created by bulk writes), `delete`
 * (the retention job deletes whole indices as another user), and `view_index_metadata`
 * (only the adaptive-sampling store checks index existence, `HEAD /<index>`; we do not run it).
 */
export function jaegerElasticsearchRole(indexFamilies: readonly string[] = JAEGER_INDEX_FAMILIES): JaegerElasticsearchRole {
  if (indexFamilies.length === 0) throw new Error('jaegerElasticsearchRole: no index families');
  for (const family of indexFamilies) {
    if (!/^jaeger-[a-z]+$/.test(family)) throw new Error(`jaegerElasticsearchRole: "${family}" is not a Jaeger index family (jaeger-<name>)`);
  }
  return {
    cluster: [
      // create_mappings: PUT _index_template/jaeger-span and jaeger-service at every start (ES >= 8; _template before)
      'manage_index_templates',
    ],
    indices: [
      {
        names: indexFamilies.map((family) => `${family}-*`),
        privileges: [
          // search/msearch of the daily indices (trace lookups, service and operation lists, dependencies)
          'read',
          // bulk `index` actions of spans and services, and the mapping updates they cause; no delete
          'index',
          // the first write of a day auto-creates `<family>-YYYY-MM-DD` from Jaeger's template
          'auto_configure',
        ],
      },
    ],
  };
}
