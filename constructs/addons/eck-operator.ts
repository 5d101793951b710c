import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { HelmAddOn } from '../helm/helm-addon';
import { ResourceRequirements } from '../k8s/resources';

export const ELASTIC_HELM_REPOSITORY = 'https://helm.elastic.co';

/** The subset of eck-operator values we set (keys checked against the pinned chart). */
export interface EckOperatorValues {
  readonly installCRDs: boolean;
  readonly managedNamespaces: string[];
  readonly resources: ResourceRequirements;
  readonly telemetry: { readonly disabled: boolean };
  readonly webhook: { readonly enabled: boolean };
  readonly config: { readonly validateStorageClass: boolean };
  readonly podSecurityContext: { readonly runAsNonRoot: true; readonly seccompProfile: { readonly type: 'RuntimeDefault' } };
}

export interface EckOperatorAddOnProps {
  /** Namespace of the operator (a Terraform-managed namespace). */
  readonly namespace: string;
  /** Namespaces the operator manages (least privilege). */
  readonly managedNamespaces: string[];
  /** Exact eck-operator chart version. */
  readonly version: string;
  /** @default 100m/150Mi requests, 500m/384Mi limits */
  readonly resources?: ResourceRequirements;
  /** @default - none */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * Elastic Cloud on Kubernetes operator. It installs the Elasticsearch CRDs, which the chart
 * marks `helm.sh/resource-policy: keep`: uninstalling the release leaves them (and so the data
 * of any Elasticsearch left behind); `npm run destroy` removes them after a full destroy.
 */
export class EckOperatorAddOn extends HelmAddOn<EckOperatorValues> {
  static readonly source = { chart: 'eck-operator', repository: ELASTIC_HELM_REPOSITORY, release: 'eck-operator' };

  constructor(scope: Construct, id: string, props: EckOperatorAddOnProps) {
    if (props.managedNamespaces.length === 0) throw new Error('eck-operator: managedNamespaces must name at least one namespace');
    super(scope, id, {
      ...EckOperatorAddOn.source,
      version: props.version,
      namespace: props.namespace,
      dependsOn: props.dependsOn,
      values: {
        installCRDs: true,
        managedNamespaces: props.managedNamespaces,
        resources: props.resources ?? { requests: { cpu: '100m', memory: '150Mi' }, limits: { cpu: '500m', memory: '384Mi' } },
        telemetry: { disabled: true },
        // The validating webhook needs cert handling that adds nothing on a laptop cluster.
        webhook: { enabled: false },
        config: { validateStorageClass: false },
        // The chart's default lacks a seccomp profile, which the restricted Pod Security level requires.
        podSecurityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      },
    });
  }
}
