/**
 * A throw-away copy of how a user runs this app — a project directory with cdktf.json and the
 * npm scripts — wired to the offline Terraform world of checks/terraform-offline.ts: the REAL
 * cdktf CLI and the REAL Terraform, with stand-in providers (serving the real schemas) installed
 * from a filesystem mirror, local state in the project directory, no network. The end-to-end
 * test of the stack commands and `npm run bench` run `cdktf deploy '*'`, `npm run deploy` etc. in it.
 */
import { spawnSync, SpawnSyncReturns } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, delimiter, join } from 'node:path';
import { DEFAULT_ENGINE_BINARY, engineBinary } from '../ops/engine';
import type { FoundEngine } from '../ops/terraform-version';
import { OfflineTerraform, stacksOf } from './terraform-offline';

const REPO = join(__dirname, '..');

export interface OfflineProjectOptions {
  /**
   * Log every engine call (`start|end <stack dir> <ns> …`) to `callLog` through a shim on PATH,
   * named as the engine (`terraform`, or the name of TERRAFORM_BINARY_NAME, which then names the shim).
   */
  logCalls?: boolean;
  /** The app's entry file; default main.ts of this repository. */
  main?: string;
  /** Environment of every command in the project (e.g. MONITORING_STACK_CONFIG), synth included. */
  env?: NodeJS.ProcessEnv;
}

export interface TerraformCall {
  readonly event: 'start' | 'end';
  readonly stack: string;
  readonly atNs: bigint;
  /** Terraform's arguments (start) or `<exit code> <subcommand>` (end). */
  readonly args: string[];
}

export class OfflineProject {
  readonly dir: string;
  readonly callLog: string;
  private readonly bin: string;
  private readonly session: OfflineTerraform;
  /** TERRAFORM_BINARY_NAME for the project's commands when the call log wraps a chosen engine. */
  private readonly engineOverride: NodeJS.ProcessEnv = {};
  private readonly projectEnv: NodeJS.ProcessEnv;

