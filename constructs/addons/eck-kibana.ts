import { PodDisruptionBudgetV1 } from '@cdktf/provider-kubernetes/lib/pod-disruption-budget-v1';
import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { HelmAddOn } from '../helm/helm-addon';
import { kibanaPodLabels, KIBANA_NAME } from '../kibana/names';
import { ResourceRequirements } from '../k8s/resources';
import { spreadOver, TopologySpreadConstraint } from '../k8s/scheduling';
import { ContainerSecurity, restrictedContainerSecurity, restrictedPodSecurity } from '../k8s/security';
import { ELASTIC_HELM_REPOSITORY } from './eck-operator';

/** uid/gid of the `kibana` user of Elastic's image (ECK v3.5.0 pod.go: defaultFSUser/defaultFSGroup). */
export const KIBANA_UID = 1000;

/** eck-kibana values (keys checked against chart 0.20.0's values.yaml). */
export interface EckKibanaValues {
  readonly fullnameOverride: string;
  readonly version: string;
  readonly count: number;
  /** ECK creates Kibana's Elasticsearch credentials and mounts the CA of `<name>-es-http`. */
  readonly elasticsearchRef: { readonly name: string; readonly namespace: string };
  readonly config: Record<string, unknown>;
  readonly http: { readonly tls: { readonly selfSignedCertificate: { readonly disabled: boolean } } };
  readonly podTemplate: {
    readonly spec: {
      readonly securityContext: ReturnType<typeof restrictedPodSecurity>;
      readonly topologySpreadConstraints?: TopologySpreadConstraint[];
      readonly containers: { readonly name: 'kibana'; readonly resources: ResourceRequirements; readonly securityContext: ContainerSecurity }[];
    };
  };
}

export interface EckKibanaAddOnProps {
  readonly namespace: string;
  /** Exact eck-kibana chart version. */
  readonly chartVersion: string;
  /** Kibana version: ECK refuses one other than its Elasticsearch's. */
  readonly version: string;
  /** The ECK Elasticsearch resource Kibana stores its state in (any namespace the operator manages). */
  readonly elasticsearch: { readonly name: string; readonly namespace: string };
  /** @default 1 */
  readonly replicas?: number;
  readonly resources: ResourceRequirements;
  /** Address users open Kibana at (Kibana's `server.publicBaseUrl`, in the links it builds). */
  readonly publicUrl: string;
  /**
   * The operator (it installs the Kibana CRD) and Elasticsearch must exist first: in another
   * stack, the stack order does it. @default - none
   */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * Kibana managed by ECK, connected to our Elasticsearch through `elasticsearchRef` (ECK makes
 * Kibana's Elasticsearch credentials and trusts the cluster's CA). HTTP without TLS: users reach
 * it through `kubectl port-forward` at http://localhost:5601 (an encrypted tunnel through the API
 * server), and links between Jaeger and Kibana use that scheme. From 2 replicas: spread one per
 * node (softly) and a PodDisruptionBudget, which the Kibana resource has no field for.
 */
export class EckKibanaAddOn extends HelmAddOn<EckKibanaValues> {
  static readonly source = { chart: 'eck-kibana', repository: ELASTIC_HELM_REPOSITORY };
  readonly podLabels = kibanaPodLabels(KIBANA_NAME);
  readonly podDisruptionBudget?: PodDisruptionBudgetV1;

  constructor(scope: Construct, id: string, props: EckKibanaAddOnProps) {
    const replicas = props.replicas ?? 1;
    if (!Number.isInteger(replicas) || replicas < 1) throw new Error(`eck-kibana: replicas must be a whole number >= 1 (got ${replicas})`);
    const pods = kibanaPodLabels(KIBANA_NAME);
    super(scope, id, {
      ...EckKibanaAddOn.source,
      version: props.chartVersion,
      release: KIBANA_NAME,
      namespace: props.namespace,
      dependsOn: props.dependsOn,
      values: {
        fullnameOverride: KIBANA_NAME,
        version: props.version,
        count: replicas,
        elasticsearchRef: { name: props.elasticsearch.name, namespace: props.elasticsearch.namespace },
        config: {
          'server.publicBaseUrl': props.publicUrl,
          // No usage data leaves the cluster (the operator's telemetry is off too). Not with
          // allowChangingOptInStatus: false, which older Kibana config schemas accept only with optIn: true.
          'telemetry.optIn': false,
        },
        // ECK serves Kibana over self-signed TLS by default; the port-forward and the links are http.
        http: { tls: { selfSignedCertificate: { disabled: true } } },
        podTemplate: {
          spec: {
            // Replaces ECK's default pod context (fsGroup + seccomp), adding the runAsNonRoot that
            // the restricted Pod Security level requires and ECK's default lacks.
            securityContext: restrictedPodSecurity(KIBANA_UID),
            ...(replicas > 1 ? { topologySpreadConstraints: [spreadOver('kubernetes.io/hostname', pods), spreadOver('topology.kubernetes.io/zone', pods)] } : {}),
            // Read-only root FS: ECK mounts emptyDirs at /tmp, logs, data and plugins (Kibana >= 7.10).
            containers: [{ name: 'kibana', resources: props.resources, securityContext: restrictedContainerSecurity(KIBANA_UID) }],
          },
        },
      },
    });
    if (replicas >= 2) {
      this.podDisruptionBudget = new PodDisruptionBudgetV1(this, 'pdb', {
        metadata: { name: KIBANA_NAME, namespace: props.namespace, labels: { 'app.kubernetes.io/name': 'kibana', 'app.kubernetes.io/managed-by': 'cdktf' } },
        spec: { maxUnavailable: '1', selector: { matchLabels: { ...pods } } },
        dependsOn: [this.release],
      });
    }
  }
}
