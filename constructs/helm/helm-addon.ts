import { Release, ReleaseConfig } from '@cdktf/provider-helm/lib/release';
import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { stringify } from 'yaml';

/** Where a chart comes from, pinned (EKS Blueprints add-on shape). */
export interface HelmChartSource {
  readonly chart: string;
  readonly repository: string;
  /** Exact chart version; ranges are rejected. */
  readonly version: string;
}

export interface HelmAddOnProps<V extends object> extends HelmChartSource {
  /** Helm release name. */
  readonly release: string;
  readonly namespace: string;
  /** Typed chart values; rendered to YAML at synth time. */
  readonly values: V;
  /** @default true */
  readonly createNamespace?: boolean;
  /** Seconds Helm waits for the release to become ready. @default 600 */
  readonly timeoutSeconds?: number;
  /** @default - none */
  readonly dependsOn?: ITerraformDependable[];
}

const EXACT_VERSION = /^\d+\.\d+\.\d+$/;

/**
 * One Helm release of a pinned chart with typed values. Values are rendered to YAML at
 * synth time, so `cdktf diff` and the synthesized JSON show them readably; values taken
 * from other stacks stay tokens inside that YAML and resolve at plan time.
 */
export class HelmAddOn<V extends object> extends Construct {
  readonly release: Release;
  readonly values: V;
  readonly valuesYaml: string;

  constructor(scope: Construct, id: string, props: HelmAddOnProps<V>) {
    super(scope, id);
    if (!EXACT_VERSION.test(props.version)) {
      throw new Error(`${props.chart}: chart version "${props.version}" must be pinned to an exact version such as 1.2.3`);
    }
    this.values = props.values;
    this.valuesYaml = stringify(props.values, { lineWidth: 0, sortMapEntries: false });
    const config: ReleaseConfig = {
      name: props.release,
      namespace: props.namespace,
      createNamespace: props.createNamespace ?? true,
      chart: props.chart,
      repository: props.repository,
      version: props.version,
      values: [this.valuesYaml],
      atomic: true,
      cleanupOnFail: true,
      wait: true,
      timeout: props.timeoutSeconds ?? 600,
      maxHistory: 5,
      dependsOn: props.dependsOn,
    };
    this.release = new Release(this, 'release', config);
  }
}
