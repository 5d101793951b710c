/**
 * npm run synth|list|diff|deploy|destroy: runs cdktf ONE stack at a time, in the order of the
 * app's cross-stack dependencies (read from cdktf.out/manifest.json after one `cdktf synth`),
 * and prints one summary table. Why not `cdktf deploy <all stacks>`: with
 * --ignore-missing-stack-dependencies cdktf 0.21 ignores the dependencies and starts every stack
 * at once (--parallelism defaults to -1), and `cdktf diff [stack]` takes a single stack.
 *
 *   synth    cdktf synth, then print the stacks in dependency order
 *   list     cdktf synth (its output on stderr), then the stacks in dependency order on stdout, one a line
 *   deploy   cdktf deploy <stack> --skip-synth --auto-approve --ignore-missing-stack-dependencies, per
 *            stack in dependency order; stops at the first failure
 *   diff     cdktf diff <stack> --skip-synth, per stack in dependency order; goes on after an error
 *   destroy  cdktf destroy <stack> --skip-synth --auto-approve --ignore-missing-stack-dependencies, per
 *            stack in reverse order; stops at the first failure; after destroying ALL stacks, deletes
 *            the ECK CRDs that Helm keeps (cluster modes existing/environment; kind: the cluster is gone)
 *
 * Arguments: stack names select stacks (still run in dependency order; their dependencies are
 * not added); `--summary-file <path>` also writes the summary as Markdown (diff/deploy/destroy;
 * also written when the run stops before any stack, saying why); everything after `--` is passed
 * to every per-stack cdktf call (or to `cdktf synth` for synth), e.g. `-- --terraform-parallelism 5`.
 * `cdktf` is run from PATH (npm run puts node_modules/.bin first). Exit: 0 ok, 1 failure (a tool
 * missing, synth failed, a stack failed), 2 usage (unknown command, option or stack name).
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { ECK_CRD_SELECTOR } from '../constructs/elasticsearch/names';
import {
  cdktfOutdir,
  dependencyOrder,
  destroyOrder,
  firstErrorLine,
  formatSummaryMarkdown,
  formatSummaryText,
  parsePlanSummary,
  readManifest,
  selectStacks,
  StackResult,
} from '../ops/stack-order';

type Command = 'synth' | 'list' | 'diff' | 'deploy' | 'destroy';
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
  terraform: 'Terraform >= 1.5 is required: https://developer.hashicorp.com/terraform/install',
  docker: 'Docker is required in kind mode (kind nodes and the local registry run as containers): https://docs.docker.com/get-docker/ (cluster.mode existing or environment needs no Docker)',
};

/** Checks the tools `command` needs; returns the message of the first one missing. */
function preflight(command: Command): string | undefined {
  const needs = { synth: [], list: [], diff: ['terraform'], deploy: ['terraform', 'docker'], destroy: ['terraform', 'docker'] }[command];
  for (const tool of needs) {
    if (tool === 'docker' && clusterMode() !== 'kind') continue;
    const probe = spawnSync(tool, tool === 'docker' ? ['info', '--format', '{{.ServerVersion}}'] : ['version'], { stdio: 'ignore' });
    if (probe.error || probe.status !== 0) return `cannot ${command}: ${tool} is not installed or not running. ${HELP[tool]}`;
  }
  return undefined;
}

const env = { ...process.env, CHECKPOINT_DISABLE: '1' };

interface Run {
  /** Exit code; undefined when cdktf could not be started. */
  readonly code: number | null;
  readonly signal?: NodeJS.Signals | null;
  readonly spawnError?: Error;
  readonly output: string;
  readonly durationMs: number;
}

