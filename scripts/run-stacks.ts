/**
 * npm run synth|list|diff|deploy|destroy: one `cdktf synth`, then Terraform itself on the
 * synthesized stacks (cdktf.out/stacks/<stack>), in the order of the app's cross-stack
 * dependencies (read from cdktf.out/manifest.json), independent stacks side by side, and one
 * summary table. What runs per stack is what cdktf runs, without a cdktf CLI start per stack and
 * without re-running `terraform init` in a directory already initialized for the same providers,
 * backend and lock file (cdktf runs it for every stack on every deploy).
 *
 *   synth    cdktf synth, then print the stacks in dependency order
 *   list     cdktf synth (its output on stderr), then the stacks in dependency order on stdout, one a line
 *   deploy   terraform apply -auto-approve per stack, each after the stacks it reads from;
 *            stops at the first failure (stacks already running finish, no new one starts);
 *            refuses to start while a review-only override is left in a stack directory, or when
 *            a stack reads from a producer that is neither deployed nor in the run
 *   diff     terraform plan of every stack at once (read-only), printed in dependency order;
 *            goes on after an error; on any state: a producer without (some of) the outputs a
 *            stack reads is pending, and that stack is planned with those inputs unknown
 *            (ops/pending-inputs.ts: a review-only override, removed when its plan ends)
 *   destroy  terraform apply -destroy -auto-approve per stack, each after the stacks that read
 *            from it; stops at the first failure; after destroying ALL stacks, deletes the ECK
 *            CRDs that Helm keeps with the providers' credentials (existing: kubeconfig and
 *            context; environment: the KUBE_* variables, ops/provider-credentials.ts; kind: the
 *            cluster is gone)
 * (`terraform init` first where the directory needs it, plus `terraform providers lock
 * -platform=linux_amd64` for stacks run in HCP Terraform, as cdktf does; output lines carry the
 * stack's name.)
 *
 * Arguments: stack names select stacks (still run in dependency order; their dependencies are
 * not added); `--summary-file <path>` also writes the summary as Markdown (diff/deploy/destroy;
 * also written when the run stops before any stack, saying why); everything after `--` is a
 * cdktf option (ops/stack-runs.ts translates it for Terraform, e.g. `-- --terraform-parallelism 5`;
 * for synth it goes to `cdktf synth`). `cdktf` is run from PATH (npm run puts node_modules/.bin
 * first); the engine is `terraform`, or the binary named by TERRAFORM_BINARY_NAME (e.g. `tofu`
 * for OpenTofu) as cdktf itself reads it (ops/engine.ts), for every call: the preflight's
 * `version -json`, init, providers lock, plan and apply. Exit: 0 ok, 1 failure (a tool missing, synth failed, a stack
 * failed), 2 usage (unknown command, option or stack name).
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import { parse } from 'yaml';
import {
  cdktfOutdir,
  dependencyOrder,
  destroyOrder,
  firstErrorLine,
  formatSummaryMarkdown,
  formatSummaryText,
  ManifestStack,
  parsePlanSummary,
  readManifest,
  selectStacks,
  StackResult,
} from '../ops/stack-order';
import { engineBinary } from '../ops/engine';
import { checkEngine, describeEngine } from '../ops/terraform-version';
import { CleanupNote, removeEckCrds, shellQuote as quote } from '../ops/eck-crds';
import { describePending, leftoverReviewOverrides, parseOutputNames, PendingInput, pendingInputs, ProducerOutputs, producersIn, remoteInputs, setReviewOverride } from '../ops/pending-inputs';
import { asksForInit, localStateFile, markInitialized, needsInit, RunOptions, runScheduled, runsRemotely, StackCommand, terraformArgsFor, translateCdktfOptions } from '../ops/stack-runs';

type Command = 'synth' | 'list' | StackCommand;
const COMMANDS: readonly Command[] = ['synth', 'list', 'diff', 'deploy', 'destroy'];
const USAGE = 'usage: run-stacks.ts synth|list|diff|deploy|destroy [stack …] [--summary-file <path>] [-- <cdktf option> …]';

interface Args {
  readonly command: Command;
  readonly stacks: string[];
  readonly summaryFile?: string;
  readonly passthrough: string[];
}

class UsageError extends Error {}

function parseArgs(argv: string[]): Args {
  const command = argv[0] as Command;
  if (!COMMANDS.includes(command)) throw new UsageError(USAGE);
  const stacks: string[] = [];
  let summaryFile: string | undefined;
  let passthrough: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      passthrough = argv.slice(i + 1);
      break;
    } else if (arg === '--summary-file' || arg.startsWith('--summary-file=')) {
      summaryFile = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i];
      if (!summaryFile) throw new UsageError(`--summary-file needs a path\n${USAGE}`);
    } else if (arg.startsWith('-')) {
      throw new UsageError(`unknown option ${arg}: put cdktf options after --\n${USAGE}`);
    } else {
      stacks.push(arg);
    }
  }
  return { command, stacks, summaryFile, passthrough };
}

/** kind mode (the default) runs the cluster and its registry in Docker; other modes do not. */
function clusterMode(): string {
  if (process.env.MONITORING_CLUSTER_MODE) return process.env.MONITORING_CLUSTER_MODE;
  const file = process.env.MONITORING_STACK_CONFIG ?? 'monitoring-stack.yaml';
  if (!existsSync(file)) return 'kind';
  try {
    return parse(readFileSync(file, 'utf8'))?.cluster?.mode ?? 'kind';
  } catch {
    return 'kind'; // synth reports the bad file with the field that is wrong
  }
}

