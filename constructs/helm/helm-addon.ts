import { Release } from '@cdktf/provider-helm/lib/release';
import { Fn, ITerraformDependable, TerraformLocal } from 'cdktf';
import { Construct } from 'constructs';
import { stringify } from 'yaml';
import { terraformLiteral } from '../terraform/literal';

/** Where a chart comes from (EKS Blueprints add-on shape); the version is the caller's pin. */
export interface HelmChartSource {
  readonly chart: string;
  readonly repository: string;
}

export interface HelmAddOnProps<V extends object> extends HelmChartSource {
  /** Exact chart version (the config schema holds the pinned defaults); ranges are rejected. */
  readonly version: string;
  /** Helm release name. */
  readonly release: string;
  /** Namespace, created by the stack as a Terraform resource (Helm never deletes what it creates). */
  readonly namespace: string;
  /** Typed chart values; rendered to YAML at synth time. */
  readonly values: V;
  /**
   * Values that put the checksum of the rendered values into the pod template, for charts
   * that do not roll their pods when a config they mount changes. Terraform computes the
   * checksum from the resolved values (sha256, hex), so it changes exactly when they do.
   * @default - none
   */
  readonly rolloutValues?: (valuesSha256: string) => object;
  /** Seconds Helm waits for the release to become ready. @default 600 */
  readonly timeoutSeconds?: number;
  /** @default - none */
  readonly dependsOn?: ITerraformDependable[];
}

const EXACT_VERSION = /^\d+\.\d+\.\d+$/;

/**
 * One Helm release of a pinned chart with typed values. The values YAML is a Terraform local
 * (so Terraform can hash what it resolves to) and reads readably in `cdktf diff`; values taken
 * from other stacks stay tokens inside it and resolve at plan time.
 */
export class HelmAddOn<V extends object> extends Construct {
  readonly release: Release;
  readonly values: V;
  /** The values as YAML, before Terraform escaping (tokens unresolved). */
  readonly valuesYaml: string;

  constructor(scope: Construct, id: string, props: HelmAddOnProps<V>) {
    super(scope, id);
    if (!EXACT_VERSION.test(props.version)) {
      throw new Error(`${props.chart}: chart version "${props.version}" must be pinned to an exact version such as 1.2.3`);
    }
    this.values = props.values;
    this.valuesYaml = stringify(props.values, { lineWidth: 0, sortMapEntries: false });
    const rendered = new TerraformLocal(this, 'values', terraformLiteral(this.valuesYaml));
    const rollout = props.rolloutValues
      ? // Quoted, so that YAML never reads an all-digit hash as a number.
        [terraformLiteral(stringify(props.rolloutValues(Fn.sha256(rendered.asString)), { lineWidth: 0, defaultStringType: 'QUOTE_DOUBLE' }))]
      : [];
    this.release = new Release(this, 'release', {
      name: props.release,
      namespace: props.namespace,
      createNamespace: false,
      chart: props.chart,
      repository: props.repository,
      version: props.version,
      values: [rendered.asString, ...rollout],
      atomic: true,
      cleanupOnFail: true,
      wait: true,
      timeout: props.timeoutSeconds ?? 600,
      maxHistory: 5,
      dependsOn: props.dependsOn,
    });
  }
}
