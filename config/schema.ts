import { z } from 'zod';

/**
 * The one typed configuration of the monitoring stack. Every field has a laptop-sized
 * default; docs/configuration.md documents each one. Objects are strict, so a
 * misspelt key is an error instead of a silently ignored value.
 */

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dnsLabel = z
  .string()
  .max(63)
  .regex(DNS_LABEL, 'must be a DNS-1123 label: lowercase letters, digits and "-", starting and ending with a letter or digit, at most 63 characters');
const port = z.int().min(1).max(65535);
const dnsSubdomain = z.string().max(253).regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a Kubernetes object name (lowercase letters, digits, "-" and ".")');
const semver = z.string().regex(/^\d+\.\d+\.\d+$/, 'must be an exact version such as 1.2.3 (no ranges, no "latest")');
const imageTag = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, 'must be an exact image tag (no "latest" ranges, no spaces)').refine((t) => t !== 'latest', 'must be pinned: "latest" is not allowed');
const cpu = z.string().regex(/^(\d+m|\d+(\.\d+)?)$/, 'must be a Kubernetes CPU quantity such as 100m or 0.5');
const memory = z.string().regex(/^\d+(Ki|Mi|Gi)$/, 'must be a Kubernetes memory quantity such as 256Mi or 1Gi');
/** An address a user's browser opens (scheme, host, optional port and path; no query, no trailing slash). */
const publicUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL such as http://localhost:5601' })
  .refine((u) => !/[?#]/.test(u) && !u.endsWith('/'), 'must have no query, fragment or trailing slash, such as http://localhost:5601');
/** A pinned image reference: repository:tag (optionally @sha256:…), never "latest". */
const imageRef = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._\/:-]*:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}(@sha256:[a-f0-9]{64})?$/, 'must be a pinned image reference such as repository:1.2.3')
  .refine((r) => !/:latest(@|$)/.test(r), 'must be pinned: "latest" is not allowed');

export const ResourcesSchema = z.strictObject({
  requests: z.strictObject({ cpu, memory }),
  limits: z.strictObject({ cpu, memory }),
});
export type Resources = z.infer<typeof ResourcesSchema>;

const resources = (requestCpu: string, requestMemory: string, limitCpu: string, limitMemory: string) =>
  ResourcesSchema.default({ requests: { cpu: requestCpu, memory: requestMemory }, limits: { cpu: limitCpu, memory: limitMemory } });

const KindClusterSchema = z.strictObject({
  mode: z.literal('kind'),
  /** kind cluster name; the kubectl context is `kind-<name>`. */
  name: dnsLabel.default('monitoring'),
  /** Worker nodes besides the single control-plane node. */
  workers: z.int().min(0).max(5).default(0),
  /** kind node image, pinned. */
  nodeImage: z.string().regex(/^kindest\/node:v\d+\.\d+\.\d+(@sha256:[a-f0-9]{64})?$/, 'must be kindest/node:vX.Y.Z (optionally @sha256:…)').default('kindest/node:v1.34.0'),
  /** Host port (127.0.0.1) of the local image registry that the kind nodes pull from. */
  registryPort: port.default(5001),
  /** Image of the local registry container. */
  registryImage: imageRef.default('registry:3.0.0'),
  /** The production profile targets an existing cluster; set true to try it on kind anyway. */
  allowProductionProfile: z.boolean().default(false),
});

const ExistingClusterSchema = z.strictObject({
  mode: z.literal('existing'),
  /** Path of the kubeconfig file of the existing cluster. */
  kubeconfigPath: z.string().min(1),
  /** Context inside that kubeconfig. */
  context: z.string().min(1),
});

const EnvironmentClusterSchema = z.strictObject({
  mode: z.literal('environment'),
  /** Cluster name for the k8s.cluster.name attribute. */
  name: dnsLabel.default('monitoring'),
  /**
   * The Terraform providers take KUBE_HOST, KUBE_TOKEN, KUBE_CLUSTER_CA_CERT_DATA (or
   * KUBE_CONFIG_PATH…) from the environment: Terraform Cloud workspace variables for remote runs.
   * `npm run open`/`verify`/`destroy` use the same variables when this shell has them; without
   * them, open and verify use $KUBECONFIG with this context. @default - the current context
   */
  kubeContext: z.string().min(1).optional(),
});

const ClusterSchema = z.discriminatedUnion('mode', [KindClusterSchema, ExistingClusterSchema, EnvironmentClusterSchema]);

