import { PodDisruptionBudgetV1 } from '@cdktf/provider-kubernetes/lib/pod-disruption-budget-v1';
import { Construct } from 'constructs';
import { ElasticsearchClient } from '../elasticsearch/client-secrets';
import { HelmAddOn } from '../helm/helm-addon';
import { ResourceRequirements } from '../k8s/resources';
import { spreadOver, TopologySpreadConstraint } from '../k8s/scheduling';
import { ContainerSecurity, restrictedContainerSecurity, restrictedPodSecurity } from '../k8s/security';
import { buildJaegerConfig, JaegerConfig } from '../jaeger/jaeger-config';
import { JAEGER_RELEASE } from '../jaeger/names';
import { JAEGER_UI_CONFIG_FILE, JaegerUiConfig } from '../jaeger/ui-config';

/** A container env var with a literal value. */
export interface JaegerEnvVar {
  readonly name: string;
  readonly value: string;
}

/** A Secret volume projecting selected keys. */
export interface JaegerSecretVolume {
  readonly name: string;
  readonly secret: {
    readonly secretName: string;
    readonly items: { readonly key: string; readonly path: string }[];
    /** Octal file mode (YAML renders it decimal). */
    readonly defaultMode: number;
  };
}

export interface JaegerVolumeMount {
  readonly name: string;
  readonly mountPath: string;
  readonly readOnly: true;
}

export interface JaegerDeploymentStrategy {
  readonly type: 'RollingUpdate';
  readonly rollingUpdate: { readonly maxUnavailable: number; readonly maxSurge: number };
}

/**
 * Jaeger chart 4.x values we set (no values schema upstream: keys checked against 4.11.1's
 * values.yaml and, for `strategy` and `topologySpreadConstraints`, its jaeger-deploy.yaml).
 */
export interface JaegerValues {
  readonly fullnameOverride: string;
  readonly jaeger: {
    readonly image: { readonly tag: string };
    readonly resources: ResourceRequirements;
    readonly podSecurityContext: ReturnType<typeof restrictedPodSecurity>;
    readonly securityContext: ContainerSecurity;
    /** Rendered only when set (`hasKey`). @default - unset (in-memory: the chart's 1) */
    readonly replicas?: number;
    /** @default - unset: the chart renders `type: Recreate` */
    readonly strategy?: JaegerDeploymentStrategy;
    /** Template-only key (values.yaml spells it `topologySpreadContraints`, which nothing reads). */
    readonly topologySpreadConstraints?: TopologySpreadConstraint[];
    /** Replaced, not merged, by a later values document's list: see rolloutValues. */
    readonly extraEnv?: JaegerEnvVar[];
    readonly extraVolumes?: JaegerSecretVolume[];
    readonly extraVolumeMounts?: JaegerVolumeMount[];
  };
  /** Replaces the chart's built-in config wholesale. */
  readonly userconfig: JaegerConfig;
  /**
   * The UI configuration: the chart renders it (toJson) into ConfigMap `ui-config`, mounted at
   * JAEGER_UI_CONFIG_FILE, which `userconfig` then names. Part of the values, so a change rolls
   * the pod through the values' checksum like the rest of the config.
   * @default - unset: no ConfigMap, the UI's defaults
   */
  readonly uiconfig?: JaegerUiConfig;
}

/** Where Jaeger's traces go when they are to survive restarts and be shared by replicas. */
export interface JaegerElasticsearchProps extends ElasticsearchClient {
  /** https URL of Elasticsearch, e.g. https://elasticsearch.elasticsearch.svc:9200. */
  readonly url: string;
  /** The file-realm user (the username in `credentialsSecret`), e.g. JAEGER_ES_USER. */
  readonly username: string;
  /** Index replicas of each daily index. */
  readonly replicas: number;
  /** Primary shards of each daily index. @default 1 */
  readonly shards?: number;
  /** Query lookback: the retention period of the indices, in days (at most JAEGER_MAX_SPAN_AGE_DAYS_LIMIT, 133). */
  readonly maxSpanAgeDays: number;
  /** Elasticsearch major version, so Jaeger need not ping for it. @default 8 (also right for 9) */
  readonly elasticsearchMajor?: number;
}

