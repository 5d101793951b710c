/**
 * Jaeger v2 configuration (an OpenTelemetry Collector config with Jaeger's extensions),
 * used as the chart's `userconfig` and by the off-cluster e2e run of the real binary.
 */
export interface JaegerConfigOptions {
  /** Traces the in-memory store keeps (unused with `elasticsearch`). */
  readonly maxTraces: number;
  /** @default 0.0.0.0 */
  readonly listenHost?: string;
  /** @default JAEGER_PORTS */
  readonly ports?: Partial<JaegerPorts>;
  /**
   * Store traces in Elasticsearch (durable, shared by every replica) instead of memory, and read
   * the Monitor tab's RED metrics from the same span indices (JAEGER_METRICS_BACKEND).
   * @default - in-memory storage (`memstore`, maxTraces), no metrics
   */
  readonly elasticsearch?: JaegerElasticsearchStorage;
  /**
   * Path of the UI configuration JSON (link patterns, see ui-config.ts) that Jaeger injects
   * into the page it serves.
   * @default - none: the UI's built-in defaults
   */
  readonly uiConfigFile?: string;
}

export interface JaegerPorts {
  readonly otlpGrpc: number;
  readonly otlpHttp: number;
  readonly queryHttp: number;
  readonly queryGrpc: number;
  readonly health: number;
  readonly metrics: number;
}

/** Jaeger's `elasticsearch` storage backend, as we run it: basic auth, verified TLS, daily indices. */
export interface JaegerElasticsearchStorage {
  /** e.g. https://elasticsearch.elasticsearch.svc:9200 */
  readonly serverUrl: string;
  /** File-realm user, e.g. JAEGER_ES_USER. */
  readonly username: string;
  /** Path of the mounted password file (the password itself never enters the config). */
  readonly passwordFile: string;
  /** Path of the PEM CA that signs Elasticsearch's HTTP certificate; the certificate is verified. */
  readonly caFile: string;
  /** Primary shards per daily index. @default 1 */
  readonly shards?: number;
  /** Replicas per daily index (at most data nodes - 1, or the indices stay yellow). */
  readonly replicas: number;
  /** How far back queries look: the indices' retention period, in days (at most JAEGER_MAX_SPAN_AGE_DAYS_LIMIT, 133). */
  readonly maxSpanAgeDays: number;
  /**
   * Elasticsearch major version. Setting it spares Jaeger the `GET /` version ping at startup
   * (which needs the `monitor` cluster privilege that jaegerElasticsearchRole does not grant).
   * 8 and 9 behave the same in Jaeger 2.19 (v8 client, `_index_template`, the -8 mappings).
   * @default 8
   */
  readonly elasticsearchMajor?: number;
}

/** Name of the storage backend in `jaeger_storage.backends`, for each kind. */
export const JAEGER_MEMORY_BACKEND = 'memstore';
export const JAEGER_ELASTICSEARCH_BACKEND = 'es';
/**
 * Name of the metric backend in `jaeger_storage.metric_backends` that `jaeger_query.storage.metrics`
 * reads: the RED metrics of the UI's Monitor tab, aggregated on demand from the span indices.
 */
export const JAEGER_METRICS_BACKEND = 'es-metrics';

/**
 * Per index family settings (`indices.<spans|services|dependencies|sampling>`). No
 * `date_layout`: Jaeger's default is the daily `2006-01-02` (options.go defaultIndexOptions),
 * and written out unquoted (as YAML 1.2 writers do) it is a YAML 1.1 timestamp, which
 * Jaeger's yaml.v3 config parser turns into a time, not a layout.
 */
export interface JaegerIndexOptions {
  readonly shards: number;
  readonly replicas: number;
  /** Which daily indices reads list (`<family>-YYYY-MM-DD`); writes follow date_layout. */
  readonly rollover_frequency: 'day';
}

/** The keys of Jaeger 2.19's `elasticsearch` backend config we set (internal/storage/elasticsearch/config). */
export interface JaegerElasticsearchBackendConfig {
  readonly server_urls: string[];
  readonly version: number;
  readonly disable_health_check: boolean;
  readonly auth: { readonly basic: { readonly username: string; readonly password_file: string } };
  readonly tls: { readonly ca_file: string };
  readonly create_mappings: boolean;
  readonly use_ilm: boolean;
  readonly use_aliases: boolean;
  readonly max_span_age: string;
  readonly indices: {
    readonly spans: JaegerIndexOptions;
    readonly services: JaegerIndexOptions;
    readonly dependencies: JaegerIndexOptions;
    readonly sampling: JaegerIndexOptions;
  };
}

export type JaegerStorageBackend = { readonly memory: { readonly max_traces: number } } | { readonly elasticsearch: JaegerElasticsearchBackendConfig };