const NamespacesSchema = z.strictObject({
  elasticsearch: dnsLabel.default('elasticsearch'),
  eckOperator: dnsLabel.default('elastic-system'),
  jaeger: dnsLabel.default('jaeger'),
  collector: dnsLabel.default('observability'),
  logging: dnsLabel.default('logging'),
  app: dnsLabel.default('sample-app'),
  kibana: dnsLabel.default('kibana'),
});

const ElasticsearchSchema = z.strictObject({
  operatorChartVersion: semver.default('3.5.0'),
  chartVersion: semver.default('0.20.0'),
  /** Elasticsearch version ECK runs. Fluentd's image flavour follows its major version. */
  version: semver.default('9.5.0'),
  /** Master-eligible data nodes: odd, so that a majority survives the loss of one. Profile default. */
  nodes: z
    .int()
    .min(1)
    .max(9)
    .refine((n) => n % 2 === 1, 'must be odd (1, 3, 5, …): an even number of master-eligible nodes survives no more failures than one node fewer; use 3'),
  /** JVM heap in MiB, at most half of the memory limit. Profile default (production: half the limit). */
  heapMb: z.int().min(256).max(31744).optional(),
  /** Profile default. */
  resources: ResourcesSchema,
  /** One PersistentVolumeClaim per node; emptyDir when off. Profile default. */
  persistence: z.strictObject({
    enabled: z.boolean(),
    /** Required when enabled. */
    size: memory.optional(),
    /** @default - the cluster's default storage class */
    storageClass: dnsSubdomain.optional(),
  }),
  /**
   * ECK zone awareness: hard spread across `topology.kubernetes.io/zone` and zone-aware shard
   * allocation. Every node must carry the label (pods stay Pending otherwise); without it the
   * production profile still spreads across zones softly where the label exists.
   */
  zoneAwareness: z.boolean().default(false),
  /** curl image of our Elasticsearch jobs (readiness gate + index templates, retention). */
  jobImage: imageRef.default('curlimages/curl:8.17.0'),
  /** Seconds the elasticsearch stack waits for green/yellow health before failing. */
  readyTimeoutSeconds: z.int().min(60).max(3600).default(900),
  /** Replicas of each daily index (logs, events, Jaeger's). Profile default. */
  indexReplicas: z.int().min(0).max(5),
  /** Daily indices older than this many days are deleted (0 keeps them forever). */
  retentionDays: z.int().min(0).max(3650).default(7),
  /**
   * Raise it to rotate every Elasticsearch user's password on the next deploy: each is generated
   * anew (never stored in Terraform state), written to both of its Secrets, and the pods that
   * read it roll. Any other change leaves the passwords alone.
   */
  credentialsRevision: z.int().min(1).max(1_000_000_000).default(1),
});

const JaegerSchema = z.strictObject({
  chartVersion: semver.default('4.11.1'),
  imageTag: imageTag.default('2.19.0'),
  /**
   * `elasticsearch` (the same cluster, own user; traces survive restarts and feed the Monitor tab's
   * RED metrics) or `memory` (lost on restart, no Monitor tab). Profile default.
   */
  storage: z.enum(['memory', 'elasticsearch']),
  /** Profile default; more than 1 needs elasticsearch storage. */
  replicas: z.int().min(1).max(10),
  /** Traces kept by the in-memory store before the oldest are dropped (jaeger.storage `memory` only). */
  maxTraces: z.int().min(1000).max(10_000_000).default(50_000),
  resources: resources('100m', '256Mi', '500m', '512Mi'),
  /** Address of Jaeger's UI in the user's browser (links from Kibana point here). `npm run open` forwards it. */
  publicUrl: publicUrl.default('http://localhost:16686'),
});

const KibanaSchema = z.strictObject({
  /** Kibana (managed by ECK) next to Elasticsearch, with the logs/events/spans data views. */
  enabled: z.boolean().default(true),
  /** Chart `eck-kibana` from the Elastic Helm repository (same release line as eck-elasticsearch). */
  chartVersion: semver.default('0.20.0'),
  /** Kibana's version; must equal elasticsearch.version. @default elasticsearch.version */
  version: semver.optional(),
  /** Profile default (dev 1, production 2 with a PDB and spread). */
  replicas: z.int().min(1).max(10),
  /** Profile default. */
  resources: ResourcesSchema,
  /** Address of Kibana in the user's browser (links from Jaeger point here). `npm run open` forwards it. */
  publicUrl: publicUrl.default('http://localhost:5601'),
});

