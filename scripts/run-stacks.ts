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
 *            stops at the first failure (stacks already running finish, no new one starts)
 *   diff     terraform plan of every stack at once (read-only), printed in dependency order;
 *            goes on after an error
 *   destroy  terraform apply -destroy -auto-approve per stack, each after the stacks that read
 *            from it; stops at the first failure; after destroying ALL stacks, deletes the ECK
 *            CRDs that Helm keeps (cluster modes existing/environment; kind: the cluster is gone)
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
import { basename, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { ECK_CRD_SELECTOR } from '../constructs/elasticsearch/names';
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
import { asksForInit, markInitialized, needsInit, RunOptions, runScheduled, runsRemotely, StackCommand, terraformArgsFor, translateCdktfOptions } from '../ops/stack-runs';

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
  readonly output: string;
  readonly durationMs: number;
}

type Sink = (text: string, stream: 'stdout' | 'stderr') => void;

/** Runs `file args` in `cwd`, handing its output to `sink` as it comes and collecting it. */
function run(file: string, args: string[], cwd: string, sink: Sink): Promise<Run> {
  const started = Date.now();
  return new Promise((done) => {
    let output = '';
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
        sink(text, stream);
      });
    }
    child.on('error', (err) => {
      spawnError = err;
      if (child.pid === undefined) finish({ code: null, spawnError, output, durationMs: Date.now() - started });
    });
    child.on('close', (code, signal) => finish({ code, signal, spawnError, output, durationMs: Date.now() - started }));
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

const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);

/** A line under the summary table; `command` is shown on its own line (in code in Markdown). */
interface Note {
  readonly text: string;
  readonly command?: string;
  /** Printed on stderr (the run failed). */
  readonly error?: boolean;
}

/** After a full destroy: delete the ECK CRDs that Helm keeps. Never fails the destroy; returns the note for the summary. */
async function removeEckCrds(): Promise<Note> {
  const kubectl = process.env.KUBECTL ?? 'kubectl';
  const deleteArgs = ['delete', 'crd', '-l', ECK_CRD_SELECTOR, '--ignore-not-found'];
  const manual = (flags: string[], why: string): Note => ({
    text: `ECK CRDs (kept by Helm) NOT removed: ${why}. Remove them with:`,
    command: [kubectl, ...flags, ...deleteArgs].map(quote).join(' '),
  });
  let flags: string[];
  try {
    const { loadConfig } = await import('../config/load');
    const config = loadConfig();
    if (config.cluster.mode === 'kind') return { text: 'ECK CRDs: nothing to remove, the kind cluster itself was deleted with the cluster stack.' };
    const { clusterAccess, kubectlFlags } = await import('../ops/cluster-access');
    flags = kubectlFlags(clusterAccess(config));
  } catch (err) {
    return manual([], `${(err as Error).message.replace(/:?\s*\n\s*-?\s*/g, ': ')} (add --kubeconfig/--context for your cluster)`);
  }
  const command = [kubectl, ...flags, ...deleteArgs].map(quote).join(' ');
  console.log(`\n== ${command}`);
  const r = spawnSync(kubectl, [...flags, ...deleteArgs], { env, stdio: 'inherit' });
  if (r.error) return manual(flags, (r.error as NodeJS.ErrnoException).code === 'ENOENT' ? `${kubectl} is not installed` : r.error.message);
  if (r.status !== 0) return manual(flags, `${kubectl} exited with ${r.status ?? r.signal}`);
  return { text: 'ECK CRDs (kept by Helm) removed:', command };
}

/**
 * One stack: `<engine> init` when its directory needs it, then the command's plan/apply. If
 * the engine still asks for init (a directory changed behind our back), init and run once more.
 */
async function runStack(command: StackCommand, dir: string, options: RunOptions, sink: Sink): Promise<Run> {
  const started = Date.now();
  const color = process.stdout.isTTY || options.terraformArgs.includes('-no-color') ? [] : ['-no-color'];
  let output = '';
  const init = async (): Promise<Run | undefined> => {
    const r = await run(engine, ['init', '-input=false', ...color, ...options.initArgs], dir, sink);
    output += r.output;
    if (r.code !== 0) return r;
    if (runsRemotely(dir)) {
      const lock = await run(engine, ['providers', 'lock', '-platform=linux_amd64', ...color], dir, sink);
      output += lock.output;
      if (lock.code !== 0) return lock;
    }
    markInitialized(dir);
    return undefined;
  };
  let initialized = false;
  if (options.forceInit || needsInit(dir)) {
    const failed = await init();
    if (failed) return { ...failed, output, durationMs: Date.now() - started };
    initialized = true;
  }
  const args = [...terraformArgsFor(command, options), ...color];
  let r = await run(engine, args, dir, sink);
  if (r.code !== 0 && !r.spawnError && !initialized && asksForInit(r.output)) {
    output += r.output;
    const failed = await init();
    if (failed) return { ...failed, output, durationMs: Date.now() - started };
    r = await run(engine, args, dir, sink);
  }
  return { ...r, output: output + r.output, durationMs: Date.now() - started };
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
  const width = Math.max(...stacks.map((s) => s.length));
  const runs = new Map<string, Run>();
  const failedOrder: string[] = [];

  // diff: each stack's plan is printed whole, in dependency order, as soon as the ones before it are.
  const buffered = new Map<string, [string, 'stdout' | 'stderr'][]>();
  let printed = 0;
  const flush = () => {
    while (printed < stacks.length && runs.has(stacks[printed])) {
      const s = stacks[printed++];
      console.log(`\n== ${engineName} plan ${s} (${printed}/${stacks.length})`);
      for (const [text, stream] of buffered.get(s) ?? []) (stream === 'stdout' ? process.stdout : process.stderr).write(text);
    }
  };

  // Ctrl-C reaches the running Terraform processes too (same process group): they stop cleanly,
  // no new stack starts, and the summary still says what happened. A second Ctrl-C exits at once.
  let interrupted = false;
  process.on('SIGINT', () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    console.error('\ninterrupted: waiting for the running Terraform processes to stop; no further stack starts (Ctrl-C again to quit now)');
  });
  await runScheduled(stacks, waitsFor, { parallelism, stopOnFailure, stopped: () => interrupted }, async (stack) => {
    const dir = join(outdir, byName.get(stack)!.workingDirectory);
    let sink: Sink;
    if (command === 'diff') {
      const chunks: [string, 'stdout' | 'stderr'][] = [];
      buffered.set(stack, chunks);
      sink = (text, stream) => chunks.push([text, stream]);
    } else {
      console.log(`== ${stack}: ${engineName} ${command === 'deploy' ? 'apply' : 'apply -destroy'} (${stacks.indexOf(stack) + 1}/${stacks.length})`);
      sink = prefixed(`${stack.padEnd(width)}  `);
    }
    const r = await runStack(command, dir, options!, sink);
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
    return r.code === 0 ? { stack, status: 'ok', plan, ...timing } : { stack, status: 'failed', plan, error: failureOf(r, stack), ...timing };
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
  if (command === 'destroy' && !failures.length) {
    const all = stacks.length === order.length;
    notes.push(all ? await removeEckCrds() : { text: `ECK CRDs left in place: only some stacks were destroyed (${stacks.join(', ')}); they are removed after destroying all stacks.` });
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
