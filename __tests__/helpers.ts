import { Testing, TerraformStack } from 'cdktf';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { validateConfig } from '../config/load';
import type { MonitoringConfig } from '../config/schema';
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

export type TfJson = {
  resource?: Record<string, Record<string, any>>;
  data?: Record<string, Record<string, any>>;
  output?: Record<string, any>;
  provider?: Record<string, any[]>;
  terraform?: any;
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

/** Helm values of the single release of `chart` in a stack, parsed from the YAML. */
export function helmValues(json: TfJson, chart: string): any {
  const release = resourcesOf(json, 'helm_release').find((r) => r.chart === chart);
  if (!release) throw new Error(`no helm_release of chart ${chart}`);
  return parse(release.values[0]);
}

/** A file of the team's shared/ folder (beside the checkout locally and in CI). */
export function sharedFile(...parts: string[]): string {
  const candidates = [process.env.SHARED_DIR, join(__dirname, '..', '..', 'shared'), '/work/shared'].filter((d): d is string => !!d);
  for (const dir of candidates) {
    try {
      return readFileSync(join(dir, ...parts), 'utf8');
    } catch {
      // try the next location
    }
  }
  throw new Error(`shared/${parts.join('/')} not found in ${candidates.join(', ')}`);
}