const HELP: Record<string, string> = {
  docker: 'Docker is required in kind mode (kind nodes and the local registry run as containers): https://docs.docker.com/get-docker/ (cluster.mode existing or environment needs no Docker)',
};

const env = { ...process.env, CHECKPOINT_DISABLE: '1' };
/** The engine every stack command runs (TERRAFORM_BINARY_NAME, else terraform), and its name in headers. */
const engine = engineBinary();
const engineName = basename(engine);

/**
 * Checks the tools `command` needs; returns the message of the first one missing. The engine:
 * one `<engine> version -json` (as cheap as the plain `version` it replaces), naming the engine
 * (Terraform or OpenTofu) and version it found, against the stacks' required_version.
 */
function preflight(command: Command): string | undefined {
  const needs = { synth: [], list: [], diff: ['engine'], deploy: ['engine', 'docker'], destroy: ['engine', 'docker'] }[command];
  for (const tool of needs) {
    if (tool === 'engine') {
      const checked = checkEngine(command, spawnSync(engine, ['version', '-json'], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }), engine);
      if (checked.problem !== undefined) return checked.problem;
      console.log(`engine: ${describeEngine(checked.found, engine)}`);
      continue;
    }
    if (tool === 'docker' && clusterMode() !== 'kind') continue;
    const probe = spawnSync(tool, ['info', '--format', '{{.ServerVersion}}'], { stdio: 'ignore', env });
    if (probe.error || probe.status !== 0) return `cannot ${command}: ${tool} is not installed or not running. ${HELP[tool]}`;
  }
  return undefined;
}

interface Run {
  /** Exit code; null when the process could not be started or was killed. */
  readonly code: number | null;
  readonly signal?: NodeJS.Signals | null;
  readonly spawnError?: Error;
  /** stdout and stderr, as they came. */
  readonly output: string;
  /** stdout alone (machine-readable answers such as `output -json`). */
  readonly stdout?: string;
  readonly durationMs: number;
}

type Sink = (text: string, stream: 'stdout' | 'stderr') => void;