const CollectorSchema = z.strictObject({
  chartVersion: semver.default('0.170.0'),
  imageTag: imageTag.default('0.158.0'),
  /**
   * `single`: one collector does everything. `gateway`: an OTLP gateway Deployment (HPA, PDB)
   * plus one cluster collector for kubelet/cluster stats, scrapes and events. Profile default.
   */
  layout: z.enum(['single', 'gateway']),
  /** Resources of the single collector, or of each gateway replica. */
  resources: resources('200m', '256Mi', '1', '512Mi'),
  /** Gateway layout: replicas between min and max, scaled on CPU. */
  gateway: z
    .strictObject({
      minReplicas: z.int().min(1).max(50).default(2),
      maxReplicas: z.int().min(1).max(100).default(6),
      targetCpuUtilization: z.int().min(10).max(100).default(80),
    })
    .default({ minReplicas: 2, maxReplicas: 6, targetCpuUtilization: 80 }),
  /** Gateway layout: the single-replica cluster collector. */
  clusterResources: resources('100m', '256Mi', '500m', '512Mi'),
  /** The node agent (one per node, both layouts): what the apps send OTLP to. */
  agent: z
    .strictObject({
      /** Each agent pod; its memory_limiter refuses data (the app retries) at 80% of the limit. */
      resources: resources('50m', '64Mi', '500m', '256Mi'),
    })
    .default({ resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '500m', memory: '256Mi' } } }),
  /** Port of the Prometheus exporter endpoint on the collector Service. */
  prometheusPort: port.default(8889),
  /** Seconds between kubelet/cluster stats scrapes. */
  statsIntervalSeconds: z.int().min(5).max(600).default(30),
  /**
   * The exporters' persistent sending queue: a PersistentVolumeClaim per collector pod
   * (StatefulSet), so what has not reached Jaeger or Elasticsearch yet survives a restart or a
   * replacement of the pod. Limits in items; beyond them new data is refused and counted.
   */
  queue: z
    .strictObject({
      /** Size of each collector pod's queue volume. */
      size: memory.default('1Gi'),
      /** @default - the cluster's default storage class */
      storageClass: dnsSubdomain.optional(),
      /** Spans the traces queue holds (~1 KiB each on disk). */
      spans: z.int().min(1000).max(10_000_000).default(200_000),
      /** Kubernetes events the events queue holds (~2 KiB each on disk). */
      events: z.int().min(100).max(1_000_000).default(20_000),
    })
    .default({ size: '1Gi', spans: 200_000, events: 20_000 }),
});

/** Disk a full queue may take: ~1 KiB a span, ~2 KiB an event, twice for the store's compaction copy. */
export function queueDiskBytes(queue: { spans: number; events: number }): number {
  return 2 * (queue.spans * 1024 + queue.events * 2048);
}

const NetworkPoliciesSchema = z.strictObject({
  /** Default-deny ingress in every namespace we create, then only the flows the stack needs. */
  enabled: z.boolean().default(true),
  /** Namespaces (besides the sample app's) whose pods may send OTLP to the collector. */
  otlpClientNamespaces: z.array(dnsLabel).default([]),
});

const FluentdSchema = z.strictObject({
  imageTag: imageTag.default('v1.19.3-debian-elasticsearch9-1.1'),
  /** Indices are `<indexPrefix>-YYYY-MM-DD`. */
  indexPrefix: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,60}$/, 'must be a lowercase Elasticsearch index prefix (letters, digits, "-", "_")').default('fluentd'),
  /** Upper bound of the on-host file buffer. */
  bufferLimit: memory.default('512Mi'),
  resources: resources('100m', '200Mi', '500m', '400Mi'),
});

const SampleAppSchema = z.strictObject({
  replicas: z.int().min(1).max(20).default(3),
  backendReplicas: z.int().min(1).max(20).default(1),
  port: port.default(8080),
  /** Prebuilt image reference; required unless cluster.mode is kind (only kind mode builds it). */
  image: z.string().min(1).optional(),
  resources: resources('50m', '96Mi', '500m', '192Mi'),
});

const LocalBackendSchema = z.strictObject({ type: z.literal('local') });
const CloudBackendSchema = z.strictObject({
  type: z.literal('cloud'),
  /** From the config, or from $TF_CLOUD_ORGANIZATION (which never switches the backend on by itself). */
  organization: z.string({ error: 'is required with backend.type "cloud": set it in the config or export TF_CLOUD_ORGANIZATION' }).regex(/^[A-Za-z0-9_-]+$/, 'must be a Terraform Cloud organization name'),
  hostname: z.string().min(1).default('app.terraform.io'),
  /** Workspaces are `<workspacePrefix><stack>`, one per stack. */
  workspacePrefix: z.string().regex(/^[A-Za-z0-9_-]*$/, 'may contain letters, digits, "-" and "_" only').default('monitoring-'),
});
const BackendSchema = z.discriminatedUnion('type', [LocalBackendSchema, CloudBackendSchema]);