export interface JaegerAddOnProps {
  /** Namespace (a Terraform-managed namespace). */
  readonly namespace: string;
  /** Exact jaeger chart version (4.x). */
  readonly chartVersion: string;
  /** Exact jaegertracing/jaeger image tag. */
  readonly imageTag: string;
  /** In-memory store limit (unused with `elasticsearch`). */
  readonly maxTraces: number;
  readonly resources: ResourceRequirements;
  /**
   * Jaeger pods. More than one needs `elasticsearch`: with in-memory storage each pod would
   * hold its own traces.
   * @default 1
   */
  readonly replicas?: number;
  /**
   * Elasticsearch storage, and the Monitor tab's metrics read from it: credentials and CA
   * mounted from the Secrets, rolling updates, spread replicas and a PodDisruptionBudget from 2
   * replicas.
   * @default - in-memory storage, one pod, Recreate, no metrics
   */
  readonly elasticsearch?: JaegerElasticsearchProps;
  /**
   * Jaeger UI configuration, e.g. the link patterns from traces and spans to their logs in Kibana
   * (buildJaegerUiConfig).
   * @default - none: the UI's defaults
   */
  readonly uiConfig?: JaegerUiConfig;
}

/** Labels of Jaeger's pods (the chart's selector labels plus its component label). */
const POD_LABELS = { 'app.kubernetes.io/name': 'jaeger', 'app.kubernetes.io/instance': JAEGER_RELEASE, 'app.kubernetes.io/component': 'all-in-one' } as const;

/** The env var that carries the values' checksum into Jaeger's pod template. */
export const JAEGER_CONFIG_CHECKSUM_ENV = 'CONFIG_SHA256';
/** The env var that carries the Elasticsearch credentials' and CA's checksum into the pod template. */
export const JAEGER_ES_CLIENT_CHECKSUM_ENV = 'ES_CLIENT_SHA256';

/** Mount of the credentials Secret (only its `password` key). */
export const JAEGER_ES_CREDENTIALS_DIR = '/etc/jaeger/es-credentials';
export const JAEGER_ES_PASSWORD_FILE = `${JAEGER_ES_CREDENTIALS_DIR}/password`;
/** Mount of the CA Secret (its `ca.crt` key). */
export const JAEGER_ES_CA_DIR = '/etc/jaeger/es-ca';
export const JAEGER_ES_CA_FILE = `${JAEGER_ES_CA_DIR}/ca.crt`;

/**
 * Jaeger v2 all-in-one, release and Service named `jaeger`; in-memory storage unless
 * `elasticsearch` is given. The chart mounts `userconfig` by subPath and has no checksum
 * annotation nor pod-annotations value, so a config change would never reach the running
 * pod: the values' sha256 goes into the pod template as an env var (`jaeger.extraEnv`),
 * which rolls the pod whenever the values change. With Elasticsearch the Secrets' checksum
 * rides along the same way, so a new password or CA rolls the pods too.
 */
export class JaegerAddOn extends HelmAddOn<JaegerValues> {
  static readonly source = { chart: 'jaeger', repository: 'https://jaegertracing.github.io/helm-charts', release: JAEGER_RELEASE };
  /** Name of the chart's Service (all ports). */
  readonly serviceName = JAEGER_RELEASE;
  /** Pod labels the chart's selector uses. */
  readonly selector: Record<string, string> = { ...POD_LABELS };
  /** Keeps one pod through voluntary disruptions (node drains): with Elasticsearch and 2+ replicas. */
  readonly podDisruptionBudget?: PodDisruptionBudgetV1;

