/**
 * The OpenTelemetry Collector configuration, built as a typed object by one function that
 * the otel-collector stack, the tests and the off-cluster e2e run all call.
 *
 * Profiles:
 * - `kubernetes`: what runs in the cluster (OTLP + Prometheus + kubelet/cluster stats
 *   receivers, k8s attributes, OTLP to Jaeger, Prometheus endpoint, debug, events to ES).
 * - `local`: the same pipelines minus the components that need a Kubernetes API
 *   (k8s_observer, receiver_creator/kubeletstats, k8s_cluster, k8sobjects, k8s_attributes,
 *   the events → Elasticsearch pipeline); every listener on a loopback address.
 */

export type CollectorProfile = 'kubernetes' | 'local';

export interface CollectorEventsSink {
  /** https URL of the Elasticsearch HTTP endpoint. */
  readonly endpoint: string;
  /** Index prefix of the daily Kubernetes events indices. */
  readonly index: string;
  /** Path of the CA certificate inside the collector container. */
  readonly caFile: string;
}

export interface CollectorConfigOptions {
  readonly profile: CollectorProfile;
  /** host:port of Jaeger's OTLP gRPC receiver (the Jaeger stack's output). */
  readonly jaegerOtlpEndpoint: string;
  /** @default 8889 */
  readonly prometheusPort?: number;
  /** Added as k8s.cluster.name to every signal. */
  readonly clusterName: string;
  /** Added as deployment.environment.name. */
  readonly environment: string;
  /** @default 30 */
  readonly statsIntervalSeconds?: number;
  /** Where Kubernetes events go (kubernetes profile only). @default - events pipeline off */
  readonly events?: CollectorEventsSink;
  /** Listen address. @default `${env:MY_POD_IP}` (kubernetes) or 127.0.0.1 (local) */
  readonly listenHost?: string;
  /** Ports of the collector's own listeners (local runs move them to free ports). */
  readonly ports?: Partial<CollectorPorts>;
}

export interface CollectorPorts {
  readonly otlpGrpc: number;
  readonly otlpHttp: number;
  readonly health: number;
  readonly telemetry: number;
}

export const DEFAULT_COLLECTOR_PORTS: CollectorPorts = { otlpGrpc: 4317, otlpHttp: 4318, health: 13133, telemetry: 8888 };

export type ComponentConfig = Record<string, unknown>;

export interface Pipeline {
  readonly receivers: string[];
  readonly processors: string[];
  readonly exporters: string[];
}

export interface CollectorConfig {
  readonly extensions: Record<string, ComponentConfig>;
  readonly receivers: Record<string, ComponentConfig>;
  readonly processors: Record<string, ComponentConfig>;
  readonly exporters: Record<string, ComponentConfig>;
  readonly service: {
    readonly extensions: string[];
    readonly pipelines: Record<string, Pipeline>;
    readonly telemetry: ComponentConfig;
  };
}

/** Exporter name of the OTLP exporter that sends traces to Jaeger. */
export const JAEGER_EXPORTER = 'otlp/jaeger';
export const EVENTS_EXPORTER = 'elasticsearch/events';

/** Processors in the order the collector must run them: limiter first, batch last. */
function processorChain(profile: CollectorProfile): string[] {
  return profile === 'kubernetes' ? ['memory_limiter', 'k8s_attributes', 'resource', 'batch'] : ['memory_limiter', 'resource', 'batch'];
}

