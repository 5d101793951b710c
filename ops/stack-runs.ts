/**
 * How `npm run deploy|diff|destroy` (scripts/run-stacks.ts) drives Terraform on the stacks that
 * `cdktf synth` wrote: the cdktf options it understands (translated to Terraform's), when a
 * stack's working directory needs `terraform init`, and the scheduler that runs the stacks in
 * dependency order with independent stacks side by side. No imports of stacks/ or constructs/.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export type StackCommand = 'deploy' | 'diff' | 'destroy';

/** What the cdktf options after `--` mean for the Terraform runs. */
export interface RunOptions {
  /** Extra arguments of every `terraform apply` / `plan`. */
  readonly terraformArgs: readonly string[];
  /** Extra arguments of `terraform init`. */
  readonly initArgs: readonly string[];
  /** Run `terraform init` even in an initialized directory (--migrate-state). */
  readonly forceInit: boolean;
  /** Stacks run at once (cdktf's --parallelism); Infinity: as many as the dependencies allow. */
  readonly parallelism: number;
  /** Use the stacks already in cdktf.out (cdktf's --skip-synth). */
  readonly skipSynth: boolean;
}

/** The cdktf options `npm run deploy|diff|destroy -- -- <options>` understands. */
export const SUPPORTED_OPTIONS = [
  '--terraform-parallelism <n>',
  '--parallelism <n>',
  '--var <name=value>',
  '--var-file <file>',
  '--refresh-only',
  '--no-color',
  '--migrate-state',
  '--skip-synth',
  '--auto-approve',
  '--skip-provider-lock',
  '--ignore-missing-stack-dependencies',
] as const;

/**
 * Translates cdktf's deploy/diff/destroy options to what Terraform is given. Throws on an
 * option it does not know (the message lists the ones it does), never silently drops one.
 */
export function translateCdktfOptions(command: StackCommand, args: readonly string[]): RunOptions {
  const terraformArgs: string[] = [];
  const initArgs: string[] = [];
  let forceInit = false;
  let parallelism = Infinity;
  let skipSynth = false;
  const unsupported = (why: string) =>
    new Error(`${why}. After -- npm run ${command} takes these cdktf options (it runs Terraform itself): ${SUPPORTED_OPTIONS.join(', ')}`);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const value = () => {
      const v = eq > 0 && arg.startsWith('--') ? arg.slice(eq + 1) : args[++i];
      if (v === undefined || v === '') throw unsupported(`${name} needs a value`);
      return v;
    };
    const count = () => {
      const v = value();
      if (!/^-?\d+$/.test(v)) throw unsupported(`${name} takes a number, got "${v}"`);
      return Number(v);
    };
    switch (name) {
      case '--terraform-parallelism': {
        const n = count();
        if (n >= 0) terraformArgs.push(`-parallelism=${n}`);
        break;
      }
      case '--parallelism': {
        const n = count();
        parallelism = n > 0 ? n : Infinity;
        break;
      }
      case '--var':
        terraformArgs.push(`-var=${value()}`);
        break;
      case '--var-file':
        terraformArgs.push(`-var-file=${value()}`);
        break;
      case '--refresh-only':
        if (command === 'destroy') throw unsupported('--refresh-only works with deploy and diff only');
        terraformArgs.push('-refresh-only');
        break;
      case '--no-color':
        terraformArgs.push('-no-color');
        initArgs.push('-no-color');
        break;
      case '--migrate-state':
        initArgs.push('-migrate-state', '-force-copy');
        forceInit = true;
        break;
      case '--skip-synth':
        skipSynth = true;
        break;
      case '--auto-approve': // deploy and destroy always approve, as before
      case '--skip-provider-lock': // never run: Terraform's own init writes the lock file
      case '--ignore-missing-stack-dependencies': // the named stacks run without their dependencies anyway
        break;
      default:
        throw unsupported(`unsupported cdktf option ${arg}`);
    }
  }
  return { terraformArgs, initArgs, forceInit, parallelism, skipSynth };
}

/** The Terraform command line (without init) that runs `command` on one stack. */
export function terraformArgsFor(command: StackCommand, options: Pick<RunOptions, 'terraformArgs'>): string[] {
  const base = { deploy: ['apply', '-auto-approve'], destroy: ['apply', '-destroy', '-auto-approve'], diff: ['plan'] }[command];
  return [...base, '-input=false', ...options.terraformArgs];
}

// ---------------------------------------------------------------------------------------------
// Is the working directory initialized for this configuration?

/** Marker that `terraform init` succeeded for a configuration; kept inside the stack's .terraform. */
const INIT_MARKER = join('.terraform', 'monitoring-stack-init.sha256');
const LOCK_FILE = '.terraform.lock.hcl';

interface InitInputs {
  readonly terraform?: { required_providers?: unknown; backend?: unknown; cloud?: unknown };
  readonly module?: Record<string, { source?: unknown; version?: unknown }>;
}

/**
 * What `terraform init` depends on in a stack's cdk.tf.json, plus the lock file it left:
 * providers and versions, backend or cloud block, module sources. Anything else (resources,
 * outputs, remote state reads) can change without a new init.
 */
