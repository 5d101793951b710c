import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { HelmAddOn } from '../helm/helm-addon';
import { ResourceRequirements } from '../k8s/resources';
import { spreadOver, TopologySpreadConstraint } from '../k8s/scheduling';
import { ELASTIC_HELM_REPOSITORY } from './eck-operator';

export interface EckNodeSet {
  readonly name: string;
  readonly count: number;
  readonly config: Record<string, unknown>;
  /** ECK: hard spread across zones + zone-aware shard allocation; `{}` = topology.kubernetes.io/zone. */
  readonly zoneAwareness?: { readonly topologyKey?: string };
  readonly podTemplate: {
    readonly spec: {
      readonly topologySpreadConstraints?: TopologySpreadConstraint[];
      readonly containers: {
        readonly name: 'elasticsearch';
        readonly env: { readonly name: string; readonly value: string }[];
        readonly resources: ResourceRequirements;
      }[];
      readonly volumes?: { readonly name: string; readonly emptyDir: Record<string, never> }[];
    };
  };
  readonly volumeClaimTemplates?: {
    readonly metadata: { readonly name: 'elasticsearch-data' };
    readonly spec: {
      readonly accessModes: ['ReadWriteOnce'];
      readonly resources: { readonly requests: { readonly storage: string } };
      readonly storageClassName?: string;
    };
  }[];
}

/** eck-elasticsearch values (keys checked against chart 0.20.0's values.yaml). */
export interface EckElasticsearchValues {
  readonly fullnameOverride: string;
  readonly version: string;
  readonly http: {
    /** ECK issues and rotates the HTTP certificate with its own CA (spec.http.tls.selfSignedCertificate, ECK v3.5.0). */
    readonly tls: { readonly selfSignedCertificate: { readonly subjectAltNames: { readonly dns?: string; readonly ip?: string }[] } };
  };
  readonly auth: {
    readonly fileRealm: { readonly secretName: string }[];
    readonly roles: { readonly secretName: string }[];
  };
  readonly nodeSets: EckNodeSet[];
}

export interface EckElasticsearchAddOnProps {
  readonly namespace: string;
  /** Name of the Elasticsearch resource (and release); Services are `<name>-es-http`. */
  readonly name: string;
  /** Elasticsearch version. */
  readonly elasticsearchVersion: string;
  /** Exact eck-elasticsearch chart version. */
  readonly chartVersion: string;
  /** Master-eligible data nodes. @default 1 */
  readonly nodes?: number;
  readonly heapMb: number;
  readonly resources: ResourceRequirements;
  /**
   * ECK zone awareness (every node must carry topology.kubernetes.io/zone). When off, nodes
   * of a multi-node cluster are still spread across zones softly, where the label exists.
   * @default false
   */
  readonly zoneAwareness?: boolean;
  /** PersistentVolumeClaim per node; emptyDir when omitted. @default - emptyDir */
  readonly persistence?: { readonly size: string; readonly storageClass?: string };
  /**
   * Extra names of ECK's self-signed HTTP certificate (it covers `<name>-es-http[.<ns>[.svc]]`
   * itself): the Service names clients use and port-forward's localhost. No private key ever
   * leaves the cluster: ECK keeps its CA and key in its own Secrets.
   */
  readonly httpCertificateNames: { readonly dns: string[]; readonly ips: string[] };
  /** File-realm user secrets (kubernetes.io/basic-auth with `roles`). */
  readonly fileRealmSecrets: string[];
  /** Secrets holding roles.yml. */
  readonly roleSecrets: string[];
  /** Must include the operator release (it installs the CRDs). */
  readonly dependsOn: ITerraformDependable[];
}

/** Pod label ECK puts on every node of cluster `name`. */
export const eckClusterLabels = (name: string) => ({ 'elasticsearch.k8s.elastic.co/cluster-name': name });

/**
 * An Elasticsearch cluster managed by ECK: one nodeSet of master-eligible data nodes. ECK's
 * default PodDisruptionBudget stays on (the chart renders none of ours): it allows no disruption
 * unless the cluster is green. Nodes spread one per Kubernetes node (and across zones softly).
 */
export class EckElasticsearchAddOn extends HelmAddOn<EckElasticsearchValues> {
  static readonly source = { chart: 'eck-elasticsearch', repository: ELASTIC_HELM_REPOSITORY };
  readonly clusterName: string;

  constructor(scope: Construct, id: string, props: EckElasticsearchAddOnProps) {
    const name = props.name;
    const nodes = props.nodes ?? 1;
    if (nodes < 1 || nodes % 2 === 0) throw new Error(`eck-elasticsearch: nodes must be odd (got ${nodes}): an even number of master-eligible nodes survives no more failures than one fewer`);
    const pods = eckClusterLabels(name);
    const spread: TopologySpreadConstraint[] = [
      // One node per Kubernetes node where there are enough; never blocks a smaller cluster.
      { ...spreadOver('kubernetes.io/hostname', pods, 'DoNotSchedule'), nodeTaintsPolicy: 'Honor' },
      // Soft: nodes without the zone label are still eligible (ECK's zoneAwareness is the hard form).
      ...(props.zoneAwareness ? [] : [spreadOver('topology.kubernetes.io/zone', pods)]),
    ];
    const nodeSet: EckNodeSet = {
      // ECK cannot change a nodeSet's volumes in place; a new name makes it add the new nodes
      // and migrate the data before removing the old ones (dev emptyDir → production claims).
      name: props.persistence ? 'data' : 'default',
      count: nodes,
      config: {
        // The privileged sysctl init container that raising vm.max_map_count needs is refused by
        // the restricted Pod Security level (and impossible on kind nodes): no mmap instead.
        'node.store.allow_mmap': false,
        // emptyDir on a laptop shares the host disk: the watermarks would block writes early.
        // With claims the default watermarks protect the volumes.
        ...(props.persistence ? {} : { 'cluster.routing.allocation.disk.threshold_enabled': false }),
      },
      zoneAwareness: props.zoneAwareness ? {} : undefined,
      podTemplate: {
        spec: {
          topologySpreadConstraints: nodes > 1 ? spread : undefined,
          containers: [
            {
              name: 'elasticsearch',
              env: [{ name: 'ES_JAVA_OPTS', value: `-Xms${props.heapMb}m -Xmx${props.heapMb}m` }],
              resources: props.resources,
            },
          ],
          volumes: props.persistence ? undefined : [{ name: 'elasticsearch-data', emptyDir: {} }],
        },
      },
      volumeClaimTemplates: props.persistence
        ? [
            {
              metadata: { name: 'elasticsearch-data' },
              spec: {
                accessModes: ['ReadWriteOnce'],
                resources: { requests: { storage: props.persistence.size } },
                storageClassName: props.persistence.storageClass,
              },
            },
          ]
        : undefined,
    };
    super(scope, id, {
      ...EckElasticsearchAddOn.source,
      version: props.chartVersion,
      release: name,
      namespace: props.namespace,
      dependsOn: props.dependsOn,
      values: {
        fullnameOverride: name,
        version: props.elasticsearchVersion,
        http: { tls: { selfSignedCertificate: { subjectAltNames: [...props.httpCertificateNames.dns.map((dns) => ({ dns })), ...props.httpCertificateNames.ips.map((ip) => ({ ip }))] } } },
        auth: {
          fileRealm: props.fileRealmSecrets.map((secretName) => ({ secretName })),
          roles: props.roleSecrets.map((secretName) => ({ secretName })),
        },
        nodeSets: [stripUndefined(nodeSet)],
      },
    });
    this.clusterName = name;
  }
}

function stripUndefined<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
