import { Testing, TerraformStack } from 'cdktf';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateConfig } from '../config/load';
import type { MonitoringConfig } from '../config/schema';
import { providerSchemasDir } from '../checks/terraform-offline';
import { helmValueDocuments, readStacks, resolveTemplate } from '../ops/terraform-json';
import { buildMonitoringApp, MonitoringApp } from '../stacks/app';

export function config(overrides: Record<string, unknown> = {}): MonitoringConfig {
  return validateConfig(overrides, 'test');
}

const outdirs = new WeakMap<TerraformStack, string>();

/** Builds and synthesizes the whole app, as `cdktf synth` does (cross-stack refs resolved). */
export function build(cfg: MonitoringConfig = config()): MonitoringApp {
  const app = Testing.app();
  const stacks = buildMonitoringApp(app, cfg);
  app.synth();
  for (const stack of Object.values(stacks)) outdirs.set(stack, app.outdir);
  return stacks;
}

/** The directory build() synthesized an app into (holds manifest.json and stacks/). */
export function outdirOf(app: MonitoringApp): string {
  const outdir = outdirs.get(app.cluster);
  if (!outdir) throw new Error('outdirOf() takes an app from build()');
  return outdir;
}

export type TfJson = {
  resource?: Record<string, Record<string, any>>;
  data?: Record<string, Record<string, any>>;
  output?: Record<string, any>;
  provider?: Record<string, any[]>;
  terraform?: any;
  locals?: Record<string, unknown>;
  moved?: unknown[];
};

export function synth(stack: TerraformStack): TfJson {
  const outdir = outdirs.get(stack);
  if (!outdir) throw new Error('synth() takes a stack from build()');
  return JSON.parse(readFileSync(join(outdir, 'stacks', stack.node.id, 'cdk.tf.json'), 'utf8')) as TfJson;
}

export function resourcesOf(json: TfJson, type: string): any[] {
  return Object.values(json.resource?.[type] ?? {});
}

export function resourceTypes(json: TfJson): string[] {
  return Object.keys(json.resource ?? {}).sort();
}

/** The helm_release of `chart` in a stack. */
export function helmRelease(json: TfJson, chart: string, name?: string): any {
  const releases = resourcesOf(json, 'helm_release').filter((r) => r.chart === chart && (name === undefined || r.name === name));
  if (releases.length === 0) throw new Error(`no helm_release of chart ${chart}${name ? ` named ${name}` : ''}`);
  if (releases.length > 1) throw new Error(`${releases.length} helm_releases of chart ${chart} (${releases.map((r) => r.name).join(', ')}): name the one you mean`);
  return releases[0];
}

/** Helm values of the single release of `chart` (named `name`, if several) in a stack (its main values document), parsed. */
export function helmValues(json: TfJson, chart: string, name?: string): any {
  return helmValueDocuments(json, helmRelease(json, chart, name))[0];
}

/**
 * A file of the upstream chart data (default values, values schemas): from $CHART_DATA_DIR,
 * default ../shared beside the checkout. CI without it fails naming the variable.
 */
export function chartDataFile(...parts: string[]): string {
  return dataFile('CHART_DATA_DIR', join(__dirname, '..', '..', 'shared'), parts);
}

/** A provider schema (`terraform providers schema -json`) of one provider at one version, parsed. */
export function providerSchema(type: string, version: string): any {
  const file = dataFile('PROVIDER_SCHEMAS_DIR', providerSchemasDir(), [`${type}-${version}.json`]);
  const schemas = JSON.parse(file).provider_schemas as Record<string, unknown>;
  const key = Object.keys(schemas).find((k) => k.endsWith(`/${type}`));
  if (!key) throw new Error(`${type}-${version}.json holds no schema of provider ${type}`);
  return schemas[key];
}

function dataFile(variable: string, fallback: string, parts: string[]): string {
  const dir = process.env[variable] ?? fallback;
  const file = join(dir, ...parts);
  try {
    return readFileSync(file, 'utf8');
  } catch {
    throw new Error(`${file} not found: set ${variable} to a directory with the upstream data (default ../shared beside the checkout; the CI workflow fills it)`);
  }
}

/** A pod template of a raw workload as synthesized, its namespace resolved as Terraform will. */
export interface PodTemplate {
  readonly stack: string;
  readonly name: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  /** The pod spec (provider field names: container, init_container, volume, security_context). */
  readonly spec: any;
}

/** The pod templates of every Deployment, DaemonSet, Job and CronJob of the synthesized stacks. */
export function podTemplatesOf(outdir: string): PodTemplate[] {
  const stacks = readStacks(outdir);
  const templates: PodTemplate[] = [];
  for (const [stack, json] of Object.entries(stacks)) {
    const resources = (json.resource ?? {}) as Record<string, Record<string, any>>;
    const found = [
      ...['kubernetes_deployment_v1', 'kubernetes_daemon_set_v1', 'kubernetes_job_v1'].flatMap((type) => Object.values(resources[type] ?? {}).map((r) => [r.metadata, r.spec.template])),
      ...Object.values(resources.kubernetes_cron_job_v1 ?? {}).map((r) => [r.metadata, r.spec.job_template.spec.template]),
    ];
    for (const [metadata, template] of found) {
      templates.push({ stack, name: metadata.name, namespace: resolveTemplate(metadata.namespace, stack, stacks), labels: template.metadata.labels, spec: template.spec });
    }
  }
  return templates;
}
