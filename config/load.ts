import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigSchema, MonitoringConfig } from './schema';

/** A configuration problem, worded for the user: it names the field and the fix. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export const CONFIG_FILE_ENV = 'MONITORING_STACK_CONFIG';
export const DEFAULT_CONFIG_FILE = 'monitoring-stack.yaml';

export interface LoadOptions {
  /** Environment to read; defaults to process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** Directory that relative paths are resolved against; defaults to process.cwd(). */
  readonly cwd?: string;
}

/**
 * Reads the config: the YAML/JSON file named by $MONITORING_STACK_CONFIG (or
 * ./monitoring-stack.yaml when present), then the environment overrides listed in
 * ENV_OVERRIDES, then validates the result. Throws ConfigError on any bad value.
 */
export function loadConfig(options: LoadOptions = {}): MonitoringConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const explicit = env[CONFIG_FILE_ENV] || undefined;
  const file = resolve(cwd, explicit ?? DEFAULT_CONFIG_FILE);
  let raw: unknown = {};
  if (existsSync(file)) {
    raw = readConfigFile(file);
  } else if (explicit) {
    throw new ConfigError(`${CONFIG_FILE_ENV}=${explicit}: file not found. Point it at an existing YAML or JSON config file, or unset it to use the defaults.`);
  }
  const merged = applyEnvOverrides(raw, env);
  const config = validateConfig(merged, existsSync(file) ? file : 'defaults');
  if (config.cluster.mode === 'existing') {
    const kubeconfig = resolve(cwd, expandHome(config.cluster.kubeconfigPath, env));
    if (!existsSync(kubeconfig)) {
      throw new ConfigError(`cluster.kubeconfigPath: ${kubeconfig} does not exist. Give the path of the kubeconfig of your existing cluster, or set cluster.mode to "kind".`);
    }
    return { ...config, cluster: { ...config.cluster, kubeconfigPath: kubeconfig } };
  }
  return config;
}

/** Validates an already-parsed object; `source` names where it came from in errors. */
export function validateConfig(raw: unknown, source = 'config'): MonitoringConfig {
  const result = ConfigSchema.safeParse(raw);
  if (result.success) return result.data;
  throw new ConfigError(formatIssues(result.error, source));
}

function formatIssues(error: z.ZodError, source: string): string {
  const lines = error.issues.map((issue) => {
    const field = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
    if (issue.code === 'unrecognized_keys') {
      const where = issue.path.length > 0 ? `${field}: ` : '';
      return `${where}unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}; check the spelling against the configuration reference in docs/configuration.md`;
    }
    return `${field}: ${issue.message}`;
  });
  return `Invalid monitoring-stack configuration (${source}):\n  - ${lines.join('\n  - ')}`;
}

function readConfigFile(file: string): unknown {
  try {
    return parseYaml(readFileSync(file, 'utf8')) ?? {};
  } catch (err) {
    throw new ConfigError(`${file}: not valid YAML/JSON (${(err as Error).message.split('\n')[0]}). Fix the syntax of the config file.`);
  }
}

/**
 * Environment variables that override single config fields (documented in docs/configuration.md). A path
 * may depend on the cluster mode, because each mode names its fields.
 */
export const ENV_OVERRIDES: Record<string, (raw: Record<string, unknown>) => string[]> = {
  MONITORING_PROFILE: () => ['profile'],
  MONITORING_CLUSTER_MODE: () => ['cluster', 'mode'],
  MONITORING_KUBECONFIG: () => ['cluster', 'kubeconfigPath'],
  // existing mode names the context `context`; environment mode `kubeContext`.
  MONITORING_KUBE_CONTEXT: (raw) => ['cluster', clusterMode(raw) === 'environment' ? 'kubeContext' : 'context'],
  MONITORING_SAMPLE_APP_IMAGE: () => ['sampleApp', 'image'],
  MONITORING_BACKEND: () => ['backend', 'type'],
};

/** Terraform's own variable: fills in the organization of a cloud backend, never selects one. */
const TF_CLOUD_ORGANIZATION = 'TF_CLOUD_ORGANIZATION';

function clusterMode(raw: Record<string, unknown>): unknown {
  const cluster = raw.cluster as Record<string, unknown> | undefined;
  return cluster?.mode ?? 'kind';
}

function applyEnvOverrides(raw: unknown, env: NodeJS.ProcessEnv): unknown {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError('config file: the top level must be a mapping (key: value), not a list or a scalar.');
  }
  const result = structuredClone(raw) as Record<string, unknown>;
  for (const [name, pathOf] of Object.entries(ENV_OVERRIDES)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    setPath(result, pathOf(result), value);
  }
  const organization = env[TF_CLOUD_ORGANIZATION];
  const backend = result.backend as Record<string, unknown> | undefined;
  if (organization && backend?.type === 'cloud' && backend.organization === undefined) backend.organization = organization;
  return result;
}

function setPath(root: Record<string, unknown>, path: string[], value: string): void {
  let node = root;
  for (const key of path.slice(0, -1)) {
    node[key] = typeof node[key] === 'object' && node[key] !== null ? node[key] : {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]] = value;
}

function expandHome(path: string, env: NodeJS.ProcessEnv): string {
  return path.startsWith('~/') && env.HOME ? `${env.HOME}${path.slice(1)}` : path;
}
