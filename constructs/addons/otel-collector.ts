import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { HelmAddOn } from '../helm/helm-addon';
import { ResourceRequirements } from '../k8s/resources';
import { spreadOver, TopologySpreadConstraint } from '../k8s/scheduling';
import { ElasticsearchClient } from '../elasticsearch/client-secrets';
import { ContainerSecurity, restrictedContainerSecurity, restrictedPodSecurity } from '../k8s/security';
import { clusterWideCollectors, CollectorConfig, CollectorRole, EVENTS_EXPORTER, NODE_IP_ENV, NODE_NAME_ENV, QUEUE_DIRECTORY, QUEUE_STORAGE } from '../otel/collector-config';
import { AGENT_SERVICE, CLUSTER_COLLECTOR_SERVICE, COLLECTOR_SERVICE, collectorPodLabels } from '../otel/names';

export interface CollectorPortValue {
  readonly enabled: boolean;
  readonly containerPort?: number;
  readonly servicePort?: number;
  /**
   * The chart's defaults give OTLP a hostPort, rendered in daemonset mode when truthy: 0 keeps
   * the agent off the node's ports (Pod Security restricted, and rolling updates may surge).
   */
  readonly hostPort?: 0;
  readonly protocol?: 'TCP' | 'UDP';
  readonly appProtocol?: string;
}

export interface PolicyRule {
  readonly apiGroups: string[];
  readonly resources: string[];
  readonly verbs: ('get' | 'list' | 'watch')[];
}

/**
 * Values of the opentelemetry-collector chart we set; the chart's values.schema.json
 * (additionalProperties: false) is checked against these in the tests.
 */
/** The queue volume of each collector pod: a PersistentVolumeClaim of the StatefulSet. */
export interface QueueVolumeClaimTemplate {
  readonly metadata: { readonly name: string };
  readonly spec: { readonly accessModes: ['ReadWriteOnce']; readonly storageClassName?: string; readonly resources: { readonly requests: { readonly storage: string } } };
}

/** An environment variable from the downward API (the agent's node). */
export interface FieldRefEnv {
  readonly name: string;
  readonly valueFrom: { readonly fieldRef: { readonly fieldPath: 'spec.nodeName' | 'status.hostIP' } };
}

export interface OtelCollectorValues {
  /**
   * A StatefulSet (each pod keeps its queue volume across restarts, rollouts and rescheduling),
   * or for the agent a DaemonSet (one pod per node, nothing on disk).
   */
  readonly mode: 'statefulset' | 'daemonset';
  /** StatefulSet mode. @default - none (daemonset) */
  readonly statefulset?: {
    readonly volumeClaimTemplates: QueueVolumeClaimTemplate[];
    readonly podManagementPolicy: 'Parallel';
    /** Delete the queue volumes with the release; keep a scaled-down replica's until it is back. */
    readonly persistentVolumeClaimRetentionPolicy: { readonly enabled: true; readonly whenDeleted: 'Delete'; readonly whenScaled: 'Retain' };
  };
  readonly fullnameOverride: string;
  /** Replicas of the StatefulSet; the chart ignores it when `autoscaling.enabled` (the HPA owns the count). @default - none (daemonset) */
  readonly replicaCount?: number;
  /**
   * The agent's Service: the chart creates one in daemonset mode only when asked;
   * `internalTrafficPolicy: Local` sends each app to the agent of its own node. @default - chart (statefulset: a ClusterIP Service)
   */
  readonly service?: { readonly enabled: true; readonly internalTrafficPolicy: 'Local' };
  /**
   * The agent's rolling update: the new pod starts on a node before the old one stops (no
   * hostPort, so both fit), and the Service sends to whichever is ready. @default - chart (RollingUpdate)
   */
  readonly rollout?: { readonly strategy: 'RollingUpdate'; readonly rollingUpdate: { readonly maxSurge: number; readonly maxUnavailable: number } };
  /** The agent: on control-plane nodes too, like Fluentd (the apps of every node need theirs). @default - none */
  readonly tolerations?: { readonly key: string; readonly operator: 'Exists'; readonly effect: 'NoSchedule' }[];
  /** A HorizontalPodAutoscaler (autoscaling/v2) on CPU utilization. @default - none (chart: disabled) */
  readonly autoscaling?: { readonly enabled: true; readonly minReplicas: number; readonly maxReplicas: number; readonly targetCPUUtilizationPercentage: number };
  /** @default - none (chart: disabled) */
  readonly podDisruptionBudget?: { readonly enabled: true; readonly minAvailable: number };
  /** @default - none */
  readonly topologySpreadConstraints?: TopologySpreadConstraint[];
  readonly image: { readonly repository: string; readonly tag: string };
  readonly command: { readonly name: string };
  readonly resources: ResourceRequirements;
  readonly podSecurityContext: ReturnType<typeof restrictedPodSecurity>;
  readonly securityContext: ContainerSecurity;
  /** `create: false`: a collector that reads nothing from the Kubernetes API gets no ClusterRole. */
  readonly clusterRole: { readonly create: true; readonly rules: PolicyRule[] } | { readonly create: false };
  readonly ports: Record<string, CollectorPortValue>;
  readonly podAnnotations: Record<string, string>;
  readonly enableConfigChecksumAnnotation: true;
  readonly extraEnvs: ({ readonly name: string; readonly valueFrom: { readonly secretKeyRef: { readonly name: string; readonly key: string } } } | FieldRefEnv)[];
  readonly extraVolumes: { readonly name: string; readonly secret: { readonly secretName: string } }[];
  readonly extraVolumeMounts: { readonly name: string; readonly mountPath: string; readonly readOnly?: true }[];
  /** Our config plus `null`s that delete the chart's default components we do not use. */
  readonly config: Omit<CollectorConfig, 'receivers' | 'service'> & {
    readonly receivers: Record<string, CollectorConfig['receivers'][string] | null>;
    readonly service: Omit<CollectorConfig['service'], 'pipelines'> & { readonly pipelines: Record<string, CollectorConfig['service']['pipelines'][string] | null> };
  };
}

