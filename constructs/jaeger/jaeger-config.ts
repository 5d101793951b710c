/**
 * Jaeger v2 configuration (an OpenTelemetry Collector config with Jaeger's extensions),
 * used as the chart's `userconfig` and by the off-cluster e2e run of the real binary.
 */
export interface JaegerConfigOptions {
  /** Traces the in-memory store keeps. */
  readonly maxTraces: number;
  /** @default 0.0.0.0 */
  readonly listenHost?: string;
  /** @default JAEGER_PORTS */
  readonly ports?: Partial<JaegerPorts>;
}

export interface JaegerPorts {
  readonly otlpGrpc: number;
  readonly otlpHttp: number;
  readonly queryHttp: number;
  readonly queryGrpc: number;
  readonly health: number;
  readonly metrics: number;
}

/** The ports the chart's Service and probes expect. */
export const JAEGER_PORTS: JaegerPorts = { otlpGrpc: 4317, otlpHttp: 4318, queryHttp: 16686, queryGrpc: 16685, health: 13133, metrics: 8888 };

export function buildJaegerConfig(options: JaegerConfigOptions) {
  const host = options.listenHost ?? '0.0.0.0';
  const p = { ...JAEGER_PORTS, ...options.ports };
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
        storage: { traces: 'memstore' },
        http: { endpoint: `${host}:${p.queryHttp}` },
        grpc: { endpoint: `${host}:${p.queryGrpc}` },
      },
      jaeger_storage: { backends: { memstore: { memory: { max_traces: options.maxTraces } } } },
    },
    receivers: {
      otlp: { protocols: { grpc: { endpoint: `${host}:${p.otlpGrpc}` }, http: { endpoint: `${host}:${p.otlpHttp}` } } },
    },
    processors: { batch: {} },
    exporters: { jaeger_storage_exporter: { trace_storage: 'memstore' } },
  };
}
