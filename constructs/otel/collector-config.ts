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
 *
 * Roles (which component groups one collector runs, see ROLE_GROUPS):
 * - `agent`: one per node (DaemonSet, both profiles), what the apps send OTLP to: k8s attributes
 *   of the pods of its node, kubelet stats of its node, resource detection, forwarded over OTLP
 *   to the all-in-one or the gateway. It answers an app only once the next hop took the data
 *   (no batch processor: batching in the exporter's queue, `wait_for_result`), so an agent that
 *   dies holds nothing the app has let go of (docs/agent.md).
 * - `all-in-one`: everything else in one single-replica collector (the dev setup).
 * - `gateway`: the agents' upstream, safe to scale out: OTLP in, traces to Jaeger, metrics to
 *   its Prometheus endpoint. Collects nothing by itself but its own telemetry.
 * - `cluster`: exactly one replica doing the cluster-level collection (k8s_cluster, the
 *   annotated-pods scrape, events), so nothing is collected twice. No OTLP receiver.
 *   Kubernetes profile only.
 */

export type CollectorProfile = 'kubernetes' | 'local';

export type CollectorRole = 'all-in-one' | 'gateway' | 'cluster' | 'agent';

/**
 * Groups of components that are switched on together. Always on, in every role: the
 * health_check extension, the Prometheus receiver scraping the collector's own telemetry,
 * the memory_limiter/resource/batch processors and the prometheus and debug exporters.
 */
export type ComponentGroup =
  /** otlp receiver (traces + metrics), traces pipeline to otlp/jaeger (agent: to otlp/gateway). */
  | 'otlp'
  /** k8s_attributes processor of the pods on the agent's node (associated by pod IP/UID/connection). */
  | 'k8sAttributes'
  /** kubelet_stats of the agent's own node. */
  | 'nodeStats'
  /** resource_detection: env and k8s_api (the agent's node) detectors. */
  | 'resourceDetection'
  /** k8s_cluster receiver. */
  | 'clusterMetrics'
  /** Prometheus scrape job of the pods annotated prometheus.io/scrape=true. */
  | 'annotatedPods'
  /** k8sobjects (events.k8s.io) → elasticsearch/events, when `events` is given. */
  | 'events';

/** The groups each role runs (kubernetes profile; the local profile drops KUBERNETES_ONLY_GROUPS). */
export const ROLE_GROUPS: Readonly<Record<CollectorRole, readonly ComponentGroup[]>> = {
  agent: ['otlp', 'k8sAttributes', 'nodeStats', 'resourceDetection'],
  'all-in-one': ['otlp', 'clusterMetrics', 'annotatedPods', 'events'],
  gateway: ['otlp'],
  cluster: ['clusterMetrics', 'annotatedPods', 'events'],
};

/** Groups that need the Kubernetes API. */
export const KUBERNETES_ONLY_GROUPS: readonly ComponentGroup[] = ['k8sAttributes', 'nodeStats', 'resourceDetection', 'clusterMetrics', 'annotatedPods', 'events'];

/**
 * The exporters' persistent sending queue: a `file_storage` extension whose directory keeps
 * what has not reached Jaeger (or Elasticsearch) yet across a collector restart. Limits count
 * items (spans, events), so the disk they take is bounded too.
 */
export interface PersistentQueue {
  /** Directory of the queue files (a volume of its own in the cluster). */
  readonly directory: string;
  /**
   * Spans the otlp/jaeger queue holds; beyond that new spans are refused (counted in
   * otelcol_exporter_enqueue_failed_spans) and the OTLP client keeps them.
   * @default QUEUE_LIMITS.spans
   */
  readonly spans?: number;
  /** Kubernetes events the elasticsearch/events queue holds. @default QUEUE_LIMITS.events */
  readonly events?: number;
}

/**
 * Queue limits, from the disk budget of the queue volume (collector.queue.storage, 1Gi in dev):
 * a span takes ~0.5-1 KiB in the queue (OTLP protobuf), 200 000 spans ≤ ~200 MiB; an event
 * ~1-2 KiB, 20 000 events ≤ ~40 MiB. Both together stay well under the volume with room for
 * the store's compaction copy. At the dev sample app's rate (~10 spans/s) that is hours of a
 * Jaeger outage.
 */
export const QUEUE_LIMITS = { spans: 200_000, events: 20_000 } as const;

/** Limits of the in-memory queues (no persistentQueue): bounded by the collector's memory instead. */
export const MEMORY_QUEUE_LIMITS = { spans: 20_000, events: 5_000 } as const;

/** The file_storage extension id the sending queues use. */
export const QUEUE_STORAGE = 'file_storage/queue';

/** Where the in-cluster collectors keep their queue (the mount of their queue volume). */
export const QUEUE_DIRECTORY = '/var/lib/otelcol/queue';

/**
 * Retries of a queued batch: backoff 1 s → 30 s, and no time limit (max_elapsed_time 0), so a
 * batch waits out a backend outage of any length in the queue; what bounds the loss is the
 * queue's size, and a refused batch is counted (enqueue_failed). A permanent error (a rejected
 * payload) is not retried and counted in send_failed.
 */
export const EXPORT_RETRY = { enabled: true, initial_interval: '1s', max_interval: '30s', max_elapsed_time: '0s' } as const;

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
  /**
   * Which part of the collection this collector does.
   * @default 'all-in-one'
   */
  readonly role?: CollectorRole;
  /**
   * host:port of Jaeger's OTLP gRPC receiver (the Jaeger stack's output). Required by the
   * roles that export traces (all-in-one, gateway); the cluster role does not use it.
   * @default - none (an error for all-in-one and gateway)
   */
  readonly jaegerOtlpEndpoint?: string;
  /**
   * host:port of the upstream collector's OTLP gRPC receiver (the gateway, or the dev
   * all-in-one). Required by the agent role only.
   * @default - none (an error for the agent)
   */
  readonly gatewayOtlpEndpoint?: string;
  /** @default 8889 */
  readonly prometheusPort?: number;
  /** Added as k8s.cluster.name to every signal. */
  readonly clusterName: string;
  /** Added as deployment.environment.name. */
  readonly environment: string;
  /** @default 30 */
  readonly statsIntervalSeconds?: number;
  /** Where Kubernetes events go (kubernetes profile, roles all-in-one and cluster). @default - events pipeline off */
  readonly events?: CollectorEventsSink;
  /** Listen address. @default `${env:MY_POD_IP}` (kubernetes) or 127.0.0.1 (local) */
  readonly listenHost?: string;
  /** Ports of the collector's own listeners (local runs move them to free ports). */
  readonly ports?: Partial<CollectorPorts>;
  /**
   * The exporters' persistent sending queue; `false`: in-memory queues (lost on a restart).
   * The agent has none: it answers the app only after forwarding (wait_for_result), which the
   * collector refuses together with a persistent queue.
   * @default { directory: QUEUE_DIRECTORY } (kubernetes, except the agent), false (local and agent)
   */
  readonly persistentQueue?: PersistentQueue | false;
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
/** Exporter name of the agent's OTLP exporter to the upstream collector (gateway or all-in-one). */
export const AGENT_EXPORTER = 'otlp/gateway';

/** Environment variables of the agent pod (downward API, set by the add-on): its node's name and IP. */
export const NODE_NAME_ENV = 'K8S_NODE_NAME';
export const NODE_IP_ENV = 'K8S_NODE_IP';

/** The kubelet's authenticated port (kubelet_stats of the agent's own node). */
export const KUBELET_PORT = 10250;

/**
 * The agent's sending queue: requests wait in it until the upstream collector took their batch
 * (`wait_for_result`), so the queue holds only what apps are still waiting on, never data they
 * consider delivered. Batching happens here (the batch processor would answer the app at once).
 * Limits: items in flight per agent; beyond them a request is refused and the app retries.
 */
export const AGENT_QUEUE = { items: 10_000, batch: { flush_timeout: '200ms', min_size: 1024, max_size: 2048 } } as const;

/**
 * The agent's retries: short, so the app still waits for the answer (the OTLP SDKs' export
 * timeout is 10 s: ≤ 5 s of retries + one 3 s attempt); after that the app gets a retryable
 * error and keeps the batch (the sample app's span buffer, an SDK's own retry).
 */
export const AGENT_RETRY = { enabled: true, initial_interval: '250ms', max_interval: '1s', max_elapsed_time: '5s' } as const;
export const AGENT_EXPORT_TIMEOUT = '3s';

/** The component groups a collector of this role and profile runs. */
export function componentGroups(role: CollectorRole, profile: CollectorProfile, withEvents: boolean): Set<ComponentGroup> {
  return new Set(ROLE_GROUPS[role].filter((g) => (profile === 'kubernetes' || !KUBERNETES_ONLY_GROUPS.includes(g)) && (g !== 'events' || withEvents)));
}

/**
 * Processors in the order the collector must run them: limiter first, batch last. The agent has
 * no batch processor: its exporter batches in the sending queue and answers after forwarding.
 */
function processorChain(groups: Set<ComponentGroup>, role: CollectorRole): string[] {
  return [
    'memory_limiter',
    ...(groups.has('k8sAttributes') ? ['k8s_attributes'] : []),
    ...(groups.has('resourceDetection') ? ['resource_detection'] : []),
    'resource',
    ...(role === 'agent' ? [] : ['batch']),
  ];
}

export function buildCollectorConfig(options: CollectorConfigOptions): CollectorConfig {
  const role = options.role ?? 'all-in-one';
  validateOptions(options, role);
  const groups = componentGroups(role, options.profile, options.events !== undefined);
  const k8s = options.profile === 'kubernetes';
  const host = options.listenHost ?? (k8s ? '${env:MY_POD_IP}' : '127.0.0.1');
  const ports = { ...DEFAULT_COLLECTOR_PORTS, ...options.ports };
  const prometheusPort = options.prometheusPort ?? 8889;
  const interval = `${options.statsIntervalSeconds ?? 30}s`;
  const processors = processorChain(groups, role);
  const agent = role === 'agent';

  const extensions: Record<string, ComponentConfig> = {
    health_check: { endpoint: `${host}:${ports.health}` },
  };
  const persistent = options.persistentQueue ?? (k8s && !agent ? { directory: QUEUE_DIRECTORY } : false);
  if (persistent) {
    // bbolt files in the queue volume; compaction reclaims the space a drained queue leaves.
    extensions[QUEUE_STORAGE] = {
      directory: persistent.directory,
      create_directory: true,
      timeout: '1s',
      compaction: { directory: persistent.directory, on_start: true, on_rebound: true },
    };
  }
  /** A sending queue that counts items, on disk when persistent. */
  const sendingQueue = (items: number, numConsumers: number) => ({
    enabled: true,
    num_consumers: numConsumers,
    sizer: 'items',
    queue_size: items,
    ...(persistent ? { storage: QUEUE_STORAGE } : {}),
  });
  const receivers: Record<string, ComponentConfig> = {};
  const metricsReceivers: string[] = [];
  if (groups.has('otlp')) {
    receivers.otlp = {
      protocols: {
        grpc: { endpoint: `${host}:${ports.otlpGrpc}` },
        http: { endpoint: `${host}:${ports.otlpHttp}` },
      },
    };
    metricsReceivers.push('otlp');
  }
  receivers.prometheus = { config: { scrape_configs: prometheusScrapeConfigs(groups.has('annotatedPods'), host, ports.telemetry, agent) } };
  metricsReceivers.push('prometheus');

  if (groups.has('nodeStats')) {
    // Each agent scrapes the kubelet of its own node: the work grows with the node, not the cluster.
    receivers.kubelet_stats = {
      auth_type: 'serviceAccount',
      collection_interval: interval,
      endpoint: `https://\${env:${NODE_IP_ENV}}:${KUBELET_PORT}`,
      // kind's kubelet serving certificates are self-signed.
      insecure_skip_verify: true,
      metric_groups: ['node', 'pod', 'container'],
    };
    metricsReceivers.push('kubelet_stats');
  }
  if (groups.has('clusterMetrics')) {
    receivers.k8s_cluster = {
      auth_type: 'serviceAccount',
      collection_interval: interval,
      node_conditions_to_report: ['Ready', 'MemoryPressure', 'DiskPressure'],
      allocatable_types_to_report: ['cpu', 'memory'],
    };
    metricsReceivers.push('k8s_cluster');
  }

  const processorConfigs: Record<string, ComponentConfig> = {
    memory_limiter: { check_interval: '1s', limit_percentage: 80, spike_limit_percentage: 25 },
    resource: {
      attributes: [
        { key: 'k8s.cluster.name', value: options.clusterName, action: 'upsert' },
        { key: 'deployment.environment.name', value: options.environment, action: 'insert' },
      ],
    },
    ...(agent ? {} : { batch: { send_batch_size: 1024, send_batch_max_size: 2048, timeout: '2s' } }),
  };
  if (groups.has('k8sAttributes')) {
    // What this extracts decides the RBAC the add-on grants (AGENT_RBAC_RULES): keep them in step.
    processorConfigs.k8s_attributes = {
      auth_type: 'serviceAccount',
      passthrough: false,
      // Only the pods of the agent's node: the apps reach the agent of their own node.
      filter: { node_from_env_var: NODE_NAME_ENV },
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

  if (groups.has('resourceDetection')) {
    processorConfigs.resource_detection = {
      detectors: ['env', 'k8s_api'],
      // What the SDK or k8s_attributes set stays (the processor's default is to override).
      override: false,
      // k8s.cluster.uid would need get on namespaces/kube-system; the resource processor names the cluster.
      k8s_api: { node_from_env_var: NODE_NAME_ENV, resource_attributes: { 'k8s.cluster.uid': { enabled: false } } },
    };
  }

  const exporters: Record<string, ComponentConfig> = {};
  if (agent) {
    exporters[AGENT_EXPORTER] = {
      endpoint: options.gatewayOtlpEndpoint,
      // In-cluster hop to the gateway's plaintext OTLP port.
      tls: { insecure: true },
      timeout: AGENT_EXPORT_TIMEOUT,
      sending_queue: { enabled: true, wait_for_result: true, block_on_overflow: false, num_consumers: 4, sizer: 'items', queue_size: AGENT_QUEUE.items, batch: { ...AGENT_QUEUE.batch } },
      retry_on_failure: AGENT_RETRY,
    };
  } else if (groups.has('otlp')) {
    exporters[JAEGER_EXPORTER] = {
      endpoint: options.jaegerOtlpEndpoint,
      // In-cluster hop to Jaeger's plaintext OTLP port.
      tls: { insecure: true },
      timeout: '10s',
      sending_queue: sendingQueue(persistent ? (persistent.spans ?? QUEUE_LIMITS.spans) : MEMORY_QUEUE_LIMITS.spans, 4),
      retry_on_failure: EXPORT_RETRY,
    };
  }
  // The agent exposes no metrics endpoint of its own: everything goes to the gateway, which does.
  if (!agent) {
    exporters.prometheus = {
      endpoint: `${k8s ? '0.0.0.0' : host}:${prometheusPort}`,
      metric_expiration: '10m',
      resource_to_telemetry_conversion: { enabled: true },
      enable_open_metrics: true,
    };
    exporters.debug = { verbosity: 'basic', sampling_initial: 5, sampling_thereafter: 200 };
  }

  const pipelines: Record<string, Pipeline> = {};
  const out = agent ? { traces: [AGENT_EXPORTER], metrics: [AGENT_EXPORTER] } : { traces: [JAEGER_EXPORTER, 'debug'], metrics: ['prometheus', 'debug'] };
  if (groups.has('otlp')) pipelines.traces = { receivers: ['otlp'], processors, exporters: out.traces };
  pipelines.metrics = { receivers: metricsReceivers, processors, exporters: out.metrics };

  if (groups.has('events') && options.events) {
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
      sending_queue: sendingQueue(persistent ? (persistent.events ?? QUEUE_LIMITS.events) : MEMORY_QUEUE_LIMITS.events, 2),
      // The exporter's own retry (not retry_on_failure): 2 retries by default; 20 with backoff
      // up to 30 s ride out ~8 min of Elasticsearch being down before a batch is dropped.
      retry: { enabled: true, max_retries: 20, initial_interval: '1s', max_interval: '30s', retry_on_status: [429, 502, 503, 504] },
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

/** Job name of the collector's scrape of its own telemetry (each replica scrapes only itself). */
export const SELF_SCRAPE_JOB = 'otel-collector';
/**
 * Job name of each agent's scrape of its own telemetry, forwarded with its other metrics to the
 * gateway's Prometheus endpoint, where `npm run verify` reads the agent hop per node (by the
 * AGENT_NODE_LABEL the scrape adds).
 */
export const AGENT_SELF_SCRAPE_JOB = 'otel-agent';
/**
 * Label naming the agent's node on its own telemetry; it also tells the agents' series from the
 * gateway's (both carry the collector's own service.name as `job`).
 */
export const AGENT_NODE_LABEL = 'agent_node';

function prometheusScrapeConfigs(annotatedPods: boolean, host: string, telemetryPort: number, agent: boolean): ComponentConfig[] {
  const target = `${host}:${telemetryPort}`;
  const self = agent
    ? { job_name: AGENT_SELF_SCRAPE_JOB, scrape_interval: '15s', static_configs: [{ targets: [target], labels: { [AGENT_NODE_LABEL]: `\${env:${NODE_NAME_ENV}}` } }] }
    : { job_name: SELF_SCRAPE_JOB, scrape_interval: '15s', static_configs: [{ targets: [target] }] };
  if (!annotatedPods) return [self];
  // Pods that opt in with prometheus.io/scrape=true (Fluentd does). `$$` escapes the
  // collector's own ${} expansion so Prometheus sees `$1`.
  const annotatedPodsJob = {
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
  return [self, annotatedPodsJob];
}

function validateOptions(o: CollectorConfigOptions, role: CollectorRole): void {
  if (!ROLE_GROUPS[role]) throw new Error(`collector: unknown role "${role}" (agent, all-in-one, gateway or cluster)`);
  if (role === 'agent') {
    if (o.gatewayOtlpEndpoint === undefined) throw new Error('collector: the agent forwards to the gateway (or the dev all-in-one) and needs gatewayOtlpEndpoint (host:port of its OTLP gRPC receiver)');
    if (!/^[^\s:/]+:\d{1,5}$/.test(o.gatewayOtlpEndpoint) && !o.gatewayOtlpEndpoint.includes('${')) throw new Error(`collector: gatewayOtlpEndpoint "${o.gatewayOtlpEndpoint}" must be host:port of the gateway's OTLP gRPC receiver (no scheme)`);
    if (o.jaegerOtlpEndpoint !== undefined) throw new Error('collector: the agent does not export to Jaeger (it forwards to the gateway): pass gatewayOtlpEndpoint, not jaegerOtlpEndpoint');
    if (o.persistentQueue) {
      throw new Error('collector: the agent has no persistent queue: it answers the app only after forwarding (sending_queue.wait_for_result), which the collector refuses together with a storage; the app keeps what the agent has not forwarded');
    }
    return;
  }
  if (o.gatewayOtlpEndpoint !== undefined) throw new Error(`collector: role "${role}" does not forward to a gateway; gatewayOtlpEndpoint is for the agent`);
  if (role === 'cluster' && o.profile !== 'kubernetes') {
    throw new Error('collector: the cluster role collects from the Kubernetes API (kubelets, k8s_cluster, events) and has no local profile; run the gateway role locally');
  }
  if (ROLE_GROUPS[role].includes('otlp')) {
    if (o.jaegerOtlpEndpoint === undefined) throw new Error(`collector: role "${role}" exports traces to Jaeger and needs jaegerOtlpEndpoint (host:port of Jaeger's OTLP gRPC receiver)`);
  }
  if (o.jaegerOtlpEndpoint !== undefined && !/^[^\s:/]+:\d{1,5}$/.test(o.jaegerOtlpEndpoint) && !o.jaegerOtlpEndpoint.includes('${')) {
    throw new Error(`collector: jaegerOtlpEndpoint "${o.jaegerOtlpEndpoint}" must be host:port of Jaeger's OTLP gRPC receiver (no scheme)`);
  }
  if (o.profile === 'local' && o.events) throw new Error('collector: the events pipeline needs the Kubernetes API and is not part of the local profile');
  if (o.events && !ROLE_GROUPS[role].includes('events')) {
    throw new Error(`collector: role "${role}" runs no events pipeline (events are collected once, by the cluster collector): pass events to role "cluster"`);
  }
}

/**
 * Receivers (and Prometheus scrape jobs) that collect cluster-wide data by themselves: every
 * replica running one collects the same data again, so they belong in one replica only.
 * Ids as in the config; a Prometheus job as `prometheus job <name>`.
 */
export function clusterWideCollectors(config: Pick<CollectorConfig, 'receivers'>): string[] {
  // kubelet_stats is cluster-wide only through an observer (receiver_creator); the agent's scrapes its own node.
  const wide = Object.keys(config.receivers).filter((id) => ['receiver_creator', 'k8s_cluster', 'k8sobjects', 'k8s_events'].includes(id.split('/')[0]));
  const jobs = ((config.receivers.prometheus as { config?: { scrape_configs?: { job_name: string; kubernetes_sd_configs?: unknown[] }[] } } | undefined)?.config?.scrape_configs ?? [])
    .filter((j) => j.kubernetes_sd_configs !== undefined)
    .map((j) => `prometheus job ${j.job_name}`);
  return [...wide, ...jobs];
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