/** How many collector pods run. */
export interface CollectorReplicas {
  /** Replicas always running (the HPA's minimum when `max` is larger). From 2 on, a PodDisruptionBudget keeps one available. */
  readonly min: number;
  /**
   * Upper bound for a HorizontalPodAutoscaler on CPU; no HPA when it equals `min`.
   * @default - same as min (fixed replica count, no HPA)
   */
  readonly max?: number;
  /**
   * Average CPU utilization (percent of the CPU request) the HPA aims for.
   * @default 80
   */
  readonly targetCpuUtilization?: number;
}

export interface OtelCollectorAddOnProps {
  readonly namespace: string;
  /** Built by buildCollectorConfig({ profile: 'kubernetes', role, ... }) with the same role. */
  readonly config: CollectorConfig;
  /**
   * What this collector does: the node agent (a DaemonSet), the dev all-in-one, the scalable
   * OTLP gateway, or the single-replica cluster collector.
   * @default 'all-in-one'
   */
  readonly role?: CollectorRole;
  /**
   * Helm release name, also the Service and ClusterRole name (fullnameOverride); the
   * StatefulSet's too (the chart names the agent's DaemonSet `<release>-agent`).
   * @default COLLECTOR_SERVICE ('otel-collector'), CLUSTER_COLLECTOR_SERVICE ('otel-collector-cluster') for role 'cluster', AGENT_SERVICE ('otel-agent') for role 'agent'
   */
  readonly release?: string;
  /**
   * Replicas; the cluster role must run exactly one; the agent runs one per node and takes none.
   * @default { min: 1 } (the agent: none)
   */
  readonly replicas?: CollectorReplicas;
  /** Exact opentelemetry-collector chart version. */
  readonly chartVersion: string;
  /** Exact otel/opentelemetry-collector-contrib tag. */
  readonly imageTag: string;
  readonly resources: ResourceRequirements;
  /** @default 8889 */
  readonly prometheusPort?: number;
  /** Credentials (as ES_USERNAME/ES_PASSWORD) and CA (mounted at caMountPath) for the events exporter. @default - no events */
  readonly elasticsearch?: ElasticsearchClient & { readonly caMountPath: string };
  /**
   * Each pod's queue volume (the config's file_storage directory must be QUEUE_DIRECTORY).
   * The agent has none.
   * @default { size: '1Gi' } in the cluster's default storage class
   */
  readonly queueVolume?: { readonly size: string; /** @default - the cluster's default */ readonly storageClass?: string };
  /** @default - none */
  readonly dependsOn?: ITerraformDependable[];
}

/** Name of the queue volume (claim template) mounted at QUEUE_DIRECTORY. */
export const QUEUE_VOLUME = 'queue';

