import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * Idempotency across synths: the same code synthesizes the same Terraform, whichever checkout
 * it runs from, and an unrelated code change (one that shifts CDKTF's token numbering) changes
 * nothing either. Otherwise a second deploy, or a deploy from another clone, plans changes:
 * replaced kind clusters, rolled pods.
 */
const ROOT = join(__dirname, '..');

/** A copy of the tracked files of this repository (node_modules linked), as a second clone is. */
function checkout(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'checkout-')), 'monitoring-stack');
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const file of files) {
    if (file.startsWith('__tests__/') || file.endsWith('package-lock.json')) continue;
    mkdirSync(join(dir, dirname(file)), { recursive: true });
    try {
      cpSync(join(ROOT, file), join(dir, file));
    } catch {
      // deleted in the work tree but still in the index
    }
  }
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

/** `cdktf synth` of a checkout (its app command, run from the checkout), every stack's JSON. */
function synthIn(dir: string): Record<string, any> {
  const env: NodeJS.ProcessEnv = { ...process.env, CDKTF_OUTDIR: join(dir, 'cdktf.out') };
  for (const name of Object.keys(env)) if (name.startsWith('MONITORING_') || name === 'TF_CLOUD_ORGANIZATION') delete env[name];
  execFileSync(process.execPath, ['-r', 'ts-node/register/transpile-only', 'main.ts'], { cwd: dir, env, stdio: 'pipe' });
  const stacks = join(dir, 'cdktf.out', 'stacks');
  return Object.fromEntries(readdirSync(stacks).map((s) => [s, JSON.parse(readFileSync(join(stacks, s, 'cdk.tf.json'), 'utf8'))]));
}

/** Each checkout keeps its own local state file: those paths (backend, remote state) differ by design. */
function withoutStatePaths(stacks: Record<string, any>): Record<string, any> {
  const copy = structuredClone(stacks);
  for (const json of Object.values<any>(copy)) {
    delete json.terraform?.backend;
    for (const remote of Object.values<any>(json.data?.terraform_remote_state ?? {})) if (remote.backend === 'local') delete remote.config.path;
    delete json['//'];
  }
  return copy;
}

describe('synthesis is stable', () => {
  const first = checkout();
  const second = checkout();
  // An unrelated change: tokens created before the stacks shift every token number after them.
  const appFile = join(second, 'stacks', 'app.ts');
  writeFileSync(appFile, `import './unrelated';\n${readFileSync(appFile, 'utf8')}`);
  writeFileSync(join(second, 'stacks', 'unrelated.ts'), "import { Lazy } from 'cdktf';\nfor (let i = 0; i < 7; i++) Lazy.stringValue({ produce: () => 'unrelated' });\n");
  const a = synthIn(first);
  const again = synthIn(first);
  const b = synthIn(second);

  it('synthesizes the same seven stacks (six and Kibana\'s) twice in one checkout', () => {
    expect(Object.keys(a).sort()).toEqual(['cluster', 'elasticsearch', 'jaeger', 'kibana', 'logging', 'otel-collector', 'sample-app']);
    expect(again).toEqual(a);
  });

  it('a second checkout with an unrelated code change synthesizes the same resources, locals and outputs', () => {
    expect(withoutStatePaths(b)).toEqual(withoutStatePaths(a));
    // The state paths are the only difference, and they name each checkout's own state.
    expect(a.logging.terraform.backend.local.path).toBe(join(first, 'terraform.logging.tfstate'));
    expect(b.logging.terraform.backend.local.path).toBe(join(second, 'terraform.logging.tfstate'));
  });
});
