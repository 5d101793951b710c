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

/** The engine a template is for: the stacks deploy Elasticsearch; the e2e runs OpenSearch. */
export type SearchEngine = 'elasticsearch' | 'opensearch';

/**
 * Any JSON object as ONE mapped field, whatever keys and nesting it has, each leaf searchable as
 * a keyword by its path (`json.user.id: 42`) or by the field (`json: 42`): Elasticsearch's
 * `flattened` (leaves over 1024 characters kept in `_source`, not indexed; depth ≤ 20), and
 * OpenSearch's `flat_object` (no such parameters).
 */
function objectAsOneField(engine: SearchEngine): Record<string, unknown> {
  return engine === 'elasticsearch' ? { type: 'flattened', ignore_above: 1024 } : { type: 'flat_object' };
}

/** Fields Fluentd adds to every container log line, the same in both logs families. */
const kubernetesFields = { namespace_name: keyword, pod_name: keyword, container_name: keyword, host: keyword };

/**
 * Container and node logs written by Fluentd (`<prefix>-YYYY-MM-DD`). What an app writes is data,
 * so the mapping is fixed: `dynamic: false` at the top, where every name is the pipeline's
 * (constructs/fluentd/plugins/filter_app_line.rb), and the app's JSON object in ONE field
 * (`json`, `objectAsOneField`). No line can add a field, use up the index's field limit, or make
 * another line's value clash with the type its first line chose: the mapping is this template,
 * all day, whatever the apps write and in whatever order.
 * - `message` full text, `message.keyword` the exact text up to 256 characters: the line's text
 *   (a JSON line's own `msg`/`message`);
 * - `json.*` keywords: every leaf of the app's object by its path (numbers compare as text);
 * - kubernetes metadata from the API server (pod, namespace, container, node, pod labels as one field);
 * - node logs (the kubelet's and containerd's journal): unit, host, identifier, priority.
 */
export function logsIndexTemplate(prefix: string, replicas: number, engine: SearchEngine = 'elasticsearch'): IndexTemplate {
  const oneField = objectAsOneField(engine);
  return dailyIndices(
    prefix,
    replicas,
    {
      stream: keyword,
      logtag: keyword,
      // Full text, and the exact line too when short: a line with no word in it (`[]`, `{}`, `---`)
      // is found by `message.keyword` (the standard analyzer makes no token of it).
      message: { type: 'text', fields: { keyword: { type: 'keyword', ignore_above: 256 } } },
      json: oneField,
      trace_id: keyword,
      span_id: keyword,
      level: keyword,
      fluentd_budget_exceeded: keyword,
      kubernetes: {
        properties: {
          ...kubernetesFields,
          pod_id: keyword,
          pod_ip: keyword,
          labels: oneField,
        },
      },
      docker: { properties: { container_id: keyword } },
      systemd_unit: keyword,
      hostname: keyword,
      syslog_identifier: keyword,
      priority: keyword,
    },
    { dynamic: false },
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