/**
 * The agent's ClusterRole: what its processors and receivers read, and nothing more.
 * - k8s_attributes: with our extract rules (pod/namespace/node names, pod uid and start time,
 *   k8s.deployment.name; no labels, annotations, *.uid of workloads or k8s.cluster.uid)
 *   k8sattributesprocessor v0.158.0 starts the pod informer only (filtered to the agent's node):
 *   the namespace informer is a no-op, and the deployment name comes from the ReplicaSet name
 *   (`deployment_name_from_replicaset` defaults to true). Extracting more needs more
 *   (namespaces, replicasets, nodes, jobs): see the processor's README "Role-based access control".
 * - resource_detection's k8s_api detector: `get` of its own node (uid, name); k8s.cluster.uid
 *   (namespaces/kube-system) is switched off in the config.
 * - kubelet_stats: `nodes/stats` on its node's kubelet (nodes/proxy is not needed without
 *   extra_metadata_labels).
 */
export const AGENT_RBAC_RULES: PolicyRule[] = [
  { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: [''], resources: ['nodes'], verbs: ['get'] },
  { apiGroups: [''], resources: ['nodes/stats'], verbs: ['get'] },
];

/**
 * The cluster collector's ClusterRole (and the dev all-in-one's): what its receivers read.
 * k8s_cluster watches pods, nodes, namespaces, replicationcontrollers, resourcequotas,
 * services, the apps workloads, jobs, cronjobs and HPAs; the annotated-pods scrape
 * (kubernetes_sd role pod) pods. Not granted: `endpoints` and core `events`, which none of
 * these components reads; `nodes/stats`, which only the agents' kubelet_stats reads.
 */