/** Runs `file args` in `cwd`, handing its output to `sink` as it comes and collecting it. */
function run(file: string, args: string[], cwd: string, sink: Sink): Promise<Run> {
  const started = Date.now();
  return new Promise((done) => {
    let output = '';
    let stdout = '';
    let child: ChildProcess;
    try {
      child = spawn(file, args, { cwd, env, stdio: ['inherit', 'pipe', 'pipe'] });
    } catch (err) {
      done({ code: null, spawnError: err as Error, output, durationMs: 0 });
      return;
    }
    let spawnError: Error | undefined;
    let settled = false;
    const finish = (r: Run) => {
      if (!settled) done(r);
      settled = true;
    };
    for (const stream of ['stdout', 'stderr'] as const) {
      child[stream]!.on('data', (d: Buffer) => {
        const text = d.toString();
        output += text;
        if (stream === 'stdout') stdout += text;
        sink(text, stream);
      });
    }
    child.on('error', (err) => {
      spawnError = err;
      if (child.pid === undefined) finish({ code: null, spawnError, output, durationMs: Date.now() - started });
    });
    child.on('close', (code, signal) => finish({ code, signal, spawnError, output, stdout, durationMs: Date.now() - started }));
  });
}

/** Output straight through (stdout to `stdoutTo`). */
const passThrough =
  (stdoutTo: NodeJS.WriteStream = process.stdout): Sink =>
  (text, stream) =>
    (stream === 'stdout' ? stdoutTo : process.stderr).write(text);

/** A stack's output, line by line, each line behind the stack's name (stacks run side by side). */
function prefixed(prefix: string): Sink {
  const partial = { stdout: '', stderr: '' };
  return (text, stream) => {
    const lines = (partial[stream] + text).split('\n');
    partial[stream] = lines.pop()!;
    if (lines.length) (stream === 'stdout' ? process.stdout : process.stderr).write(lines.map((l) => `${prefix}${l.replace(/\r$/, '')}\n`).join(''));
  };
}

function cannotStart(command: Command, tool: string, r: Run): string {
  const missing = (r.spawnError as NodeJS.ErrnoException).code === 'ENOENT';
  if (!missing) return `cannot ${command}: ${tool} could not be started: ${r.spawnError!.message}`;
  return tool === 'cdktf'
    ? `cannot ${command}: cdktf is not on PATH. Run it through npm (npm run ${command}), which puts node_modules/.bin first, after npm ci.`
    : `cannot ${command}: ${tool} is not on PATH. ${HELP[tool] ?? ''}`.trimEnd();
}

function failureOf(r: Run, stack: string): string {
  if (r.spawnError) return r.spawnError.message;
  const how = r.signal ? `killed by ${r.signal}` : `exit ${r.code}`;
  const first = firstErrorLine(r.output, stack);
  return first ? `${first} (${how})` : how;
}

/** A line under the summary table; `command` is shown on its own line (in code in Markdown). */
interface Note extends CleanupNote {
  /** Printed on stderr (the run failed). */
  readonly error?: boolean;
}

/** A stack directory made ready for the engine: `failed` when its `init` (or lock step) failed. */
interface Prepared {
  readonly failed?: Run;
  /** What init printed (empty when the directory was initialized already). */
  readonly output: string;
  /** Whether init ran in this process (a command asking for init again then does not retry it). */
  readonly initialized: boolean;
}

/** `<engine> -no-color` unless the terminal shows colours or the user asked for none already. */
function colorArgs(options: RunOptions): string[] {
  return process.stdout.isTTY || options.terraformArgs.includes('-no-color') ? [] : ['-no-color'];
}

/** `<engine> init` (plus the lock step for HCP Terraform) in `dir`. */
async function initStack(dir: string, options: RunOptions, sink: Sink): Promise<Prepared> {
  const color = colorArgs(options);
  const r = await run(engine, ['init', '-input=false', ...color, ...options.initArgs], dir, sink);
  if (r.code !== 0) return { failed: r, output: r.output, initialized: true };
  let output = r.output;
  if (runsRemotely(dir)) {
    const lock = await run(engine, ['providers', 'lock', '-platform=linux_amd64', ...color], dir, sink);
    output += lock.output;
    if (lock.code !== 0) return { failed: { ...lock, output }, output, initialized: true };
  }
  markInitialized(dir);
  return { output, initialized: true };
}