export function buildCollectorConfig(options: CollectorConfigOptions): CollectorConfig {
  validateOptions(options);
  const k8s = options.profile === 'kubernetes';
  const host = options.listenHost ?? (k8s ? '${env:MY_POD_IP}' : '127.0.0.1');
  const ports = { ...DEFAULT_COLLECTOR_PORTS, ...options.ports };
  const prometheusPort = options.prometheusPort ?? 8889;
  const interval = `${options.statsIntervalSeconds ?? 30}s`;
  const processors = processorChain(options.profile);

  const extensions: Record<string, ComponentConfig> = {
    health_check: { endpoint: `${host}:${ports.health}` },
  };
  const receivers: Record<string, ComponentConfig> = {
    otlp: {
      protocols: {
        grpc: { endpoint: `${host}:${ports.otlpGrpc}` },
        http: { endpoint: `${host}:${ports.otlpHttp}` },
      },
    },
    prometheus: { config: { scrape_configs: prometheusScrapeConfigs(options.profile, host, ports.telemetry) } },
  };
  const metricsReceivers = ['otlp', 'prometheus'];

  if (k8s) {
    // One collector replica scrapes every node's kubelet through the observer, so stats are
    // complete on multi-node clusters and nothing is collected twice.
    extensions.k8s_observer = { auth_type: 'serviceAccount', observe_nodes: true, observe_pods: false };
    receivers['receiver_creator/kubeletstats'] = {
      watch_observers: ['k8s_observer'],
      receivers: {
        kubeletstats: {
          rule: 'type == "k8s.node"',
          config: {
            auth_type: 'serviceAccount',
            collection_interval: interval,
            endpoint: '`endpoint`:`kubelet_endpoint_port`',
            // kind's kubelet serving certificates are self-signed.
            insecure_skip_verify: true,
            metric_groups: ['node', 'pod', 'container'],
          },
        },
      },
    };
    receivers.k8s_cluster = {
      auth_type: 'serviceAccount',
      collection_interval: interval,
      node_conditions_to_report: ['Ready', 'MemoryPressure', 'DiskPressure'],
      allocatable_types_to_report: ['cpu', 'memory'],
    };
    metricsReceivers.push('receiver_creator/kubeletstats', 'k8s_cluster');
  }

  const processorConfigs: Record<string, ComponentConfig> = {
    memory_limiter: { check_interval: '1s', limit_percentage: 80, spike_limit_percentage: 25 },
    resource: {
      attributes: [
        { key: 'k8s.cluster.name', value: options.clusterName, action: 'upsert' },
        { key: 'deployment.environment.name', value: options.environment, action: 'insert' },
      ],
    },
    batch: { send_batch_size: 1024, send_batch_max_size: 2048, timeout: '2s' },
  };
  if (k8s) {
    processorConfigs.k8s_attributes = {
      auth_type: 'serviceAccount',
      passthrough: false,
      extract: {
        metadata: ['k8s.namespace.name', 'k8s.pod.name', 'k8s.pod.uid', 'k8s.deployment.name', 'k8s.node.name', 'k8s.pod.start_time'],
      },
      pod_association: [
        { sources: [{ from: 'resource_attribute', name: 'k8s.pod.ip' }] },
        { sources: [{ from: 'resource_attribute', name: 'k8s.pod.uid' }] },
        { sources: [{ from: 'connection' }] },
      ],
    };
  }

  const exporters: Record<string, ComponentConfig> = {
    [JAEGER_EXPORTER]: {
      endpoint: options.jaegerOtlpEndpoint,
      // In-cluster hop to Jaeger's plaintext OTLP port.
      tls: { insecure: true },
      timeout: '10s',
      sending_queue: { enabled: true, num_consumers: 4, queue_size: 5000 },
      retry_on_failure: { enabled: true, initial_interval: '1s', max_interval: '30s', max_elapsed_time: '300s' },
    },
    prometheus: {
      endpoint: `${k8s ? '0.0.0.0' : host}:${prometheusPort}`,
      metric_expiration: '10m',
      resource_to_telemetry_conversion: { enabled: true },
      enable_open_metrics: true,
    },
    debug: { verbosity: 'basic', sampling_initial: 5, sampling_thereafter: 200 },
  };

  const pipelines: Record<string, Pipeline> = {
    traces: { receivers: ['otlp'], processors, exporters: [JAEGER_EXPORTER, 'debug'] },
    metrics: { receivers: metricsReceivers, processors, exporters: ['prometheus', 'debug'] },
  };

  if (k8s && options.events) {
    receivers.k8sobjects = { auth_type: 'serviceAccount', objects: [{ name: 'events', mode: 'watch', group: 'events.k8s.io' }] };
    exporters[EVENTS_EXPORTER] = {
      endpoints: [options.events.endpoint],
      // Plain daily indices <index>-YYYY-MM-DD, like Fluentd's, so one retention job prunes
      // both. The default mode (otel) sends require_data_stream=true, which a plain index
      // rejects; raw writes plain documents (watch event as Body, no attribute prefixes).
      mapping: { mode: 'raw' },
      logs_index: options.events.index,
      logstash_format: { enabled: true, prefix_separator: '-', date_format: '%Y-%m-%d' },
      user: '${env:ES_USERNAME}',
      password: '${env:ES_PASSWORD}',
      tls: { ca_file: options.events.caFile },
      sending_queue: { enabled: true, queue_size: 1000 },
      retry: { enabled: true, initial_interval: '1s', max_interval: '30s' },
    };
    pipelines['logs/events'] = { receivers: ['k8sobjects'], processors: ['memory_limiter', 'resource', 'batch'], exporters: [EVENTS_EXPORTER] };
  }

  return {
    extensions,
    receivers,
    processors: processorConfigs,
    exporters,
    service: {
      extensions: Object.keys(extensions),
      pipelines,
      telemetry: {
        metrics: { level: 'detailed', readers: [{ pull: { exporter: { prometheus: { host, port: ports.telemetry } } } }] },
        logs: { level: 'info', encoding: 'json' },
      },
    },
  };
}