/**
 * A metric backend of `jaeger_storage.metric_backends` (Jaeger 2.13 and 2.19:
 * storageconfig.MetricBackend; `elasticsearch` and `opensearch` take the same
 * configuration as a trace backend and build their own client from it).
 */
export type JaegerMetricBackend = { readonly elasticsearch: JaegerElasticsearchBackendConfig };

/** The Jaeger v2 config document buildJaegerConfig returns. */
export interface JaegerConfig {
  readonly service: {
    readonly extensions: string[];
    readonly pipelines: { readonly traces: { readonly receivers: string[]; readonly processors: string[]; readonly exporters: string[] } };
    readonly telemetry: {
      readonly resource: Record<string, string>;
      readonly metrics: { readonly level: string; readonly readers: { readonly pull: { readonly exporter: { readonly prometheus: { readonly host: string; readonly port: number } } } }[] };
      readonly logs: { readonly level: string };
    };
  };
  readonly extensions: {
    readonly healthcheckv2: { readonly use_v2: boolean; readonly http: { readonly endpoint: string } };
    readonly jaeger_query: {
      /** `metrics`: a metric backend's name; Jaeger 2.19 then tells the UI it has metrics storage (the Monitor tab). */
      readonly storage: { readonly traces: string; readonly metrics?: string };
      readonly http: { readonly endpoint: string };
      readonly grpc: { readonly endpoint: string };
      readonly ui?: { readonly config_file: string };
    };
    readonly jaeger_storage: { readonly backends: Record<string, JaegerStorageBackend>; readonly metric_backends?: Record<string, JaegerMetricBackend> };
  };
  readonly receivers: { readonly otlp: { readonly protocols: { readonly grpc: { readonly endpoint: string }; readonly http: { readonly endpoint: string } } } };
  readonly processors: { readonly batch: Record<string, never> };
  readonly exporters: { readonly jaeger_storage_exporter: { readonly trace_storage: string } };
}

/** The ports the chart's Service and probes expect. */
export const JAEGER_PORTS: JaegerPorts = { otlpGrpc: 4317, otlpHttp: 4318, queryHttp: 16686, queryGrpc: 16685, health: 13133, metrics: 8888 };

/** Elasticsearch's default `http.max_initial_line_length` (4kb): the longest request line it accepts. */
export const ES_MAX_REQUEST_LINE_BYTES = 4096;

/**
 * The request line of Jaeger's service (and operation) search over a lookback of
 * `days`: it names every daily `jaeger-service-YYYY-MM-DD` index from now - max_span_age to
 * now (days + 1 of them) in the URL, joined by commas the olivere client escapes as `%2C`.
 * Trace searches send their index lists in an _msearch body and are not limited.
 */
export function jaegerServiceSearchRequestLine(days: number): string {
  const indices = Array.from({ length: days + 1 }, () => 'jaeger-service-2006-01-02');
  return `GET /${indices.join('%2C')}/_search?ignore_unavailable=true&rest_total_hits_as_int=true HTTP/1.1`;
}

/** Headroom below the limit for query parameters a later client version may add. */
const REQUEST_LINE_HEADROOM = 256;

/**
 * The longest query lookback (max_span_age) in days Jaeger can use against an Elasticsearch
 * with the default `http.max_initial_line_length`: beyond it the service list and operation
 * lookups fail (HTTP 400, too_long_http_line_exception). Indices may be kept longer; queries
 * then see the most recent days only.
 */
export const JAEGER_MAX_SPAN_AGE_DAYS_LIMIT = (() => {
  let days = 1;
  while (jaegerServiceSearchRequestLine(days + 1).length <= ES_MAX_REQUEST_LINE_BYTES - REQUEST_LINE_HEADROOM) days++;
  return days;
})();

function positiveInt(value: number, what: string, min = 1): number {
  if (!Number.isInteger(value) || value < min) throw new Error(`jaeger elasticsearch: ${what} must be an integer >= ${min}, got ${value}`);
  return value;
}

function maxSpanAgeDays(days: number): number {
  positiveInt(days, 'maxSpanAgeDays');
  if (days > JAEGER_MAX_SPAN_AGE_DAYS_LIMIT) {
    throw new Error(
      `jaeger elasticsearch: maxSpanAgeDays ${days} is over ${JAEGER_MAX_SPAN_AGE_DAYS_LIMIT}: Jaeger's service and operation searches name every daily index of the lookback ` +
        `in the URL, ${jaegerServiceSearchRequestLine(days).length} bytes here, over Elasticsearch's ${ES_MAX_REQUEST_LINE_BYTES}-byte http.max_initial_line_length; ` +
        `use at most ${JAEGER_MAX_SPAN_AGE_DAYS_LIMIT} (indices may be kept longer: queries then see the most recent days)`,
    );
  }
  return days;
}

