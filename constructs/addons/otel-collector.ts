import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { HelmAddOn } from '../helm/helm-addon';
import { ResourceRequirements } from '../k8s/resources';
import { ElasticsearchClient } from '../elasticsearch/client-secrets';
import { ContainerSecurity, restrictedContainerSecurity, restrictedPodSecurity } from '../k8s/security';
import { CollectorConfig } from '../otel/collector-config';
import { COLLECTOR_SERVICE } from '../otel/names';

export interface CollectorPortValue {
  readonly enabled: boolean;
  readonly containerPort?: number;
  readonly servicePort?: number;
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
export interface OtelCollectorValues {
  readonly mode: 'deployment';
  readonly fullnameOverride: string;
  readonly replicaCount: 1;
  readonly image: { readonly repository: string; readonly tag: string };
  readonly command: { readonly name: string };
  readonly resources: ResourceRequirements;
  readonly podSecurityContext: ReturnType<typeof restrictedPodSecurity>;
  readonly securityContext: ContainerSecurity;
  readonly clusterRole: { readonly create: true; readonly rules: PolicyRule[] };
  readonly ports: Record<string, CollectorPortValue>;
  readonly podAnnotations: Record<string, string>;
  readonly enableConfigChecksumAnnotation: true;
  readonly extraEnvs: { readonly name: string; readonly valueFrom: { readonly secretKeyRef: { readonly name: string; readonly key: string } } }[];
  readonly extraVolumes: { readonly name: string; readonly secret: { readonly secretName: string } }[];
  readonly extraVolumeMounts: { readonly name: string; readonly mountPath: string; readonly readOnly: true }[];
  /** Our config plus `null`s that delete the chart's default components we do not use. */
  readonly config: Omit<CollectorConfig, 'receivers' | 'service'> & {
    readonly receivers: Record<string, CollectorConfig['receivers'][string] | null>;
    readonly service: Omit<CollectorConfig['service'], 'pipelines'> & { readonly pipelines: Record<string, CollectorConfig['service']['pipelines'][string] | null> };
  };
}

export interface OtelCollectorAddOnProps {
  readonly namespace: string;
  /** Built by buildCollectorConfig({ profile: 'kubernetes', ... }). */
  readonly config: CollectorConfig;
  /** Exact opentelemetry-collector chart version. */
  readonly chartVersion: string;
  /** Exact otel/opentelemetry-collector-contrib tag. */
  readonly imageTag: string;
  readonly resources: ResourceRequirements;
  /** @default 8889 */
  readonly prometheusPort?: number;
  /** Credentials (as ES_USERNAME/ES_PASSWORD) and CA (mounted at caMountPath) for the events exporter. @default - no events */
  readonly elasticsearch?: ElasticsearchClient & { readonly caMountPath: string };
  /** @default - none */
  readonly dependsOn?: ITerraformDependable[];
}

/** What the collector reads from the Kubernetes API (and nothing more). */
export const COLLECTOR_RBAC_RULES: PolicyRule[] = [
  // k8s_attributes, k8s_observer, k8s_cluster, Prometheus pod discovery
  { apiGroups: [''], resources: ['pods', 'namespaces', 'nodes', 'services', 'endpoints', 'replicationcontrollers', 'resourcequotas', 'events'], verbs: ['get', 'list', 'watch'] },
  // kubeletstats through each node's kubelet (nodes/proxy is not needed without extra_metadata_labels)
  { apiGroups: [''], resources: ['nodes/stats'], verbs: ['get'] },
  { apiGroups: ['apps'], resources: ['replicasets', 'deployments', 'daemonsets', 'statefulsets'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['batch'], resources: ['jobs', 'cronjobs'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['get', 'list', 'watch'] },
];

/** The collector's container image distribution: contrib has every component we use. */
export const COLLECTOR_IMAGE_REPOSITORY = 'otel/opentelemetry-collector-contrib';

/** OpenTelemetry Collector as a single-replica Deployment named `otel-collector`. */
export class OtelCollectorAddOn extends HelmAddOn<OtelCollectorValues> {
  static readonly source = { chart: 'opentelemetry-collector', repository: 'https://open-telemetry.github.io/opentelemetry-helm-charts', release: COLLECTOR_SERVICE };
  readonly serviceName = COLLECTOR_SERVICE;

  constructor(scope: Construct, id: string, props: OtelCollectorAddOnProps) {
    if (!props.config.service.extensions.includes('health_check')) throw new Error('otel-collector: the chart requires the health_check extension');
    const promPort = props.prometheusPort ?? 8889;
    const es = props.elasticsearch;
    super(scope, id, {
      ...OtelCollectorAddOn.source,
      version: props.chartVersion,
      namespace: props.namespace,
      dependsOn: props.dependsOn,
      values: {
        mode: 'deployment',
        fullnameOverride: COLLECTOR_SERVICE,
        replicaCount: 1,
        image: { repository: COLLECTOR_IMAGE_REPOSITORY, tag: props.imageTag },
        command: { name: 'otelcol-contrib' },
        resources: props.resources,
        podSecurityContext: restrictedPodSecurity(),
        securityContext: restrictedContainerSecurity(),
        clusterRole: { create: true, rules: COLLECTOR_RBAC_RULES },
        ports: {
          otlp: { enabled: true, containerPort: 4317, servicePort: 4317, protocol: 'TCP', appProtocol: 'grpc' },
          'otlp-http': { enabled: true, containerPort: 4318, servicePort: 4318, protocol: 'TCP' },
          metrics: { enabled: true, containerPort: 8888, servicePort: 8888, protocol: 'TCP' },
          'prom-exporter': { enabled: true, containerPort: promPort, servicePort: promPort, protocol: 'TCP' },
          // Chart defaults for receivers we do not run.
          'jaeger-compact': { enabled: false },
          'jaeger-thrift': { enabled: false },
          'jaeger-grpc': { enabled: false },
          zipkin: { enabled: false },
        },
        // The chart's own checksum annotation covers the config; this one the ES credentials and CA.
        enableConfigChecksumAnnotation: true,
        podAnnotations: es ? { 'checksum/elasticsearch-client': es.checksum } : {},
        extraEnvs: es
          ? [
              { name: 'ES_USERNAME', valueFrom: { secretKeyRef: { name: es.credentialsSecret, key: 'username' } } },
              { name: 'ES_PASSWORD', valueFrom: { secretKeyRef: { name: es.credentialsSecret, key: 'password' } } },
            ]
          : [],
        extraVolumes: es ? [{ name: 'es-ca', secret: { secretName: es.caSecret } }] : [],
        extraVolumeMounts: es ? [{ name: 'es-ca', mountPath: es.caMountPath, readOnly: true }] : [],
        config: {
          ...props.config,
          // The chart deep-merges into its defaults: null removes what we do not run.
          receivers: { ...props.config.receivers, jaeger: null, zipkin: null },
          service: { ...props.config.service, pipelines: { logs: null, ...props.config.service.pipelines } },
        },
      },
    });
  }
}
