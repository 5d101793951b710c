/**
 * Composable index templates of the daily index families we write. Replicas come from the
 * config (0 keeps a single node green); one shard per daily index is plenty at our volumes.
 */

/** An index template as `PUT _index_template/<name>` takes it. */
export interface IndexTemplate {
  readonly index_patterns: string[];
  readonly priority: number;
  readonly template: {
    readonly settings: Record<string, number | string>;
    readonly mappings: { readonly properties: Record<string, unknown> };
  };
}

const keyword = { type: 'keyword' };

function dailyIndices(prefix: string, replicas: number, properties: Record<string, unknown>): IndexTemplate {
  return {
    index_patterns: [`${prefix}-*`],
    priority: 200,
    template: {
      settings: { number_of_shards: 1, number_of_replicas: replicas },
      mappings: { properties: { '@timestamp': { type: 'date' }, ...properties } },
    },
  };
}

/** Container and node logs written by Fluentd (`<prefix>-YYYY-MM-DD`). */
export function logsIndexTemplate(prefix: string, replicas: number): IndexTemplate {
  return dailyIndices(prefix, replicas, {
    trace_id: keyword,
    span_id: keyword,
    level: keyword,
    kubernetes: { properties: { namespace_name: keyword, pod_name: keyword, container_name: keyword } },
  });
}

/**
 * Kubernetes events written by the collector's elasticsearch exporter in `raw` mapping mode.
 * Only settings and `@timestamp`: the event's own fields are mapped dynamically, so a change
 * in how the exporter encodes the body can never make Elasticsearch reject the documents.
 */
export function eventsIndexTemplate(prefix: string, replicas: number): IndexTemplate {
  return dailyIndices(prefix, replicas, {});
}