/** `<engine> init` where the directory needs it (or --migrate-state asks for it). */
async function prepareStack(dir: string, options: RunOptions, sink: Sink): Promise<Prepared> {
  return options.forceInit || needsInit(dir) ? initStack(dir, options, sink) : { output: '', initialized: false };
}

/**
 * One stack: `prepared` (its init, shared with whoever else needed the directory ready), then the
 * command's plan/apply. If the engine still asks for init (a directory changed behind our back),
 * init and run once more.
 */
async function runStack(command: StackCommand, dir: string, options: RunOptions, sink: Sink, prepared: () => Promise<Prepared>): Promise<Run> {
  const started = Date.now();
  const ready = await prepared();
  let output = ready.output;
  if (ready.failed) return { ...ready.failed, output, durationMs: Date.now() - started };
  const args = [...terraformArgsFor(command, options), ...colorArgs(options)];
  let r = await run(engine, args, dir, sink);
  if (r.code !== 0 && !r.spawnError && !ready.initialized && asksForInit(r.output)) {
    output += r.output;
    const again = await initStack(dir, options, sink);
    output += again.output;
    if (again.failed) return { ...again.failed, output, durationMs: Date.now() - started };
    r = await run(engine, args, dir, sink);
  }
  return { ...r, output: output + r.output, durationMs: Date.now() - started };
}

/**
 * The outputs in a stack's current state, as `<engine> output -json` reads them from its backend
 * (local file, Terraform Cloud workspace): what `terraform_remote_state` would give its readers.
 * A local state file that does not exist means no state, without starting the engine.
 */
async function stateOutputs(stack: string, dir: string, prepared: () => Promise<Prepared>): Promise<ProducerOutputs> {
  const local = localStateFile(dir);
  if (local !== undefined && !existsSync(local)) return { names: new Set() };
  const ready = await prepared();
  if (ready.failed) return { error: `${engineName} init failed there: ${failureOf(ready.failed, stack)}` };
  const r = await run(engine, ['output', '-json'], dir, () => undefined);
  if (r.code !== 0 || r.spawnError) return { error: `${engineName} output failed there: ${failureOf(r, stack)}` };
  try {
    return { names: parseOutputNames(r.stdout ?? '') };
  } catch (err) {
    return { error: `${engineName} output -json: ${(err as Error).message}` };
  }
}

/** One promise per key: the first caller starts it, later callers share it. */
function once<T>(make: (key: string) => Promise<T>): (key: string) => Promise<T> {
  const started = new Map<string, Promise<T>>();
  return (key) => {
    if (!started.has(key)) started.set(key, make(key));
    return started.get(key)!;
  };
}