/**
 * Jaeger's `elasticsearch` backend: Jaeger puts its own index templates at start
 * (`create_mappings`, no ILM: Validate() rejects use_ilm with create_mappings) and writes
 * daily indices `jaeger-<span|service|dependencies|sampling>-YYYY-MM-DD` (no index_prefix,
 * no aliases). The retention job deletes old days; queries look back `maxSpanAgeDays`.
 */
export function buildElasticsearchBackend(es: JaegerElasticsearchStorage): JaegerElasticsearchBackendConfig {
  if (!/^https:\/\//.test(es.serverUrl)) throw new Error(`jaeger elasticsearch: serverUrl ${es.serverUrl} must be https (credentials travel with every request)`);
  for (const [what, path] of [['passwordFile', es.passwordFile], ['caFile', es.caFile]] as const) {
    if (!path.startsWith('/')) throw new Error(`jaeger elasticsearch: ${what} must be an absolute path, got "${path}"`);
  }
  const shards = positiveInt(es.shards ?? 1, 'shards');
  const replicas = positiveInt(es.replicas, 'replicas', 0);
  // A fresh object per family: a shared one would render as YAML anchors and aliases.
  const index = (): JaegerIndexOptions => ({ shards, replicas, rollover_frequency: 'day' });
  return {
    server_urls: [es.serverUrl],
    // Explicit, so Jaeger does not GET / for it (that needs the `monitor` cluster privilege).
    version: positiveInt(es.elasticsearchMajor ?? 8, 'elasticsearchMajor', 7),
    // The olivere client's health check is HEAD / (`monitor` again). Without it a bad URL,
    // password or CA still fails the start: the index templates are put before serving.
    disable_health_check: true,
    // The password is read from the mounted file (and re-read when the Secret changes).
    auth: { basic: { username: es.username, password_file: es.passwordFile } },
    // Verified against our CA. Never `insecure`: in Jaeger's ES client it means InsecureSkipVerify.
    tls: { ca_file: es.caFile },
    create_mappings: true,
    use_ilm: false,
    use_aliases: false,
    // Go duration: no `d` unit.
    max_span_age: `${maxSpanAgeDays(es.maxSpanAgeDays) * 24}h`,
    indices: { spans: index(), services: index(), dependencies: index(), sampling: index() },
  };
}

export function buildJaegerConfig(options: JaegerConfigOptions): JaegerConfig {
  const host = options.listenHost ?? '0.0.0.0';
  const p = { ...JAEGER_PORTS, ...options.ports };
  const storage = options.elasticsearch ? JAEGER_ELASTICSEARCH_BACKEND : JAEGER_MEMORY_BACKEND;
  const backend: JaegerStorageBackend = options.elasticsearch
    ? { elasticsearch: buildElasticsearchBackend(options.elasticsearch) }
    : { memory: { max_traces: options.maxTraces } };
  // With Elasticsearch storage, the Monitor tab's metrics come from the same span indices: the
  // metric backend is the same cluster, user and index naming (its own client; a fresh object,
  // not a YAML alias). Memory storage has no metric reader.
  const metricBackends: Record<string, JaegerMetricBackend> | undefined = options.elasticsearch
    ? { [JAEGER_METRICS_BACKEND]: { elasticsearch: buildElasticsearchBackend(options.elasticsearch) } }
    : undefined;
  return {
    service: {
      extensions: ['jaeger_storage', 'jaeger_query', 'healthcheckv2'],
      pipelines: {
        traces: { receivers: ['otlp'], processors: ['batch'], exporters: ['jaeger_storage_exporter'] },
      },
      telemetry: {
        resource: { 'service.name': 'jaeger' },
        metrics: { level: 'basic', readers: [{ pull: { exporter: { prometheus: { host, port: p.metrics } } } }] },
        logs: { level: 'info' },
      },
    },
    extensions: {
      // The chart's probes call GET /status on 13133.
      healthcheckv2: { use_v2: true, http: { endpoint: `${host}:${p.health}` } },
      jaeger_query: {
        storage: { traces: storage, ...(metricBackends ? { metrics: JAEGER_METRICS_BACKEND } : {}) },
        http: { endpoint: `${host}:${p.queryHttp}` },
        grpc: { endpoint: `${host}:${p.queryGrpc}` },
        ...(options.uiConfigFile ? { ui: { config_file: options.uiConfigFile } } : {}),
      },
      jaeger_storage: { backends: { [storage]: backend }, ...(metricBackends ? { metric_backends: metricBackends } : {}) },
    },
    receivers: {
      otlp: { protocols: { grpc: { endpoint: `${host}:${p.otlpGrpc}` }, http: { endpoint: `${host}:${p.otlpHttp}` } } },
    },
    processors: { batch: {} },
    exporters: { jaeger_storage_exporter: { trace_storage: storage } },
  };
}
