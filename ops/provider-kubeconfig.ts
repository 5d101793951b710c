/**
 * A kubeconfig file for kubectl made of the KUBE_* variables the stacks' providers read
 * (ops/provider-credentials.ts), so that the operator tools reach the cluster Terraform reached:
 * `npm run destroy` (the ECK CRDs), `npm run open` and `npm run verify` in environment mode.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { KubeconfigDoc, kubeconfigWithOverrides, PROVIDER_KUBE_VARIABLES, providerKubeEnv, selectorFlags } from './provider-credentials';

export type ProviderKubeconfig =
  /** `file` (0600, in the caller's directory) and the variables it was made of (names only: shown to users). */
  | { readonly file: string; readonly variables: string[] }
  /** The variables are set but give no usable cluster. */
  | { readonly why: string };

/**
 * Writes `kubeconfig` in the directory `dir()` gives (called only then) from the KUBE_* variables in `env`: undefined when none of them
 * names a cluster (no KUBE_HOST, KUBE_CONFIG_PATH or KUBE_CONFIG_PATHS). A kubeconfig the variables
 * point at is read by `kubectl config view` (kubectl merges and selects as client-go does for the
 * providers), then the other variables are applied over it.
 */
export function providerKubeconfig(env: NodeJS.ProcessEnv, kubectl: string, dir: () => string): ProviderKubeconfig | undefined {
  const kube = providerKubeEnv(env);
  if (!kube) return undefined;
  let base: KubeconfigDoc | undefined;
  if (kube.configPaths.length) {
    const view = spawnSync(kubectl, ['config', 'view', '--minify', '--flatten', '--raw', '-o', 'json', ...selectorFlags(kube)], { env: { ...env, KUBECONFIG: kube.configPaths.join(delimiter) }, encoding: 'utf8' });
    if (view.error || view.status !== 0) {
      const why = (view.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT' ? `${kubectl} is not installed` : (view.error?.message ?? (view.stderr || view.stdout).trim().split('\n')[0]);
      return { why: `${kubectl} could not read ${kube.configPaths.join(', ')} (KUBE_CONFIG_PATH/KUBE_CONFIG_PATHS): ${why}` };
    }
    base = JSON.parse(view.stdout) as KubeconfigDoc;
  }
  const file = join(dir(), 'kubeconfig');
  writeFileSync(file, kubeconfigWithOverrides(base, kube.overrides), { mode: 0o600 });
  return { file, variables: PROVIDER_KUBE_VARIABLES.filter((v) => env[v]) };
}

/** Why no kubeconfig was made of the shell (the start of the operator tools' messages). */
export const NO_PROVIDER_KUBE_VARIABLES = 'no KUBE_HOST, KUBE_CONFIG_PATH or KUBE_CONFIG_PATHS in this shell';

/** What a user is shown in place of the file (its content is credentials). */
export const shownKubeconfig = (variables: string[]) => `<a kubeconfig made of ${variables.join(', ')}>`;