export const PROFILES = ['dev', 'production'] as const;
export type Profile = (typeof PROFILES)[number];

/**
 * The keys whose default depends on `profile`. Each is still overridable in the config; the
 * docs/configuration.md's "Profile defaults" table lists exactly these (a test compares them).
 * dev: today's laptop stack. production: an existing cluster with durable, replicated data.
 */
export const PROFILE_DEFAULTS = {
  dev: {
    elasticsearch: {
      nodes: 1,
      heapMb: 640,
      resources: { requests: { cpu: '500m', memory: '1536Mi' }, limits: { cpu: '2', memory: '1536Mi' } },
      persistence: { enabled: false },
      indexReplicas: 0,
    },
    // Traces in the dev Elasticsearch (index replicas 0 on its one node): they survive a Jaeger
    // restart, and the Monitor tab reads its metrics from them.
    jaeger: { storage: 'elasticsearch', replicas: 1 },
    collector: { layout: 'single' },
    // Kibana 9.x sizes its V8 heap at 75% of the memory limit and needs 2Gi to start its plugins
    // reliably (ECK 3.5.0's default, pkg/controller/kibana/pod.go); requests stay laptop-sized.
    kibana: { replicas: 1, resources: { requests: { cpu: '200m', memory: '1Gi' }, limits: { cpu: '1', memory: '2Gi' } } },
  },
  production: {
    elasticsearch: {
      nodes: 3,
      // heapMb: half of limits.memory (derived below)
      resources: { requests: { cpu: '1', memory: '4Gi' }, limits: { cpu: '2', memory: '4Gi' } },
      persistence: { enabled: true, size: '30Gi' },
      indexReplicas: 1,
    },
    jaeger: { storage: 'elasticsearch', replicas: 2 },
    collector: { layout: 'gateway' },
    kibana: { replicas: 2, resources: { requests: { cpu: '500m', memory: '2Gi' }, limits: { cpu: '1', memory: '2Gi' } } },
  },
} as const;

/** The user's config laid over the defaults of its profile (the user's keys win, maps merge). */
function withProfileDefaults(raw: unknown): unknown {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const profile = (raw as { profile?: unknown }).profile;
  // An unknown profile is reported by the enum alone: the dev defaults keep the rest quiet.
  const defaults = PROFILES.includes(profile as Profile) ? PROFILE_DEFAULTS[profile as Profile] : PROFILE_DEFAULTS.dev;
  return deepMerge(defaults, raw);
}