  constructor(options: OfflineProjectOptions = {}) {
    this.projectEnv = options.env ?? {};
    this.dir = mkdtempSync(join(tmpdir(), 'offline-project-'));
    this.bin = join(this.dir, '.bin');
    this.callLog = join(this.dir, 'terraform-calls.log');
    mkdirSync(this.bin);
    symlinkSync(join(REPO, 'node_modules'), join(this.dir, 'node_modules'), 'dir');
    // The repository's own cdktf.json app command and npm scripts, pointed at the repository's files.
    const cdktf = JSON.parse(readFileSync(join(REPO, 'cdktf.json'), 'utf8')) as { app: string };
    const main = options.main ?? join(REPO, 'main.ts');
    const absolute = (command: string) => command.replace(/(^|\s)((?:scripts|bench)\/\S+|main\.ts)(?=\s|$)/g, (_, space: string, file: string) => `${space}${file === 'main.ts' ? main : join(REPO, file)}`);
    writeFileSync(join(this.dir, 'cdktf.json'), JSON.stringify({ ...cdktf, app: absolute(cdktf.app) }, null, 2));
    const scripts = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).scripts as Record<string, string>;
    const mine = Object.fromEntries(['synth', 'list', 'deploy', 'diff', 'destroy'].map((s) => [s, absolute(scripts[s])]));
    writeFileSync(join(this.dir, 'package.json'), JSON.stringify({ name: 'offline-project', private: true, scripts: mine }, null, 2));
    // No Docker engine here: the docker provider is a stand-in too, so the preflight's probe answers yes.
    this.tool('docker', 'exit 0');
    if (options.logCalls) {
      const engine = engineBinary();
      const real = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', engine], { encoding: 'utf8' }).stdout.trim();
      if (!real) throw new Error(`${engine} is not on PATH: the offline project runs the real engine (TERRAFORM_BINARY_NAME, else terraform)`);
      const shim = basename(engine);
      if (engine !== DEFAULT_ENGINE_BINARY) this.engineOverride = { TERRAFORM_BINARY_NAME: shim };
      this.tool(shim, `echo "start $(basename "$PWD") $(date +%s%N) $*" >> "${this.callLog}"\n"${real}" "$@"\nrc=$?\necho "end $(basename "$PWD") $(date +%s%N) $rc $1" >> "${this.callLog}"\nexit $rc`);
    }
    this.session = new OfflineTerraform({ computed: 'placeholder' });
  }

  private tool(name: string, body: string): void {
    writeFileSync(join(this.bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(this.bin, name), 0o755);
  }

  /** Environment of every command: offline Terraform (mirror-only CLI config, no proxy), our shims and node_modules/.bin first. */
  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    const base = this.session.terraformEnv();
    return { ...base, PATH: [this.bin, join(this.dir, 'node_modules', '.bin'), base.PATH].join(delimiter), TS_NODE_PROJECT: join(REPO, 'tsconfig.json'), ...this.engineOverride, ...this.projectEnv, ...extra };
  }

  /** Runs a command in the project directory. */
  run(file: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
    return spawnSync(file, args, { cwd: this.dir, env: this.env(extraEnv), encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: 15 * 60_000 });
  }

  /** `cdktf synth` once, then the stand-ins of every provider the stacks pin go into the mirror. */
  prepare(): void {
    const r = this.run(join(this.dir, 'node_modules', '.bin', 'cdktf'), ['synth']);
    if (r.status !== 0) throw new Error(`cdktf synth failed (${r.status ?? r.signal}):\n${r.stdout}${r.stderr}`);
    this.session.mirrorProviders(stacksOf(join(this.dir, 'cdktf.out')));
  }

  /**
   * For stacks synthesized with the Terraform Cloud backend: an override file in each stack's
   * directory (`offline-backend_override.tf.json`; cdktf synth leaves it there) that Terraform
   * merges over the `cloud` block and the `remote` terraform_remote_state sources, pointing them
   * at local state files in the project directory, as the local backend names them. The
   * synthesized JSON (cloud block, workspaces, remote state reads) stays as it is, and everything
   * else runs as with Terraform Cloud (init, the lock step for remote runs, plan, apply, outputs);
   * only the state lives in files. Returns the stacks it mapped.
   */
  mapCloudToLocalState(): string[] {
    const outdir = join(this.dir, 'cdktf.out');
    const stacks = stacksOf(outdir);
    const workspaceOf = new Map<string, string>();
    for (const stack of stacks) {
      const json = JSON.parse(readFileSync(join(stack.dir, 'cdk.tf.json'), 'utf8')) as { terraform?: { cloud?: { workspaces?: { name?: string } } } };
      const workspace = json.terraform?.cloud?.workspaces?.name;
      if (!workspace) throw new Error(`${stack.name}: no terraform.cloud.workspaces.name: synthesize with backend.type cloud first`);
      workspaceOf.set(workspace, stack.name);
    }
    const stateOf = (stack: string) => join(this.dir, `terraform.${stack}.tfstate`);
    for (const stack of stacks) {
      const json = JSON.parse(readFileSync(join(stack.dir, 'cdk.tf.json'), 'utf8')) as { data?: { terraform_remote_state?: Record<string, { backend?: string; config?: { workspaces?: { name?: string } } }> } };
      const reads = Object.fromEntries(
        Object.entries(json.data?.terraform_remote_state ?? {}).map(([name, source]) => {
          const producer = workspaceOf.get(source.config?.workspaces?.name ?? '');
          if (source.backend !== 'remote' || !producer) throw new Error(`${stack.name}: data.terraform_remote_state.${name} does not read a workspace of these stacks`);
          return [name, { backend: 'local', config: { path: stateOf(producer) } }];
        }),
      );
      const override = { terraform: { backend: { local: { path: stateOf(stack.name) } } }, ...(Object.keys(reads).length ? { data: { terraform_remote_state: reads } } : {}) };
      writeFileSync(join(stack.dir, 'offline-backend_override.tf.json'), JSON.stringify(override, null, 2));
    }
    return stacks.map((s) => s.name);
  }

  /** The engine the project's commands run (TERRAFORM_BINARY_NAME, else terraform). */
  engine(): FoundEngine {
    return this.session.engine();
  }

  /** Removes the local state files: the next deploy starts from a fresh state. */
  freshState(): void {
    for (const f of readdirSync(this.dir)) if (/^terraform\..+\.tfstate(\.backup)?$/.test(f)) rmSync(join(this.dir, f));
  }

  /** The managed resources in a stack's local state (none when the file does not exist). */
  resources(stack: string): string[] {
    const file = join(this.dir, `terraform.${stack}.tfstate`);
    if (!existsSync(file)) return [];
    const state = JSON.parse(readFileSync(file, 'utf8')) as { resources?: { mode: string; type: string; name: string }[] };
    return (state.resources ?? []).filter((r) => r.mode === 'managed').map((r) => `${r.type}.${r.name}`);
  }

  /** The engine version that wrote a stack's local state (its `terraform_version`). */
  stateVersion(stack: string): string {
    return (JSON.parse(readFileSync(join(this.dir, `terraform.${stack}.tfstate`), 'utf8')) as { terraform_version: string }).terraform_version;
  }

  /** The Terraform calls logged so far (logCalls), and clears the log. */
  takeCalls(): TerraformCall[] {
    if (!existsSync(this.callLog)) return [];
    const calls = readFileSync(this.callLog, 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [event, stack, at, ...args] = l.split(' ');
        return { event: event as 'start' | 'end', stack, atNs: BigInt(at), args };
      });
    rmSync(this.callLog);
    return calls;
  }

  dispose(): void {
    this.session.dispose();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
