/**
 * After a full `npm run destroy`: the ECK CRDs that the eck-operator chart marks
 * `helm.sh/resource-policy: keep` (Helm never deletes them), deleted with kubectl and the
 * credentials the stacks' providers use (ops/provider-credentials.ts). Never fails the destroy:
 * the summary note says what was removed, or what was not and why, and how to do it by hand.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ECK_CRD_SELECTOR } from '../constructs/elasticsearch/names';

/** A line under the summary table; `command` is shown on its own line (in code in Markdown). */
export interface CleanupNote {
  readonly text: string;
  readonly command?: string;
}

/** One shell word (quoted when it needs to be). */
export const shellQuote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);

/** How kubectl reaches the cluster for the CRD step, as the providers do. */
interface CrdAccess {
  readonly flags: string[];
  /** How a user runs the command themselves (no credential in it). */
  readonly shown: string[];
}

/** The providers' cluster access for kubectl, or why there is none (existing and environment mode). */
async function crdAccess(kubectl: string, tmp: () => string, env: NodeJS.ProcessEnv): Promise<CrdAccess | { why: string; shown: string[] }> {
  const { loadConfig } = await import('../config/load');
  const config = loadConfig();
  if (config.cluster.mode === 'existing') {
    const flags = ['--kubeconfig', config.cluster.kubeconfigPath, '--context', config.cluster.context];
    return { flags, shown: flags };
  }
  const { NO_PROVIDER_KUBE_VARIABLES, providerKubeconfig, shownKubeconfig } = await import('./provider-kubeconfig');
  const shown = ['--kubeconfig', '<your cluster>'];
  const made = providerKubeconfig(env, kubectl, tmp);
  if (!made) {
    return {
      why: `${NO_PROVIDER_KUBE_VARIABLES} (cluster.mode environment: the providers read the cluster from these variables; in Terraform Cloud they are workspace variables, which remote runs see and this shell does not)`,
      shown,
    };
  }
  if ('why' in made) return { why: made.why, shown };
  return { flags: ['--kubeconfig', made.file], shown: ['--kubeconfig', shownKubeconfig(made.variables)] };
}

/** Names of the CRDs in kubectl's output lines (`customresourcedefinition.apiextensions.k8s.io "<name>" deleted`, `-o name`). */
function crdNames(output: string): string[] {
  return [...output.matchAll(/customresourcedefinition(?:\.apiextensions\.k8s\.io)?(?: "|\/)([\w.-]+)"?/g)].map((m) => m[1]);
}

/**
 * Deletes the ECK CRDs with the providers' credentials in every cluster mode (kind: nothing to
 * do, the cluster is gone). `env`: the environment of the destroy (KUBECTL names another kubectl).
 */
export async function removeEckCrds(env: NodeJS.ProcessEnv): Promise<CleanupNote> {
  const kubectl = env.KUBECTL ?? 'kubectl';
  const deleteArgs = ['delete', 'crd', '-l', ECK_CRD_SELECTOR, '--ignore-not-found'];
  const manual = (shown: string[], why: string, left = ''): CleanupNote => ({
    text: `ECK CRDs (kept by Helm) NOT removed: ${why}.${left} Remove them with:`,
    command: [kubectl, ...shown, ...deleteArgs].map(shellQuote).join(' '),
  });
  // Made only when a kubeconfig is written (environment mode); removed at the end, whatever happens.
  let dir: string | undefined;
  const tmp = () => (dir ??= mkdtempSync(join(tmpdir(), 'crd-access-')));
  try {
    let access: CrdAccess;
    try {
      const { loadConfig } = await import('../config/load');
      if (loadConfig().cluster.mode === 'kind') return { text: 'ECK CRDs: nothing to remove, the kind cluster itself was deleted with the cluster stack.' };
      const found = await crdAccess(kubectl, tmp, env);
      if ('why' in found) return manual(found.shown, found.why);
      access = found;
    } catch (err) {
      return manual(['--kubeconfig', '<your cluster>'], (err as Error).message.replace(/:?\s*\n\s*-?\s*/g, ': '));
    }
    const shown = [kubectl, ...access.shown, ...deleteArgs].map(shellQuote).join(' ');
    console.log(`\n== ${shown}`);
    const r = spawnSync(kubectl, [...access.flags, ...deleteArgs], { env, encoding: 'utf8' });
    process.stdout.write(r.stdout ?? '');
    process.stderr.write(r.stderr ?? '');
    if (r.error || r.status !== 0) {
      const said = (r.stderr || r.stdout || '').trim().split('\n').pop();
      const why = r.error ? ((r.error as NodeJS.ErrnoException).code === 'ENOENT' ? `${kubectl} is not installed` : r.error.message) : `${kubectl} exited with ${r.status ?? r.signal}${said ? `: ${said}` : ''}`;
      const removed = crdNames(r.stdout ?? '');
      const list = r.error ? undefined : spawnSync(kubectl, [...access.flags, 'get', 'crd', '-l', ECK_CRD_SELECTOR, '-o', 'name'], { env, encoding: 'utf8' });
      const left = list && list.status === 0 ? crdNames(list.stdout) : undefined;
      return manual(access.shown, why, `${removed.length ? ` Removed: ${removed.join(', ')}.` : ''}${left ? ` Still there: ${left.length ? left.join(', ') : 'none'}.` : ''}`);
    }
    const removed = crdNames(r.stdout);
    return { text: `ECK CRDs (kept by Helm) removed${removed.length ? `: ${removed.join(', ')}` : ' (none was left)'}, with:`, command: shown };
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}
