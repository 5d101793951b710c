import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { HelmAddOn } from '../helm/helm-addon';
import { ResourceRequirements } from '../k8s/resources';
import { ELASTIC_HELM_REPOSITORY } from './eck-operator';

export interface EckNodeSet {
  readonly name: string;
  readonly count: number;
  readonly config: Record<string, unknown>;
  readonly podTemplate: {
    readonly spec: {
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
    readonly tls: { readonly certificate: { readonly secretName: string } };
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
  readonly heapMb: number;
  readonly resources: ResourceRequirements;
  /** PersistentVolumeClaim per node; emptyDir when omitted. @default - emptyDir */
  readonly persistence?: { readonly size: string; readonly storageClass?: string };
  /** Secret (tls.crt, tls.key, ca.crt) that ECK serves HTTP with. */
  readonly httpCertificateSecret: string;
  /** File-realm user secrets (kubernetes.io/basic-auth with `roles`). */
  readonly fileRealmSecrets: string[];
  /** Secrets holding roles.yml. */
  readonly roleSecrets: string[];
  /** Must include the operator release (it installs the CRDs). */
  readonly dependsOn: ITerraformDependable[];
}

/** A single-node Elasticsearch cluster managed by ECK. */
export class EckElasticsearchAddOn extends HelmAddOn<EckElasticsearchValues> {
  static readonly source = { chart: 'eck-elasticsearch', repository: ELASTIC_HELM_REPOSITORY };
  readonly clusterName: string;

  constructor(scope: Construct, id: string, props: EckElasticsearchAddOnProps) {
    const name = props.name;
    const nodeSet: EckNodeSet = {
      name: 'default',
      count: 1,
      config: {
        // No vm.max_map_count tuning is possible on kind nodes without privileged init.
        'node.store.allow_mmap': false,
        'cluster.routing.allocation.disk.threshold_enabled': false,
      },
      podTemplate: {
        spec: {
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
        http: { tls: { certificate: { secretName: props.httpCertificateSecret } } },
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