/** Runs `cdktf <args>`, streaming its output (stdout to `stdoutTo`) and collecting it. */
function cdktf(args: string[], stdoutTo: NodeJS.WriteStream = process.stdout): Promise<Run> {
  const started = Date.now();
  return new Promise((done) => {
    let output = '';
    let child: ChildProcess;
    try {
      child = spawn('cdktf', args, { env, stdio: ['inherit', 'pipe', 'pipe'] });
    } catch (err) {
      done({ code: null, spawnError: err as Error, output, durationMs: 0 });
      return;
    }
    let spawnError: Error | undefined;
    let settled = false;
    const finish = (run: Run) => {
      if (!settled) done(run);
      settled = true;
    };
    child.stdout!.on('data', (d: Buffer) => {
      output += d.toString();
      stdoutTo.write(d);
    });
    child.stderr!.on('data', (d: Buffer) => {
      output += d.toString();
      process.stderr.write(d);
    });
    child.on('error', (err) => {
      spawnError = err;
      if (child.pid === undefined) finish({ code: null, spawnError, output, durationMs: Date.now() - started });
    });
    child.on('close', (code, signal) => finish({ code, signal, spawnError, output, durationMs: Date.now() - started }));
  });
}

function cannotStart(command: Command, run: Run): string {
  const missing = (run.spawnError as NodeJS.ErrnoException).code === 'ENOENT';
  return missing
    ? `cannot ${command}: cdktf is not on PATH. Run it through npm (npm run ${command}), which puts node_modules/.bin first, after npm ci.`
    : `cannot ${command}: cdktf could not be started: ${run.spawnError!.message}`;
}

function failureOf(run: Run, stack: string): string {
  const how = run.signal ? `killed by ${run.signal}` : `exit ${run.code}`;
  const first = firstErrorLine(run.output, stack);
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

async function main(argv: string[]): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(argv);
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

  // One synth for all stacks; every later cdktf call gets --skip-synth.
  const synth = await cdktf(['synth', ...(command === 'synth' ? args.passthrough : [])], command === 'list' ? process.stderr : process.stdout);
  if (synth.spawnError) return stop(cannotStart(command, synth), 1);
  if (synth.code !== 0) return stop(`cannot ${command}: cdktf synth failed (${synth.signal ? `killed by ${synth.signal}` : `exit ${synth.code}`}); see its output above`, 1);
  let order: string[];
  try {
    const manifest = readManifest(cdktfOutdir(process.cwd()));
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

  const perStack = {
    deploy: (s: string) => ['deploy', s, '--skip-synth', '--auto-approve', '--ignore-missing-stack-dependencies'],
    diff: (s: string) => ['diff', s, '--skip-synth'],
    destroy: (s: string) => ['destroy', s, '--skip-synth', '--auto-approve', '--ignore-missing-stack-dependencies'],
  }[command];
  const stopOnFailure = command !== 'diff';
  const results: StackResult[] = [];
  let failed: string | undefined;
  for (const [i, stack] of stacks.entries()) {
    if (failed && stopOnFailure) {
      results.push({ stack, status: 'not run' });
      continue;
    }
    console.log(`\n== cdktf ${command} ${stack} (${i + 1}/${stacks.length})`);
    const run = await cdktf([...perStack(stack), ...args.passthrough]);
    if (run.spawnError) return stop(cannotStart(command, run), 1);
    const timing = command === 'diff' ? {} : { durationMs: run.durationMs };
    const plan = parsePlanSummary(run.output, stack);
    if (run.code === 0) {
      results.push({ stack, status: 'ok', plan, ...timing });
    } else {
      results.push({ stack, status: 'failed', plan, error: failureOf(run, stack), ...timing });
      failed ??= stack;
    }
  }

  const notes: Note[] = [];
  const failures = results.filter((r) => r.status === 'failed');
  const notRun = results.filter((r) => r.status === 'not run').map((r) => r.stack);
  if (failures.length && stopOnFailure) {
    notes.push({ text: `${command} stopped at stack ${failed}: ${failures[0].error}.${notRun.length ? ` Not run: ${notRun.join(', ')}.` : ''}`, error: true });
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
  return failures.length ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`run-stacks: ${err.stack ?? err.message}`);
    process.exit(1);
  },
);
