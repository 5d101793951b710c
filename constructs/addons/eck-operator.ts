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
}

export interface EckOperatorAddOnProps {
  /** @default elastic-system */
  readonly namespace?: string;
  /** Namespaces the operator manages (least privilege). */
  readonly managedNamespaces: string[];
  /** @default 3.5.0 */
  readonly version?: string;
  /** @default 100m/150Mi requests, 500m/384Mi limits */
  readonly resources?: ResourceRequirements;
  /** @default - none */
  readonly dependsOn?: ITerraformDependable[];
}

/** Elastic Cloud on Kubernetes operator (installs the Elasticsearch CRDs). */
export class EckOperatorAddOn extends HelmAddOn<EckOperatorValues> {
  static readonly defaults = { chart: 'eck-operator', repository: ELASTIC_HELM_REPOSITORY, version: '3.5.0', release: 'eck-operator' };

  constructor(scope: Construct, id: string, props: EckOperatorAddOnProps) {
    if (props.managedNamespaces.length === 0) throw new Error('eck-operator: managedNamespaces must name at least one namespace');
    super(scope, id, {
      ...EckOperatorAddOn.defaults,
      version: props.version ?? EckOperatorAddOn.defaults.version,
      namespace: props.namespace ?? 'elastic-system',
      dependsOn: props.dependsOn,
      values: {
        installCRDs: true,
        managedNamespaces: props.managedNamespaces,
        resources: props.resources ?? { requests: { cpu: '100m', memory: '150Mi' }, limits: { cpu: '500m', memory: '384Mi' } },
        telemetry: { disabled: true },
        // The validating webhook needs cert handling that adds nothing on a laptop cluster.
        webhook: { enabled: false },
        config: { validateStorageClass: false },
      },
    });
  }
}
