/**
 * The data views Terraform keeps in Kibana, as the HTTP requests the data-view Job sends. Pure
 * data (no provider bindings): the Job renders them, and a test validates every body against the
 * request schema Kibana's own routes declare (checks/upstream/kibana-data-views-api.json).
 */
import type { MonitoringConfig } from '../../config/schema';
import { EVENTS_INDEX_PREFIX } from '../elasticsearch/names';
import { REJECTED_MARKER, rejectedIndexPrefix } from '../fluentd/names';
import { DATA_VIEW_IDS, DataViewKey } from './names';

/** Kibana's versioned public routes: the one version of the data view routes (INITIAL_REST_VERSION). */
export const KIBANA_DATA_VIEWS_API_VERSION = '2023-10-31';

/** A field format as Kibana stores it (`fieldFormats.<field>`). */
export interface UrlFieldFormat {
  readonly id: 'url';
  /** Kibana's UrlFormat params: `{{value}}` is the URI-encoded field value. */
  readonly params: { readonly type: 'a'; readonly urlTemplate: string; readonly labelTemplate: string };
}

/** The subset of Kibana's DataViewSpec we send. */
export interface DataViewSpec {
  readonly id: string;
  readonly name: string;
  readonly title: string;
  readonly timeFieldName: string;
  /** The view exists before its first index does (a fresh cluster, or every index expired). */
  readonly allowNoIndex: boolean;
  readonly fieldFormats?: Record<string, UrlFieldFormat>;
  /** Kibana's per-field attributes (label, description shown in Discover's field list). */
  readonly fieldAttrs?: Record<string, { readonly customLabel?: string; readonly customDescription?: string }>;
}

/** One request of the Job. */
export interface KibanaRequest {
  /** File name of the body in the Job's ConfigMap. */
  readonly name: string;
  readonly method: 'POST';
  readonly path: string;
  readonly body: object;
}

/** Jaeger's trace page for the field's value. */
function linkToJaegerTrace(jaegerPublicUrl: string): UrlFieldFormat {
  return { id: 'url', params: { type: 'a', urlTemplate: `${jaegerPublicUrl}/trace/{{value}}`, labelTemplate: '{{value}}' } };
}

/**
 * The data views of a config: logs (`<fluentd.indexPrefix>-*`, which also holds the rejected
 * documents' family; `trace_id` links to the trace in Jaeger; `stream`, the app's `json`, the
 * budget and rejected markers described), Kubernetes events, and, with Jaeger on Elasticsearch, Jaeger's spans (time field
 * `startTimeMillis`, epoch millis in Jaeger's span mapping; `traceID` links to the trace).
 */
export function dataViews(config: Pick<MonitoringConfig, 'fluentd' | 'jaeger'>): Record<DataViewKey, DataViewSpec | undefined> {
  const trace = linkToJaegerTrace(config.jaeger.publicUrl);
  return {
    logs: {
      id: DATA_VIEW_IDS.logs,
      name: 'Logs',
      title: `${config.fluentd.indexPrefix}-*`,
      timeFieldName: '@timestamp',
      allowNoIndex: true,
      fieldFormats: { trace_id: trace },
      fieldAttrs: {
        stream: { customLabel: 'Stream', customDescription: 'stdout or stderr: the container stream the line was written to' },
        json: { customLabel: 'App JSON', customDescription: "The app's own JSON object, whole, as one field: search a value by its path (json.user.id: 42); every value is text" },
        fluentd_budget_exceeded: { customLabel: 'Over the field budget', customDescription: 'depth, fields or size: json keeps what fits, message holds the whole line' },
        [REJECTED_MARKER]: {
          customLabel: 'Rejected',
          customDescription: `true: Elasticsearch refused this line as written, so it is kept in ${rejectedIndexPrefix(config.fluentd.indexPrefix)}-* with the whole record as one string in message`,
        },
      },
    },
    events: { id: DATA_VIEW_IDS.events, name: 'Kubernetes events', title: `${EVENTS_INDEX_PREFIX}-*`, timeFieldName: '@timestamp', allowNoIndex: true },
    spans:
      config.jaeger.storage === 'elasticsearch'
        ? { id: DATA_VIEW_IDS.spans, name: 'Jaeger spans', title: 'jaeger-span-*', timeFieldName: 'startTimeMillis', allowNoIndex: true, fieldFormats: { traceID: trace } }
        : undefined,
  };
}

/**
 * What the Job sends, in order: create-or-overwrite each data view (`override: true` replaces a
 * view of the same id or name; no field refresh, so no index access is needed), then make the
 * logs view the default one (Discover opens on it).
 */
export function dataViewRequests(config: Pick<MonitoringConfig, 'fluentd' | 'jaeger'>): KibanaRequest[] {
  const views = Object.entries(dataViews(config)).filter((e): e is [DataViewKey, DataViewSpec] => e[1] !== undefined);
  return [
    ...views.map(([key, view]) => ({ name: `data-view-${key}`, method: 'POST' as const, path: '/api/data_views/data_view', body: { data_view: view, override: true } })),
    { name: 'default-data-view', method: 'POST' as const, path: '/api/data_views/default', body: { data_view_id: DATA_VIEW_IDS.logs, force: true } },
  ];
}

/** Kibana's application in Elasticsearch (default `kibana.index` `.kibana`). */
export const KIBANA_APPLICATION = 'kibana-.kibana';

/**
 * The data-view Job's Elasticsearch role: Kibana privileges in the default space only, no
 * cluster or index privilege (lazy data views with no field refresh never read the indices).
 * - `feature_indexPatterns.all`: the data view routes require `indexPatterns:manage`, which only
 *   the "all" privilege of feature `indexPatterns` grants (`index-pattern` saved objects).
 * - `feature_advancedSettings.all`: the default data view is the `defaultIndex` UI setting, a
 *   write of the `config` saved object; Kibana also sets it when the first view is created.
 */
export function kibanaDataViewsRole() {
  return {
    cluster: [] as string[],
    indices: [] as { names: string[]; privileges: string[] }[],
    applications: [{ application: KIBANA_APPLICATION, privileges: ['feature_indexPatterns.all', 'feature_advancedSettings.all'], resources: ['space:default'] }],
  };
}
