/**
 * Composable index templates of the daily index families we write. Replicas come from the
 * config (0 keeps a single node green); one shard per daily index is plenty at our volumes.
 */

/** An index template as `PUT _index_template/<name>` takes it. */
export interface IndexTemplate {
  readonly index_patterns: string[];
  readonly priority: number;
  readonly template: {
    readonly settings: Record<string, number | string | boolean>;
    readonly mappings: {
      /** `false`: fields not listed are kept in `_source` but not indexed (never mapped, so never in conflict). */
      readonly dynamic?: boolean;
      /** `false`: a string field is never mapped as a date because of how its first value looks. */
      readonly date_detection?: boolean;
      readonly properties: Record<string, unknown>;
    };
  };
}

/** A value longer than this is kept in `_source` but not indexed (Lucene refuses terms over 32766 bytes: a 400). */
const keyword = { type: 'keyword', ignore_above: 1024 };

/** Priority of our daily families; a family nested in another's pattern sits above it. */
const PRIORITY = 200;

function dailyIndices(prefix: string, replicas: number, properties: Record<string, unknown>, more: { settings?: IndexTemplate['template']['settings']; priority?: number; dynamic?: boolean; dateDetection?: boolean } = {}): IndexTemplate {
  return {
    index_patterns: [`${prefix}-*`],
    priority: more.priority ?? PRIORITY,
    template: {
      settings: { number_of_shards: 1, number_of_replicas: replicas, ...more.settings },
      mappings: {
        ...(more.dynamic === undefined ? {} : { dynamic: more.dynamic }),
        ...(more.dateDetection === undefined ? {} : { date_detection: more.dateDetection }),
        properties: { '@timestamp': { type: 'date' }, ...properties },
      },
    },
  };
}

/** Fields Fluentd adds to every container log line, the same in both logs families. */
const kubernetesFields = { namespace_name: keyword, pod_name: keyword, container_name: keyword, host: keyword };

/**
 * Container and node logs written by Fluentd (`<prefix>-YYYY-MM-DD`). Apps log what they like,
 * so the mapping is built to accept their lines in any order of arrival:
 * - `index.mapping.ignore_malformed`: a value that does not fit a numeric or date field (`count`
 *   30, then "many") is kept in `_source`, not indexed, instead of failing the document;
 * - no date detection: a string field is text and keyword, whatever its first value looks like;
 * - `level` and `time` keyword: "info" and 30, an ISO string and epoch ms, are all values of it;
 * - pod and namespace labels not indexed (`enabled: false`, kept in `_source`): the metadata
 *   filter keeps their dots, and `app` next to `app.kubernetes.io/name` is a value and an object
 *   under the same name, which Elasticsearch refuses.
 * What still cannot be indexed (an object where another line had a value) is rejected (400) and
 * Fluentd sends it to `rejectedLogsIndexTemplate`'s family.
 */
export function logsIndexTemplate(prefix: string, replicas: number): IndexTemplate {
  return dailyIndices(
    prefix,
    replicas,
    {
      stream: keyword,
      logtag: keyword,
      trace_id: keyword,
      span_id: keyword,
      level: keyword,
      time: keyword,
      kubernetes: { properties: { ...kubernetesFields, labels: { type: 'object', enabled: false }, namespace_labels: { type: 'object', enabled: false } } },
    },
    { settings: { 'index.mapping.ignore_malformed': true }, dateDetection: false },
  );
}

/**
 * The documents Elasticsearch rejected from the logs family, as Fluentd's @ERROR route rewrites
 * them (constructs/fluentd/fluent-conf.ts): only the fields below, each of the one type mapped
 * here, and the whole record as one string in `message`. Not dynamic, so nothing in them can
 * clash. Its pattern lies inside the logs family's, so it sits above it.
 */
export function rejectedLogsIndexTemplate(prefix: string, replicas: number, marker: string): IndexTemplate {
  return dailyIndices(
    prefix,
    replicas,
    {
      [marker]: { type: 'boolean' },
      stream: keyword,
      logtag: keyword,
      trace_id: keyword,
      span_id: keyword,
      kubernetes: { properties: kubernetesFields },
      message: { type: 'text' },
    },
    { settings: { 'index.mapping.ignore_malformed': true }, dynamic: false, priority: PRIORITY + 100 },
  );
}

/**
 * Kubernetes events written by the collector's elasticsearch exporter in `raw` mapping mode.
 * Only settings and `@timestamp`: the event's own fields are mapped dynamically, so a change
 * in how the exporter encodes the body can never make Elasticsearch reject the documents.
 */
export function eventsIndexTemplate(prefix: string, replicas: number): IndexTemplate {
  return dailyIndices(prefix, replicas, {});
}