  constructor(scope: Construct, id: string, props: JaegerAddOnProps) {
    const major = Number(props.chartVersion.split('.')[0]);
    if (major < 4) throw new Error(`jaeger: chart ${props.chartVersion} is the Jaeger v1 layout; this add-on renders chart 4.x (Jaeger v2) values`);
    const replicas = props.replicas ?? 1;
    if (!Number.isInteger(replicas) || replicas < 1) throw new Error(`jaeger: replicas must be an integer >= 1, got ${replicas}`);
    const es = props.elasticsearch;
    if (!es && replicas > 1) {
      throw new Error(
        `jaeger: replicas ${replicas} with in-memory storage would give each pod its own store (traces split between pods, each lost on restart); ` +
          'set elasticsearch (shared durable storage) to run more than one replica, or keep replicas at 1',
      );
    }
    const esEnv: JaegerEnvVar[] = es ? [{ name: JAEGER_ES_CLIENT_CHECKSUM_ENV, value: es.checksum }] : [];
    super(scope, id, {
      ...JaegerAddOn.source,
      version: props.chartVersion,
      namespace: props.namespace,
      // Helm replaces lists: this document's extraEnv replaces the values' one, so it repeats it.
      rolloutValues: (sha256) => ({ jaeger: { extraEnv: [...esEnv, { name: JAEGER_CONFIG_CHECKSUM_ENV, value: sha256 }] } }),
      values: {
        fullnameOverride: JAEGER_RELEASE,
        jaeger: {
          image: { tag: props.imageTag },
          resources: props.resources,
          podSecurityContext: restrictedPodSecurity(),
          securityContext: restrictedContainerSecurity(),
          ...(es
            ? {
                replicas,
                // Shared storage: a new pod serves before an old one stops.
                strategy: { type: 'RollingUpdate' as const, rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
                // Soft: a single-node cluster still schedules every replica.
                topologySpreadConstraints: [spreadOver('kubernetes.io/hostname', POD_LABELS)],
                extraEnv: esEnv,
                extraVolumes: [
                  // Only the password key: the username is in the config. Group-readable (fsGroup).
                  { name: 'es-credentials', secret: { secretName: es.credentialsSecret, items: [{ key: 'password', path: 'password' }], defaultMode: 0o440 } },
                  { name: 'es-ca', secret: { secretName: es.caSecret, items: [{ key: 'ca.crt', path: 'ca.crt' }], defaultMode: 0o444 } },
                ],
                extraVolumeMounts: [
                  { name: 'es-credentials', mountPath: JAEGER_ES_CREDENTIALS_DIR, readOnly: true as const },
                  { name: 'es-ca', mountPath: JAEGER_ES_CA_DIR, readOnly: true as const },
                ],
              }
            : {}),
        },
        ...(props.uiConfig ? { uiconfig: props.uiConfig } : {}),
        userconfig: buildJaegerConfig({
          maxTraces: props.maxTraces,
          uiConfigFile: props.uiConfig ? JAEGER_UI_CONFIG_FILE : undefined,
          elasticsearch: es && {
            serverUrl: es.url,
            username: es.username,
            passwordFile: JAEGER_ES_PASSWORD_FILE,
            caFile: JAEGER_ES_CA_FILE,
            shards: es.shards,
            replicas: es.replicas,
            maxSpanAgeDays: es.maxSpanAgeDays,
            elasticsearchMajor: es.elasticsearchMajor,
          },
        }),
      },
    });
    if (es && replicas >= 2) {
      this.podDisruptionBudget = new PodDisruptionBudgetV1(this, 'pdb', {
        metadata: { name: JAEGER_RELEASE, namespace: props.namespace, labels: { 'app.kubernetes.io/name': 'jaeger', 'app.kubernetes.io/instance': JAEGER_RELEASE } },
        spec: { minAvailable: '1', selector: { matchLabels: { ...this.selector } } },
      });
    }
  }
}