async function main(argv: string[]): Promise<number> {
  let args: Args;
  let options: RunOptions | undefined;
  try {
    args = parseArgs(argv);
    if (args.command !== 'synth' && args.command !== 'list') options = translateCdktfOptions(args.command, args.passthrough);
  } catch (err) {
    console.error((err as Error).message);
    return 2;
  }
  const { command } = args;
  /** Stops before any stack ran; the summary file (if asked for) says why, for the PR comment. */
  const stop = (message: string, code: number) => {
    console.error(message);
    if (args.summaryFile) writeFileSync(resolve(args.summaryFile), `### cdktf ${command}\n\n${message}\n`);
    return code;
  };
  const problem = preflight(command);
  if (problem) return stop(problem, 1);

  // One synth for all stacks (unless -- --skip-synth: the stacks already in cdktf.out).
  if (!options?.skipSynth) {
    const synth = await run('cdktf', ['synth', ...(command === 'synth' ? args.passthrough : [])], process.cwd(), passThrough(command === 'list' ? process.stderr : process.stdout));
    if (synth.spawnError) return stop(cannotStart(command, 'cdktf', synth), 1);
    if (synth.code !== 0) return stop(`cannot ${command}: cdktf synth failed (${synth.signal ? `killed by ${synth.signal}` : `exit ${synth.code}`}); see its output above`, 1);
  }
  const outdir = cdktfOutdir(process.cwd());
  let manifest: ManifestStack[];
  let order: string[];
  try {
    manifest = readManifest(outdir);
    order = command === 'destroy' ? destroyOrder(manifest) : dependencyOrder(manifest);
  } catch (err) {
    return stop(`cannot ${command}: ${(err as Error).message}`, 1);
  }
  let stacks: string[];
  try {
    stacks = selectStacks(order, args.stacks);
  } catch (err) {
    return stop(`cannot ${command}: ${(err as Error).message}`, 2);
  }

  if (command === 'list') {
    for (const s of stacks) console.log(s);
    return 0;
  }
  if (command === 'synth') {
    console.log(`stacks in dependency order: ${stacks.join(' → ')}`);
    return 0;
  }

  const byName = new Map(manifest.map((s) => [s.name, s]));
  const dirOf = (stack: string) => join(outdir, byName.get(stack)!.workingDirectory);
  const cwd = process.cwd();

  // A review-only override left by an interrupted diff would defer real inputs: never apply with one.
  if (command !== 'diff') {
    const left = leftoverReviewOverrides(stacks.map(dirOf));
    if (left.length) {
      const files = left.map((f) => relative(cwd, f));
      const producers = [...new Set(left.flatMap(producersIn))];
      return stop(
        `cannot ${command}: ${files.join(', ')} ${left.length > 1 ? 'are review-only files' : 'is a review-only file'} left by an interrupted npm run diff (${producers.length ? `it makes the outputs of ${producers.join(', ')} unknown` : 'it defers cross-stack inputs'}); nothing was applied. Delete and run again: rm ${files.map(quote).join(' ')}`,
        1,
      );
    }
  }

  // Each stack's output: buffered per stack for diff (printed whole, in order), else streamed behind its name.
  const width = Math.max(...stacks.map((s) => s.length));
  const buffered = new Map<string, [string, 'stdout' | 'stderr'][]>();
  const sinkOf = (stack: string): Sink => {
    if (command !== 'diff') return prefixed(`${stack.padEnd(width)}  `);
    if (!buffered.has(stack)) buffered.set(stack, []);
    const chunks = buffered.get(stack)!;
    return (text, stream) => chunks.push([text, stream]);
  };
  // A directory is made ready once, by whoever needs it first: its own run, or a reader of its outputs.
  const prepared = once((stack) => prepareStack(dirOf(stack), options!, sinkOf(stack)));
  const outputsOf = once((stack) => stateOutputs(stack, dirOf(stack), () => prepared(stack)));
  /** The producers of `stack` (those `among`) whose state lacks an output it reads, and producers that could not be read. */
  const pendingOf = async (stack: string, among: (producer: string) => boolean = () => true): Promise<{ pending: PendingInput[]; unread: string[] }> => {
    const inputs = remoteInputs(readFileSync(join(dirOf(stack), 'cdk.tf.json'), 'utf8'));
    const producers = [...inputs.keys()].filter((p) => byName.has(p) && among(p));
    const read = new Map(await Promise.all(producers.map(async (p) => [p, await outputsOf(p)] as const)));
    const unread = [...read].flatMap(([p, o]) => ('error' in o ? [`could not read the outputs of ${p} (${o.error}); planned as it is`] : []));
    return { pending: pendingInputs(new Map([...inputs].filter(([p]) => read.has(p))), (p) => read.get(p)!), unread };
  };

  // deploy of a subset: a stack whose producer is not in this run must find that producer's outputs.
  if (command === 'deploy') {
    const outside = await Promise.all(stacks.map(async (stack) => ({ stack, ...(await pendingOf(stack, (p) => !stacks.includes(p))) })));
    const blocked = outside.flatMap(({ stack, pending }) => pending.map((p) => ({ stack, p })));
    if (blocked.length) {
      const first = blocked[0];
      const needed = dependencyOrder(manifest).filter((s) => stacks.includes(s) || blocked.some((b) => b.p.producer === s));
      return stop(
        `cannot deploy: ${blocked.map(({ stack, p }) => `${stack} reads the outputs of ${describePending(p)}`).join('; ')}. Nothing was applied. Deploy ${first.p.producer} first, or with it: npm run deploy -- ${needed.join(' ')}`,
        1,
      );
    }
  }

  // Transitive: with a subset selected, a stack still waits for a selected stack it reads from
  // through one that is not selected (sample-app → otel-collector → elasticsearch).
  const upstream = (name: string, seen = new Set<string>()): Set<string> => {
    for (const d of byName.get(name)!.dependencies) if (!seen.has(d)) upstream(d, seen.add(d));
    return seen;
  };
  const waitsFor = {
    deploy: (s: string) => [...upstream(s)],
    destroy: (s: string) => manifest.filter((m) => upstream(m.name).has(s)).map((m) => m.name),
    diff: () => [],
  }[command];
  // Plans are read-only and independent: all at once, bounded by the CPUs (each starts its providers).
  const parallelism = command === 'diff' ? Math.min(options!.parallelism, Math.max(2, availableParallelism())) : options!.parallelism;
  const stopOnFailure = command !== 'diff';
  const runs = new Map<string, Run>();
  const waiting = new Map<string, PendingInput[]>();
  const failedOrder: string[] = [];

  // diff: each stack's plan is printed whole, in dependency order, as soon as the ones before it are.
  let printed = 0;
  const flush = () => {
    while (printed < stacks.length && runs.has(stacks[printed])) {
      const s = stacks[printed++];
      console.log(`\n== ${engineName} plan ${s} (${printed}/${stacks.length})`);
      const pending = waiting.get(s) ?? [];
      if (pending.length) console.log(`   review only: waits for ${pending.map(describePending).join(', ')}; the inputs from there are (known after apply) in this plan`);
      for (const [text, stream] of buffered.get(s) ?? []) (stream === 'stdout' ? process.stdout : process.stderr).write(text);
    }
  };

  // Review overrides written by this run: removed when each plan ends, and on any exit.
  const reviewDirs = new Set<string>();
  process.on('exit', () => {
    for (const dir of reviewDirs) setReviewOverride(dir, []);
  });

  // Ctrl-C reaches the running Terraform processes too (same process group): they stop cleanly,
  // no new stack starts, and the summary still says what happened. A second Ctrl-C exits at once.
  let interrupted = false;
  process.on('SIGINT', () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    console.error('\ninterrupted: waiting for the running Terraform processes to stop; no further stack starts (Ctrl-C again to quit now)');
  });
  // diff: every producer's outputs are read before the first plan starts. A running plan locks its
  // state file (creating an empty one where there is no state) and writes and removes its review
  // override: an engine reading that directory meanwhile fails ("Failed to read file"), and its
  // reader would then be planned without the override, against a producer that has no state.
  const pendingBeforePlans = command === 'diff' ? new Map(await Promise.all(stacks.map(async (s) => [s, await pendingOf(s)] as const))) : undefined;

  await runScheduled(stacks, waitsFor, { parallelism, stopOnFailure, stopped: () => interrupted }, async (stack) => {
    const dir = dirOf(stack);
    const sink = sinkOf(stack);
    if (command !== 'diff') console.log(`== ${stack}: ${engineName} ${command === 'deploy' ? 'apply' : 'apply -destroy'} (${stacks.indexOf(stack) + 1}/${stacks.length})`);
    let r: Run;
    if (command === 'diff') {
      // Producers without (some of) the outputs this stack reads: planned with those inputs unknown.
      const { pending, unread } = pendingBeforePlans!.get(stack)!;
      for (const line of unread) sink(`review: ${line}\n`, 'stderr');
      waiting.set(stack, pending);
      reviewDirs.add(dir);
      setReviewOverride(dir, pending); // also removes one an interrupted diff left
      try {
        r = await runStack(command, dir, options!, sink, () => prepared(stack));
      } finally {
        setReviewOverride(dir, []);
        reviewDirs.delete(dir);
      }
    } else {
      r = await runStack(command, dir, options!, sink, () => prepared(stack));
    }
    runs.set(stack, r);
    if (command === 'diff') flush();
    if (r.code !== 0) failedOrder.push(stack);
    return r.code === 0;
  });

  const results: StackResult[] = stacks.map((stack) => {
    const r = runs.get(stack);
    if (!r) return { stack, status: 'not run' };
    const timing = command === 'diff' ? {} : { durationMs: r.durationMs };
    const plan = parsePlanSummary(r.output);
    const pending = waiting.get(stack)?.length ? { pending: waiting.get(stack) } : {};
    return r.code === 0 ? { stack, status: 'ok', plan, ...pending, ...timing } : { stack, status: 'failed', plan, error: failureOf(r, stack), ...pending, ...timing };
  });

  const notes: Note[] = [];
  const failures = results.filter((r) => r.status === 'failed');
  const notRun = results.filter((r) => r.status === 'not run').map((r) => r.stack);
  const failed = failedOrder[0];
  if (failures.length && stopOnFailure) {
    const first = failures.find((r) => r.stack === failed)!;
    const others = failures.filter((r) => r.stack !== failed).map((r) => r.stack);
    notes.push({ text: `${command} stopped at stack ${failed}: ${first.error}.${others.length ? ` Also failed: ${others.join(', ')}.` : ''}${notRun.length ? ` Not run: ${notRun.join(', ')}.` : ''}`, error: true });
  } else if (failures.length) {
    notes.push({ text: `${failures.length} of ${results.length} stacks failed: ${failures.map((r) => r.stack).join(', ')} (see each stack's output above).`, error: true });
  }
  const waited = results.filter((r) => r.pending?.length);
  if (waited.length) {
    const producers = [...new Set(waited.flatMap((r) => r.pending!.map((p) => p.producer)))];
    notes.push({
      text: `Review only: ${waited.map((r) => r.stack).join(', ')} ${waited.length > 1 ? 'were' : 'was'} planned with the outputs of ${producers.join(', ')} unknown ("known after apply"): those have no state yet (or lack an output). Such plans are never applied: npm run deploy applies ${producers.length > 1 ? 'those stacks' : producers[0]} first and plans the rest with their real outputs.`,
    });
  }
  if (command === 'destroy' && !failures.length) {
    const all = stacks.length === order.length;
    notes.push(all ? await removeEckCrds(env) : { text: `ECK CRDs left in place: only some stacks were destroyed (${stacks.join(', ')}); they are removed after destroying all stacks.` });
  }

  const title = `cdktf ${command}`;
  console.log(`\n== ${title} summary\n${formatSummaryText(results)}\n`);
  for (const n of notes) (n.error ? console.error : console.log)(n.command ? `${n.text}\n  ${n.command}` : n.text);
  if (args.summaryFile) {
    const md = notes.map((n) => (n.command ? `${n.text} \`${n.command}\`` : n.text));
    writeFileSync(resolve(args.summaryFile), formatSummaryMarkdown(results, title) + (md.length ? `\n${md.join('\n\n')}\n` : ''));
  }
  return failures.length || interrupted ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`run-stacks: ${err.stack ?? err.message}`);
    process.exit(1);
  },
);