export const CLUSTER_RBAC_RULES: PolicyRule[] = [
  // k8s_cluster; pods also the Prometheus pod discovery
  { apiGroups: [''], resources: ['pods', 'namespaces', 'nodes', 'services', 'replicationcontrollers', 'resourcequotas'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['apps'], resources: ['replicasets', 'deployments', 'daemonsets', 'statefulsets'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['batch'], resources: ['jobs', 'cronjobs'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: ['get', 'list', 'watch'] },
];

/** k8sobjects watching events.k8s.io events (the cluster collector's events pipeline, when it runs one). */
export const EVENTS_RBAC_RULE: PolicyRule = { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['get', 'list', 'watch'] };

/** The ClusterRole rules of a collector of this role running this config; none: the gateway reads nothing from the API. */
export function collectorRbacRules(role: CollectorRole, config: CollectorConfig): PolicyRule[] {
  switch (role) {
    case 'agent':
      return AGENT_RBAC_RULES;
    case 'gateway':
      return [];
    case 'all-in-one':
    case 'cluster':
      return config.receivers.k8sobjects ? [...CLUSTER_RBAC_RULES, EVENTS_RBAC_RULE] : CLUSTER_RBAC_RULES;
  }
}

/** Validated replica settings of a role. */
function replicaPlan(role: CollectorRole, config: CollectorConfig, r: CollectorReplicas): { min: number; max: number; targetCpu: number } {
  if (role === 'agent') return { min: 1, max: 1, targetCpu: 80 }; // a DaemonSet: one per node
  const max = r.max ?? r.min;
  const targetCpu = r.targetCpuUtilization ?? 80;
  if (!Number.isInteger(r.min) || r.min < 1) throw new Error(`otel-collector: replicas.min must be an integer ≥ 1, got ${r.min}`);
  if (!Number.isInteger(max) || max < r.min) throw new Error(`otel-collector: replicas.max must be an integer ≥ replicas.min (${r.min}), got ${max}`);
  if (!Number.isInteger(targetCpu) || targetCpu < 1 || targetCpu > 100) throw new Error(`otel-collector: replicas.targetCpuUtilization must be an integer percentage 1-100, got ${targetCpu}`);
  if (role === 'cluster' && max !== 1) {
    throw new Error(`otel-collector: the cluster collector must run exactly one replica (got min ${r.min}, max ${max}): each replica would collect the cluster's metrics and events again`);
  }
  const wide = clusterWideCollectors(config);
  if (max > 1 && wide.length > 0) {
    throw new Error(`otel-collector: ${max} replicas would each collect ${wide.join(', ')}: run those in the single-replica cluster collector (role 'cluster') and scale the gateway`);
  }
  return { min: r.min, max, targetCpu };
}

/** The collector's container image distribution: contrib has every component we use. */
export const COLLECTOR_IMAGE_REPOSITORY = 'otel/opentelemetry-collector-contrib';

/**
 * The OpenTelemetry Collector as a StatefulSet of the opentelemetry-collector chart: the
 * single-replica all-in-one (dev), the OTLP gateway (replicas, PDB, HPA on CPU, spread over
 * nodes) or the single-replica cluster collector (one pod at a time, so two never run at once).
 * Each pod has a queue volume of its own for the exporters' persistent sending queue: what a
 * pod has not delivered yet waits there across restarts, rolling updates and rescheduling.
 * Or the node agent: a DaemonSet behind a Service with internalTrafficPolicy Local, no hostPort,
 * no volume (it holds nothing the apps have let go of: docs/agent.md).
 */
export class OtelCollectorAddOn extends HelmAddOn<OtelCollectorValues> {
  static readonly source = { chart: 'opentelemetry-collector', repository: 'https://open-telemetry.github.io/opentelemetry-helm-charts', release: COLLECTOR_SERVICE };
  /** Name of the Service (and StatefulSet): the release name. */
  readonly serviceName: string;
  readonly role: CollectorRole;
  /** Labels on this release's pods, for selecting them (NetworkPolicies, PDB, spread). */
  readonly podLabels: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: OtelCollectorAddOnProps) {
    const role = props.role ?? 'all-in-one';
    const config = props.config;
    if (!config.service.extensions.includes('health_check')) throw new Error('otel-collector: the chart requires the health_check extension');
    const servesOtlp = role !== 'cluster';
    if (servesOtlp !== (config.receivers.otlp !== undefined)) {
      throw new Error(`otel-collector: role "${role}" ${servesOtlp ? 'serves' : 'exposes no'} OTLP but the config ${servesOtlp ? 'has no' : 'has an'} otlp receiver: build the config with role "${role}"`);
    }
    const agent = role === 'agent';
    const storage = config.extensions[QUEUE_STORAGE] as { directory?: string } | undefined;
    if (agent && storage) throw new Error('otel-collector: the agent runs no persistent queue (a DaemonSet without volumes): build its config with role "agent"');
    if (!agent && storage?.directory !== QUEUE_DIRECTORY) {
      throw new Error(`otel-collector: the config's ${QUEUE_STORAGE} extension must keep its queue in ${QUEUE_DIRECTORY}, the mount of the queue volume (got ${storage?.directory ?? 'no persistent queue'}): build it with the kubernetes profile's default persistentQueue`);
    }
    if (props.elasticsearch && !config.exporters[EVENTS_EXPORTER]) throw new Error(`otel-collector: elasticsearch credentials given but the config has no ${EVENTS_EXPORTER} exporter (role "${role}")`);
    const release = props.release ?? (role === 'cluster' ? CLUSTER_COLLECTOR_SERVICE : agent ? AGENT_SERVICE : COLLECTOR_SERVICE);
    if (agent && (props.replicas || props.queueVolume)) throw new Error('otel-collector: the agent runs one pod per node (a DaemonSet) without a queue volume: give it no replicas or queueVolume');
    const replicas = replicaPlan(role, config, props.replicas ?? { min: 1 });
    const podLabels = collectorPodLabels(release, agent ? 'daemonset' : 'statefulset');
    const rbac = collectorRbacRules(role, config);
    const promPort = props.prometheusPort ?? 8889;
    const es = props.elasticsearch;
    const queueVolume = props.queueVolume ?? { size: '1Gi' };
    super(scope, id, {
      ...OtelCollectorAddOn.source,
      release,
      version: props.chartVersion,
      namespace: props.namespace,
      dependsOn: props.dependsOn,
      values: {
        ...(agent
          ? {
              mode: 'daemonset' as const,
              service: { enabled: true, internalTrafficPolicy: 'Local' } as const,
              rollout: { strategy: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } as const,
              tolerations: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' } as const],
            }
          : {
              mode: 'statefulset' as const,
              statefulset: {
                volumeClaimTemplates: [
                  {
                    metadata: { name: QUEUE_VOLUME },
                    spec: { accessModes: ['ReadWriteOnce'] as ['ReadWriteOnce'], ...(queueVolume.storageClass ? { storageClassName: queueVolume.storageClass } : {}), resources: { requests: { storage: queueVolume.size } } },
                  },
                ],
                podManagementPolicy: 'Parallel' as const,
                persistentVolumeClaimRetentionPolicy: { enabled: true, whenDeleted: 'Delete', whenScaled: 'Retain' } as const,
              },
            }),
        fullnameOverride: release,
        ...(agent ? {} : { replicaCount: replicas.min }),
        ...(replicas.max > replicas.min
          ? { autoscaling: { enabled: true, minReplicas: replicas.min, maxReplicas: replicas.max, targetCPUUtilizationPercentage: replicas.targetCpu } as const }
          : {}),
        ...(replicas.min >= 2 ? { podDisruptionBudget: { enabled: true, minAvailable: 1 } as const } : {}),
        // A StatefulSet's rolling update replaces one pod at a time, deleting it before its
        // successor starts: never two cluster collectors at once, and the successor gets the queue.
        ...(replicas.max > 1
          ? { topologySpreadConstraints: [spreadOver('kubernetes.io/hostname', podLabels)] }
          : {}),
        image: { repository: COLLECTOR_IMAGE_REPOSITORY, tag: props.imageTag },
        command: { name: 'otelcol-contrib' },
        resources: props.resources,
        podSecurityContext: restrictedPodSecurity(),
        securityContext: restrictedContainerSecurity(),
        clusterRole: rbac.length > 0 ? { create: true, rules: rbac } : { create: false },
        ports: {
          otlp: servesOtlp ? { enabled: true, containerPort: 4317, servicePort: 4317, protocol: 'TCP', appProtocol: 'grpc', ...(agent ? { hostPort: 0 as const } : {}) } : { enabled: false },
          'otlp-http': servesOtlp ? { enabled: true, containerPort: 4318, servicePort: 4318, protocol: 'TCP', ...(agent ? { hostPort: 0 as const } : {}) } : { enabled: false },
          metrics: { enabled: true, containerPort: 8888, servicePort: 8888, protocol: 'TCP' },
          // The agent forwards its metrics to the gateway and has no Prometheus endpoint.
          'prom-exporter': agent ? { enabled: false } : { enabled: true, containerPort: promPort, servicePort: promPort, protocol: 'TCP' },
          // Chart defaults for receivers we do not run.
          'jaeger-compact': { enabled: false },
          'jaeger-thrift': { enabled: false },
          'jaeger-grpc': { enabled: false },
          zipkin: { enabled: false },
        },
        // The chart's own checksum annotation covers the config; this one the ES credentials and CA.
        enableConfigChecksumAnnotation: true,
        podAnnotations: es ? { 'checksum/elasticsearch-client': es.checksum } : {},
        extraEnvs: [
          ...(es
            ? [
                { name: 'ES_USERNAME', valueFrom: { secretKeyRef: { name: es.credentialsSecret, key: 'username' } } },
                { name: 'ES_PASSWORD', valueFrom: { secretKeyRef: { name: es.credentialsSecret, key: 'password' } } },
              ]
            : []),
          // The agent's node, for k8s_attributes' filter, the k8s_api detector and kubelet_stats.
          ...(agent
            ? [
                { name: NODE_NAME_ENV, valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } } as const,
                { name: NODE_IP_ENV, valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } } as const,
              ]
            : []),
        ],
        extraVolumes: es ? [{ name: 'es-ca', secret: { secretName: es.caSecret } }] : [],
        extraVolumeMounts: [...(agent ? [] : [{ name: QUEUE_VOLUME, mountPath: QUEUE_DIRECTORY }]), ...(es ? [{ name: 'es-ca', mountPath: es.caMountPath, readOnly: true } as const] : [])],
        config: {
          ...config,
          // The chart deep-merges into its defaults: null removes what we do not run.
          receivers: { ...config.receivers, ...nullsFor(CHART_DEFAULT_RECEIVERS, config.receivers) },
          service: { ...config.service, pipelines: { ...nullsFor(CHART_DEFAULT_PIPELINES, config.service.pipelines), ...config.service.pipelines } },
        },
      },
    });
    this.serviceName = release;
    this.role = role;
    this.podLabels = podLabels;
  }
}

/** Receivers and pipelines in the chart's default `config` (values.yaml of chart 0.170.0). */
const CHART_DEFAULT_RECEIVERS = ['jaeger', 'otlp', 'prometheus', 'zipkin'];
const CHART_DEFAULT_PIPELINES = ['logs', 'metrics', 'traces'];

/** `null` for each chart default the config does not define (deletes it from the merged config). */
function nullsFor(defaults: string[], defined: Record<string, unknown>): Record<string, null> {
  return Object.fromEntries(defaults.filter((id) => !(id in defined)).map((id) => [id, null]));
}