function prometheusScrapeConfigs(profile: CollectorProfile, host: string, telemetryPort: number): ComponentConfig[] {
  const self = { job_name: 'otel-collector', scrape_interval: '15s', static_configs: [{ targets: [`${host}:${telemetryPort}`] }] };
  if (profile === 'local') return [self];
  // Pods that opt in with prometheus.io/scrape=true (Fluentd does). `$$` escapes the
  // collector's own ${} expansion so Prometheus sees `$1`.
  const annotatedPods = {
    job_name: 'kubernetes-pods',
    scrape_interval: '30s',
    kubernetes_sd_configs: [{ role: 'pod' }],
    relabel_configs: [
      { source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_scrape'], action: 'keep', regex: 'true' },
      { source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_path'], action: 'replace', target_label: '__metrics_path__', regex: '(.+)' },
      {
        source_labels: ['__address__', '__meta_kubernetes_pod_annotation_prometheus_io_port'],
        action: 'replace',
        regex: '([^:]+)(?::\\d+)?;(\\d+)',
        replacement: '$$1:$$2',
        target_label: '__address__',
      },
      { source_labels: ['__meta_kubernetes_namespace'], target_label: 'k8s_namespace_name' },
      { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'k8s_pod_name' },
    ],
  };
  return [self, annotatedPods];
}

function validateOptions(o: CollectorConfigOptions): void {
  if (!/^[^\s:/]+:\d{1,5}$/.test(o.jaegerOtlpEndpoint) && !o.jaegerOtlpEndpoint.includes('${')) {
    throw new Error(`collector: jaegerOtlpEndpoint "${o.jaegerOtlpEndpoint}" must be host:port of Jaeger's OTLP gRPC receiver (no scheme)`);
  }
  if (o.profile === 'local' && o.events) throw new Error('collector: the events pipeline needs the Kubernetes API and is not part of the local profile');
}

/** Every component id a pipeline names, by kind; used by tests and the e2e manifest check. */
export function componentsInUse(config: { service: { extensions: string[]; pipelines: Record<string, Pipeline | null> } }): { receivers: string[]; processors: string[]; exporters: string[]; extensions: string[] } {
  // A null pipeline is one deleted from the chart's defaults.
  const pipelines = Object.values(config.service.pipelines).filter((p): p is Pipeline => p !== null);
  const uniq = (xs: string[]) => [...new Set(xs)].sort();
  return {
    receivers: uniq(pipelines.flatMap((p) => p.receivers)),
    processors: uniq(pipelines.flatMap((p) => p.processors)),
    exporters: uniq(pipelines.flatMap((p) => p.exporters)),
    extensions: uniq(config.service.extensions),
  };
}