export function initFingerprint(stackDir: string): string {
  const json = JSON.parse(readFileSync(join(stackDir, 'cdk.tf.json'), 'utf8')) as InitInputs;
  const modules = Object.entries(json.module ?? {}).map(([name, m]) => [name, m.source, m.version]);
  const lock = existsSync(join(stackDir, LOCK_FILE)) ? readFileSync(join(stackDir, LOCK_FILE), 'utf8') : '';
  const inputs = { providers: json.terraform?.required_providers ?? {}, backend: json.terraform?.backend ?? null, cloud: json.terraform?.cloud ?? null, modules, lock };
  return createHash('sha256').update(JSON.stringify(inputs)).digest('hex');
}

/** True unless our last `terraform init` here was for the same providers, backend, modules and lock file. */
export function needsInit(stackDir: string): boolean {
  const marker = join(stackDir, INIT_MARKER);
  if (!existsSync(marker) || !existsSync(join(stackDir, LOCK_FILE))) return true;
  return readFileSync(marker, 'utf8').trim() !== initFingerprint(stackDir);
}

/**
 * Whether the stack's runs happen in HCP Terraform / Terraform Enterprise (a `cloud` block or the
 * `remote` backend): there cdktf adds `terraform providers lock -platform=linux_amd64` after init,
 * so that the remote (Linux) run accepts the lock file written on any platform; we do the same.
 */
export function runsRemotely(stackDir: string): boolean {
  const json = JSON.parse(readFileSync(join(stackDir, 'cdk.tf.json'), 'utf8')) as InitInputs & { terraform?: { backend?: Record<string, unknown> } };
  return Boolean(json.terraform?.cloud || json.terraform?.backend?.remote);
}

/**
 * The state file of a stack run with the local backend (cdktf writes `backend.local.path`; without
 * a backend or cloud block Terraform keeps `terraform.tfstate` in the directory), resolved against
 * the stack's directory; undefined when its state lives elsewhere (Terraform Cloud, a remote backend).
 */
export function localStateFile(stackDir: string): string | undefined {
  const json = JSON.parse(readFileSync(join(stackDir, 'cdk.tf.json'), 'utf8')) as { terraform?: { cloud?: unknown; backend?: Record<string, { path?: unknown }> } };
  const backend = json.terraform?.backend ?? {};
  if (json.terraform?.cloud || Object.keys(backend).some((b) => b !== 'local')) return undefined;
  const path = backend.local?.path;
  return resolve(stackDir, typeof path === 'string' ? path : 'terraform.tfstate');
}

/** Records a successful `terraform init` (call after it, so the lock file it wrote is included). */
export function markInitialized(stackDir: string): void {
  writeFileSync(join(stackDir, INIT_MARKER), `${initFingerprint(stackDir)}\n`);
}

/** Terraform's and OpenTofu's messages for a working directory that needs `terraform init` / `tofu init` first. */
const INIT_REQUIRED = /Backend initialization required|Inconsistent dependency lock file|Required plugins are not installed|Module not installed|[Pp]lease run "(?:terraform|tofu) init"/;

/** Whether a failed plan/apply asked for `terraform init` (then init runs and the command once more). */
export function asksForInit(output: string): boolean {
  return INIT_REQUIRED.test(output);
}

// ---------------------------------------------------------------------------------------------
// Scheduling

export type Outcome = 'ok' | 'failed' | 'not run';

export interface ScheduleOptions {
  /** Stacks at most running at once. */
  readonly parallelism: number;
  /** After a failure start no further stack (the running ones finish). */
  readonly stopOnFailure: boolean;
  /** Checked before each start: true = start nothing more (e.g. after Ctrl-C). */
  readonly stopped?: () => boolean;
}

/**
 * Runs `run` once per stack of `order`. A stack starts when every stack it waits for
 * (`waitsFor`, among those in `order`) ended ok, at most `parallelism` at a time; ready stacks
 * start in `order`'s order. A stack whose wait failed or was not run is not run; with
 * `stopOnFailure`, nothing starts after the first failure. Resolves when nothing runs any more.
 */
export async function runScheduled(
  order: readonly string[],
  waitsFor: (stack: string) => readonly string[],
  options: ScheduleOptions,
  run: (stack: string) => Promise<boolean>,
): Promise<Map<string, Outcome>> {
  const outcome = new Map<string, Outcome>();
  const running = new Map<string, Promise<void>>();
  const pending = [...order];
  let failed = false;
  const waits = new Map(order.map((s) => [s, waitsFor(s).filter((w) => order.includes(w) && w !== s)]));
  for (;;) {
    // Drop stacks that can never run: a wait failed or was not run (or everything stops).
    for (const s of [...pending]) {
      if ((failed && options.stopOnFailure) || options.stopped?.() || waits.get(s)!.some((w) => outcome.get(w) === 'failed' || outcome.get(w) === 'not run')) {
        pending.splice(pending.indexOf(s), 1);
        outcome.set(s, 'not run');
      }
    }
    const ready = pending.filter((s) => waits.get(s)!.every((w) => outcome.get(w) === 'ok'));
    for (const s of ready.slice(0, Math.max(0, options.parallelism - running.size))) {
      pending.splice(pending.indexOf(s), 1);
      running.set(
        s,
        run(s).then(
          (ok) => {
            outcome.set(s, ok ? 'ok' : 'failed');
            failed ||= !ok;
            running.delete(s);
          },
          () => {
            outcome.set(s, 'failed');
            failed = true;
            running.delete(s);
          },
        ),
      );
    }
    if (!running.size) break;
    await Promise.race(running.values());
  }
  for (const s of pending) outcome.set(s, 'not run'); // a dependency cycle: dependencyOrder() rejects it first
  return outcome;
}