function deepMerge(base: unknown, over: unknown): unknown {
  const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (!isMap(base) || !isMap(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) out[key] = deepMerge(base[key], value);
  return out;
}

const StrictConfigSchema = z
  .strictObject({
    /** `dev` (laptop defaults) or `production` (existing cluster): see PROFILE_DEFAULTS. */
    profile: z.enum(PROFILES).default('dev'),
    cluster: ClusterSchema.default({ mode: 'kind', name: 'monitoring', workers: 0, nodeImage: 'kindest/node:v1.34.0', registryPort: 5001, registryImage: 'registry:3.0.0', allowProductionProfile: false }),
    namespaces: NamespacesSchema.default(NamespacesSchema.parse({})),
    elasticsearch: ElasticsearchSchema,
    jaeger: JaegerSchema,
    collector: CollectorSchema,
    kibana: KibanaSchema,
    fluentd: FluentdSchema.default(FluentdSchema.parse({})),
    sampleApp: SampleAppSchema.default(SampleAppSchema.parse({})),
    networkPolicies: NetworkPoliciesSchema.default({ enabled: true, otlpClientNamespaces: [] }),
    backend: BackendSchema.default({ type: 'local' }),
    /** Value of the deployment.environment resource attribute. */
    environment: dnsLabel.default('local'),
  })
  .superRefine((config, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    if (config.cluster.mode !== 'kind' && !config.sampleApp.image) {
      issue(['sampleApp', 'image'], `is required when cluster.mode is "${config.cluster.mode}": no image is built there, so give a prebuilt image reference such as ghcr.io/you/sample-app:1.0.0`);
    }
    if (config.profile === 'production' && config.cluster.mode === 'kind' && !config.cluster.allowProductionProfile) {
      issue(['profile'], '"production" targets an existing cluster: set cluster.mode to "existing" or "environment", or set cluster.allowProductionProfile: true to try it on kind');
    }
    const es = config.elasticsearch;
    const limitBytes = parseMemory(es.resources.limits.memory);
    if (es.heapMb !== undefined && es.heapMb * 1024 * 1024 * 2 > limitBytes) {
      issue(['elasticsearch', 'heapMb'], `must be at most half of elasticsearch.resources.limits.memory (${es.resources.limits.memory}); lower heapMb or raise the limit`);
    }
    if (es.heapMb === undefined && limitBytes < 512 * 1024 * 1024) {
      issue(['elasticsearch', 'resources', 'limits', 'memory'], 'must be at least 512Mi: the heap is half of it and Elasticsearch needs at least 256 MiB');
    }
    if (es.persistence.enabled && !es.persistence.size) {
      issue(['elasticsearch', 'persistence', 'size'], 'is required when elasticsearch.persistence.enabled is true: give the claim size of each node, such as 30Gi');
    }
    if (es.indexReplicas > es.nodes - 1) {
      issue(['elasticsearch', 'indexReplicas'], `must be at most elasticsearch.nodes - 1 (${es.nodes - 1}): a replica is never placed on the node of its primary, so the indices would stay yellow; lower it or add nodes`);
    }
    if (config.jaeger.replicas > 1 && config.jaeger.storage === 'memory') {
      issue(['jaeger', 'replicas'], 'must be 1 with jaeger.storage "memory": each replica would keep its own traces; set jaeger.storage to "elasticsearch" for more replicas');
    }
    const gateway = config.collector.gateway;
    if (gateway.maxReplicas < gateway.minReplicas) {
      issue(['collector', 'gateway', 'maxReplicas'], `must be at least collector.gateway.minReplicas (${gateway.minReplicas})`);
    }
    const queue = config.collector.queue;
    // (A malformed size is reported by its own check.)
    if (/^\d+(Ki|Mi|Gi)$/.test(queue.size) && queueDiskBytes(queue) > parseMemory(queue.size)) {
      issue(['collector', 'queue', 'size'], `is too small for collector.queue.spans ${queue.spans} and events ${queue.events}: a full queue needs up to ${Math.ceil(queueDiskBytes(queue) / 2 ** 20)}Mi (1 KiB a span, 2 KiB an event, twice for compaction); raise the size or lower the limits`);
    }
    if (config.kibana.version !== undefined && config.kibana.version !== es.version) {
      issue(['kibana', 'version'], `must equal elasticsearch.version (${es.version}): ECK refuses a Kibana of another version than its Elasticsearch; remove kibana.version to follow it`);
    }
    const esMajor = Number(es.version.split('.')[0]);
    if (!config.fluentd.imageTag.includes(`elasticsearch${esMajor}`)) {
      issue(['fluentd', 'imageTag'], `must be the elasticsearch${esMajor} flavour to match elasticsearch.version ${es.version} (e.g. v1.19.3-debian-elasticsearch${esMajor}-1.1)`);
    }
  })
  .transform((config) => ({
    ...config,
    elasticsearch: {
      ...config.elasticsearch,
      // Half of the memory limit (whole MiB, at most 31 GiB for compressed pointers).
      heapMb: config.elasticsearch.heapMb ?? Math.min(31744, Math.floor(parseMemory(config.elasticsearch.resources.limits.memory) / (2 * 1024 * 1024))),
    },
    kibana: { ...config.kibana, version: config.kibana.version ?? config.elasticsearch.version },
  }));

/** The config schema: profile defaults first, then the strict schema and its cross-field rules. */
export const ConfigSchema = z.preprocess(withProfileDefaults, StrictConfigSchema);

export type MonitoringConfig = z.infer<typeof ConfigSchema>;
export type KindClusterConfig = z.infer<typeof KindClusterSchema>;
export type ExistingClusterConfig = z.infer<typeof ExistingClusterSchema>;

/** Bytes of a Kubernetes memory quantity (Ki/Mi/Gi only, as the schema allows). */
export function parseMemory(quantity: string): number {
  const match = /^(\d+)(Ki|Mi|Gi)$/.exec(quantity);
  if (!match) throw new Error(`not a memory quantity: ${quantity}`);
  const unit = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 }[match[2] as 'Ki' | 'Mi' | 'Gi'];
  return Number(match[1]) * unit;
}

/** Millicores of a Kubernetes CPU quantity. */
export function parseCpu(quantity: string): number {
  return quantity.endsWith('m') ? Number(quantity.slice(0, -1)) : Math.round(Number(quantity) * 1000);
}
