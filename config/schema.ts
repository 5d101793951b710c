import { z } from 'zod';

/**
 * The one typed configuration of the monitoring stack. Every field has a laptop-sized
 * default; README "Configuration reference" documents each one. Objects are strict, so a
 * misspelt key is an error instead of a silently ignored value.
 */

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dnsLabel = z
  .string()
  .max(63)
  .regex(DNS_LABEL, 'must be a DNS-1123 label: lowercase letters, digits and "-", starting and ending with a letter or digit, at most 63 characters');
const port = z.int().min(1).max(65535);
const semver = z.string().regex(/^\d+\.\d+\.\d+$/, 'must be an exact version such as 1.2.3 (no ranges, no "latest")');
const imageTag = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, 'must be an exact image tag (no "latest" ranges, no spaces)').refine((t) => t !== 'latest', 'must be pinned: "latest" is not allowed');
const cpu = z.string().regex(/^(\d+m|\d+(\.\d+)?)$/, 'must be a Kubernetes CPU quantity such as 100m or 0.5');
const memory = z.string().regex(/^\d+(Ki|Mi|Gi)$/, 'must be a Kubernetes memory quantity such as 256Mi or 1Gi');
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
   * Context for `npm run open`/`verify` (they use $KUBECONFIG). The Terraform providers take
   * KUBE_HOST, KUBE_TOKEN, KUBE_CLUSTER_CA_CERT_DATA from the environment: set them as
   * Terraform Cloud workspace variables for remote runs. @default - the current context
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
});

const ElasticsearchSchema = z.strictObject({
  operatorChartVersion: semver.default('3.5.0'),
  chartVersion: semver.default('0.20.0'),
  /** Elasticsearch version ECK runs. Fluentd's image flavour follows its major version. */
  version: semver.default('9.5.0'),
  /** JVM heap in MiB; keep it at most half of the memory limit. */
  heapMb: z.int().min(256).max(31744).default(640),
  resources: resources('500m', '1536Mi', '2', '1536Mi'),
  persistence: z
    .strictObject({
      enabled: z.boolean().default(false),
      size: memory.default('5Gi'),
      storageClass: z.string().min(1).optional(),
    })
    .default({ enabled: false, size: '5Gi' }),
  /** curl image of our Elasticsearch jobs (readiness gate + index templates, retention). */
  jobImage: imageRef.default('curlimages/curl:8.17.0'),
  /** Seconds the elasticsearch stack waits for green/yellow health before failing. */
  readyTimeoutSeconds: z.int().min(60).max(3600).default(900),
  /** Replicas of each daily index; 0 keeps a single node green. */
  indexReplicas: z.int().min(0).max(5).default(0),
  /** Daily indices older than this many days are deleted (0 keeps them forever). */
  retentionDays: z.int().min(0).max(3650).default(7),
});

const JaegerSchema = z.strictObject({
  chartVersion: semver.default('4.11.1'),
  imageTag: imageTag.default('2.19.0'),
  /** Traces kept by the in-memory store before the oldest are dropped. */
  maxTraces: z.int().min(1000).max(10_000_000).default(50_000),
  resources: resources('100m', '256Mi', '500m', '512Mi'),
});

const CollectorSchema = z.strictObject({
  chartVersion: semver.default('0.170.0'),
  imageTag: imageTag.default('0.158.0'),
  resources: resources('200m', '256Mi', '1', '512Mi'),
  /** Port of the Prometheus exporter endpoint on the collector Service. */
  prometheusPort: port.default(8889),
  /** Seconds between kubelet/cluster stats scrapes. */
  statsIntervalSeconds: z.int().min(5).max(600).default(30),
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

export const ConfigSchema = z
  .strictObject({
    cluster: ClusterSchema.default({ mode: 'kind', name: 'monitoring', workers: 0, nodeImage: 'kindest/node:v1.34.0', registryPort: 5001, registryImage: 'registry:3.0.0' }),
    namespaces: NamespacesSchema.default(NamespacesSchema.parse({})),
    elasticsearch: ElasticsearchSchema.default(ElasticsearchSchema.parse({})),
    jaeger: JaegerSchema.default(JaegerSchema.parse({})),
    collector: CollectorSchema.default(CollectorSchema.parse({})),
    fluentd: FluentdSchema.default(FluentdSchema.parse({})),
    sampleApp: SampleAppSchema.default(SampleAppSchema.parse({})),
    backend: BackendSchema.default({ type: 'local' }),
    /** Value of the deployment.environment resource attribute. */
    environment: dnsLabel.default('local'),
  })
  .superRefine((config, ctx) => {
    if (config.cluster.mode !== 'kind' && !config.sampleApp.image) {
      ctx.addIssue({
        code: 'custom',
        path: ['sampleApp', 'image'],
        message: `is required when cluster.mode is "${config.cluster.mode}": no image is built there, so give a prebuilt image reference such as ghcr.io/you/sample-app:1.0.0`,
      });
    }
    const heapBytes = config.elasticsearch.heapMb * 1024 * 1024;
    if (heapBytes * 2 > parseMemory(config.elasticsearch.resources.limits.memory)) {
      ctx.addIssue({
        code: 'custom',
        path: ['elasticsearch', 'heapMb'],
        message: `must be at most half of elasticsearch.resources.limits.memory (${config.elasticsearch.resources.limits.memory}); lower heapMb or raise the limit`,
      });
    }
    const esMajor = Number(config.elasticsearch.version.split('.')[0]);
    if (!config.fluentd.imageTag.includes(`elasticsearch${esMajor}`)) {
      ctx.addIssue({
        code: 'custom',
        path: ['fluentd', 'imageTag'],
        message: `must be the elasticsearch${esMajor} flavour to match elasticsearch.version ${config.elasticsearch.version} (e.g. v1.19.3-debian-elasticsearch${esMajor}-1.1)`,
      });
    }
  });

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
