import { App } from 'cdktf';
import { spawnSync, SpawnSyncReturns } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ECK_CRD_SELECTOR } from '../constructs/elasticsearch/names';
import { runScheduled } from '../ops/stack-runs';
import {
  dependencyOrder,
  destroyOrder,
  firstErrorLine,
  formatSummaryMarkdown,
  formatSummaryText,
  ManifestStack,
  parseManifest,
  parsePlanSummary,
  selectStacks,
} from '../ops/stack-order';
import { build } from './helpers';
import { Pem, realKubectl, RefusingApi, startRefusingApi } from './refusing-api';

const ROOT = join(__dirname, '..');
const SCRIPT = join(ROOT, 'scripts', 'run-stacks.ts');
const FAKE_CDKTF = join(__dirname, 'fixtures', 'fake-cdktf.js');
const FAKE_TERRAFORM = join(__dirname, 'fixtures', 'fake-terraform.js');

/** A directory for PATH with node and stand-ins: `exit N` shell tools, the fake cdktf and terraform, a logging kubectl. */
function pathWith(tools: Record<string, number>, opts: { cdktf?: boolean; terraform?: boolean; engineName?: string; kubectl?: { log: string; exit: number } } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'path-'));
  symlinkSync(process.execPath, join(dir, 'node'));
  const tool = (name: string, body: string) => {
    writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(dir, name), 0o755);
  };
  for (const [name, exit] of Object.entries(tools)) tool(name, `exit ${exit}`);
  if (opts.cdktf) tool('cdktf', `exec "${process.execPath}" "${FAKE_CDKTF}" "$@"`);
  if (opts.terraform) tool(opts.engineName ?? 'terraform', `exec "${process.execPath}" "${FAKE_TERRAFORM}" "$@"`);
  if (opts.kubectl) tool('kubectl', `echo "$*" >> "${opts.kubectl.log}"\nexit ${opts.kubectl.exit}`);
  return dir;
}

function runScript(args: string[], env: Record<string, string>, cwd = mkdtempSync(join(tmpdir(), 'run-stacks-'))): SpawnSyncReturns<string> & { cwd: string } {
  const r = spawnSync(process.execPath, ['-r', require.resolve('ts-node/register/transpile-only'), SCRIPT, ...args], {
    cwd,
    env: { HOME: process.env.HOME!, TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'), ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return Object.assign(r, { cwd });
}

describe('npm run deploy/diff/destroy preflight', () => {
  it('stops at once, naming Terraform, the version required and where to get it, when it is missing', () => {
    const r = runScript(['deploy'], { PATH: pathWith({}) });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^cannot deploy: terraform is not installed \(not on PATH\)\. Terraform >= 1\.11\.0 is required \(the stacks write credentials with write-only arguments, which Terraform 1\.11\.0 added to keep secrets out of the state\)\. Install Terraform 1\.11\.0 or newer: https:\/\/developer\.hashicorp\.com\/terraform\/install/);
    expect(r.stderr).not.toMatch(/at .*\.[jt]s:\d+/); // no stack trace
  });

  it('names Docker when Terraform is there but no Docker engine answers', () => {
    const r = runScript(['deploy'], { PATH: pathWith({ docker: 1 }, { terraform: true }) });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/cannot deploy: docker is not installed or not running/);
  });

  it('does not ask for Docker outside kind mode', () => {
    const r = runScript(['deploy'], { PATH: pathWith({ docker: 1 }, { terraform: true }), MONITORING_CLUSTER_MODE: 'environment' });
    expect(r.stderr).not.toMatch(/docker/);
    // the next thing it needs is cdktf, found on PATH (npm run puts node_modules/.bin first)
    expect(r.stderr).toMatch(/cannot deploy: cdktf is not on PATH/);
    expect(r.status).toBe(1);
  });

  it('diff needs Terraform only; unknown commands get the usage', () => {
    expect(runScript(['diff'], { PATH: pathWith({}) }).stderr).toMatch(/cannot diff: terraform/);
    const r = runScript(['apply'], { PATH: pathWith({}) });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/usage/);
  });
});

// ---- real inputs: the app's manifest (its cross-stack dependencies) and real Terraform output ----

const fixtures = mkdtempSync(join(tmpdir(), 'run-stacks-fixtures-'));
let manifestFile: string;
let manifest: ManifestStack[];
/** Real Terraform output (terraform_data only: no providers, offline). */
const tf: Record<'freshPlan' | 'freshPlanColor' | 'apply' | 'noChanges' | 'mixedPlan' | 'destroy' | 'error' | 'outputsOnly' | 'outputsAndResources', string> = {} as never;
const tfFile = (name: keyof typeof tf) => join(fixtures, `${name}.txt`);

function terraformOutputs(): void {
  const terraform = process.env.TERRAFORM ?? 'terraform';
  const cliConfig = join(fixtures, 'empty.tfrc');
  writeFileSync(cliConfig, '');
  const env = { PATH: process.env.PATH!, HOME: process.env.HOME!, CHECKPOINT_DISABLE: '1', TF_CLI_CONFIG_FILE: cliConfig, TF_IN_AUTOMATION: '1' };
  const tfIn = (dir: string, args: string[], allowFail = false): string => {
    const r = spawnSync(terraform, args, { cwd: dir, env, encoding: 'utf8' });
    if (r.error) throw new Error(`these tests run the real Terraform (built-in terraform_data only, offline): ${terraform} not found (${r.error.message}); install Terraform >= 1.11 (the stacks' required_version) or set TERRAFORM`);
    if (r.status !== 0 && !allowFail) throw new Error(`terraform ${args.join(' ')} failed:\n${r.stdout}${r.stderr}`);
    return r.stdout + r.stderr;
  };
  const config = (dir: string, resources: Record<string, object>) => writeFileSync(join(dir, 'main.tf.json'), JSON.stringify({ resource: { terraform_data: resources } }));

  const dir = join(fixtures, 'tf');
  mkdirSync(dir);
  config(dir, { a: { input: 'x' }, b: { input: 'y' }, c: {} });
  tfIn(dir, ['init', '-no-color', '-input=false']);
  tf.freshPlan = tfIn(dir, ['plan', '-no-color', '-input=false']);
  tf.freshPlanColor = tfIn(dir, ['plan', '-input=false']);
  tf.apply = tfIn(dir, ['apply', '-auto-approve', '-no-color', '-input=false']);
  tf.noChanges = tfIn(dir, ['plan', '-no-color', '-input=false']);
  config(dir, { a: { input: 'x2' }, b: { input: 'y' }, d: {} }); // a updated in place, c destroyed, d added
  tf.mixedPlan = tfIn(dir, ['plan', '-no-color', '-input=false']);
  tf.destroy = tfIn(dir, ['destroy', '-auto-approve', '-no-color', '-input=false']);

  // A plan that changes an output value and no resource.
  const outputs = join(fixtures, 'tf-outputs');
  mkdirSync(outputs);
  const withOutput = (value: string, input = 'x') => writeFileSync(join(outputs, 'main.tf.json'), JSON.stringify({ resource: { terraform_data: { a: { input } } }, output: { endpoint: { value } } }));
  withOutput('http://a');
  tfIn(outputs, ['init', '-no-color', '-input=false']);
  tfIn(outputs, ['apply', '-auto-approve', '-no-color', '-input=false']);
  withOutput('http://b');
  tf.outputsOnly = tfIn(outputs, ['plan', '-no-color', '-input=false']);
  withOutput('http://b', 'y');
  tf.outputsAndResources = tfIn(outputs, ['plan', '-no-color', '-input=false']);

  // What a consumer stack prints when its producer was never deployed (the error).
  const consumer = join(fixtures, 'tf-consumer');
  mkdirSync(consumer);
  writeFileSync(
    join(consumer, 'main.tf.json'),
    JSON.stringify({
      data: { terraform_remote_state: { cluster: { backend: 'local', config: { path: join(fixtures, 'missing', 'terraform.cluster.tfstate') } } } },
      resource: { terraform_data: { a: { input: '${data.terraform_remote_state.cluster.outputs}' } } },
    }),
  );
  tfIn(consumer, ['init', '-no-color', '-input=false']);
  tf.error = tfIn(consumer, ['plan', '-no-color', '-input=false'], true);
  for (const [name, text] of Object.entries(tf)) writeFileSync(tfFile(name as keyof typeof tf), text);
}

beforeAll(() => {
  const app = build();
  manifestFile = join(fixtures, 'manifest.json');
  copyFileSync(join(App.of(app.cluster).outdir, 'manifest.json'), manifestFile);
  manifest = parseManifest(readFileSync(manifestFile, 'utf8'));
  terraformOutputs();
}, 120_000);

describe('stack order from the synthesized manifest', () => {
  it('the manifest carries the cross-stack dependencies', () => {
    const deps = Object.fromEntries(manifest.map((s) => [s.name, [...s.dependencies].sort()]));
    expect(Object.keys(deps).sort()).toEqual(['cluster', 'elasticsearch', 'jaeger', 'kibana', 'logging', 'otel-collector', 'sample-app']);
    expect(deps.elasticsearch).toEqual(['cluster']);
    expect(deps.kibana).toEqual(['cluster', 'elasticsearch']);
    // Jaeger stores its traces in Elasticsearch (dev too): it waits for the elasticsearch stack.
    expect(deps.jaeger).toEqual(['cluster', 'elasticsearch']);
    expect(deps['otel-collector']).toEqual(['cluster', 'elasticsearch', 'jaeger']);
  });

  it('orders every stack after its producers, stably, and reverses for destroy', () => {
    const order = dependencyOrder(manifest);
    expect(order).toHaveLength(7);
    for (const s of manifest) for (const d of s.dependencies) expect(order.indexOf(d)).toBeLessThan(order.indexOf(s.name));
    expect(dependencyOrder([...manifest])).toEqual(order);
    expect(order[0]).toBe('cluster');
    expect(destroyOrder(manifest)).toEqual([...order].reverse());
  });

  it('tie-breaks by manifest order', () => {
    expect(dependencyOrder([{ name: 'b', dependencies: [] }, { name: 'a', dependencies: [] }, { name: 'c', dependencies: ['a'] }])).toEqual(['b', 'a', 'c']);
  });

  it('a cycle or an unknown dependency is a clear error', () => {
    expect(() => dependencyOrder([{ name: 'x', dependencies: [] }, { name: 'a', dependencies: ['b'] }, { name: 'b', dependencies: ['a'] }])).toThrow(/dependency cycle among stacks: a → b; b → a/);
    expect(() => dependencyOrder([{ name: 'a', dependencies: ['nope'] }])).toThrow(/stack a depends on unknown stack\(s\) nope/);
  });

  it('selects a subset in order; an unknown name lists the valid ones', () => {
    const order = dependencyOrder(manifest);
    expect(selectStacks(order, ['sample-app', 'cluster'])).toEqual(['cluster', 'sample-app']);
    expect(selectStacks(order, [])).toEqual(order);
    expect(() => selectStacks(order, ['cluster', 'grafana'])).toThrow(`unknown stack grafana: the stacks are ${order.join(', ')}`);
  });
});

describe('plan summary parsing (real Terraform output)', () => {
  it('reads add / change / destroy counts', () => {
    expect(parsePlanSummary(tf.freshPlan)).toEqual({ kind: 'changes', toImport: 0, toAdd: 3, toChange: 0, toDestroy: 0 });
    expect(parsePlanSummary(tf.mixedPlan)).toEqual({ kind: 'changes', toImport: 0, toAdd: 1, toChange: 1, toDestroy: 1 });
    expect(parsePlanSummary(tf.apply)).toEqual({ kind: 'changes', toImport: 0, toAdd: 3, toChange: 0, toDestroy: 0 });
    expect(parsePlanSummary(tf.destroy)).toEqual({ kind: 'changes', toImport: 0, toAdd: 0, toChange: 0, toDestroy: 3 });
  });

  it('recognises "No changes."', () => {
    expect(tf.noChanges).toContain('No changes.');
    expect(parsePlanSummary(tf.noChanges)).toEqual({ kind: 'no-changes' });
  });

  it('recognises a plan that changes only outputs (Terraform prints no Plan: line then), and says so in the row', () => {
    expect(tf.outputsOnly).not.toMatch(/Plan:/);
    expect(tf.outputsOnly).toContain('Changes to Outputs:');
    expect(parsePlanSummary(tf.outputsOnly)).toEqual({ kind: 'outputs-only' });
    // A plan with resource changes lists its output changes too: counted as changes.
    expect(tf.outputsAndResources).toContain('Changes to Outputs:');
    expect(parsePlanSummary(tf.outputsAndResources)).toEqual({ kind: 'changes', toImport: 0, toAdd: 0, toChange: 1, toDestroy: 0 });
    const row = formatSummaryText([{ stack: 'cluster', status: 'ok', plan: parsePlanSummary(tf.outputsOnly) }]).split('\n')[2];
    expect(row).toMatch(/^cluster\s+0\s+0\s+0\s+ok, outputs only \(no resource changes\)$/);
  });

  it("a stack planned with pending inputs: its row names the producers it waits for and why", () => {
    const plan = parsePlanSummary(tf.freshPlan);
    const results = [
      { stack: 'logging', status: 'ok' as const, plan, pending: [{ producer: 'cluster', reason: 'no-state' as const, missing: ['a'] }, { producer: 'elasticsearch', reason: 'no-state' as const, missing: ['b'] }] },
      { stack: 'kibana', status: 'ok' as const, plan, pending: [{ producer: 'elasticsearch', reason: 'missing-outputs' as const, missing: ['cross-stack-output-x'] }] },
    ];
    const text = formatSummaryText(results).split('\n');
    expect(text[2]).toMatch(/^logging\s+3\s+0\s+0\s+ok; waits for cluster, elasticsearch \(not deployed\): those inputs are \(known after apply\)$/);
    expect(text[3]).toMatch(/^kibana\s+3\s+0\s+0\s+ok; waits for elasticsearch \(lacks cross-stack-output-x\): those inputs are \(known after apply\)$/);
    expect(formatSummaryMarkdown(results)).toContain('| logging | 3 | 0 | 0 | ok; waits for cluster, elasticsearch (not deployed): those inputs are (known after apply) |');
  });

  it('reads coloured output behind the cdktf stack prefix, and the import count', () => {
    expect(tf.freshPlanColor).toContain('\x1b[');
    const pad = ' '.repeat('otel-collector'.length + 2);
    const asCdktf = tf.freshPlanColor
      .trimEnd()
      .split('\n')
      .map((l, i) => (i === 0 ? `otel-collector  ${l}` : pad + l))
      .join('\n');
    expect(parsePlanSummary(asCdktf, 'otel-collector')).toEqual({ kind: 'changes', toImport: 0, toAdd: 3, toChange: 0, toDestroy: 0 });
    // Terraform's format string: "Plan: %d to import, %d to add, %d to change, %d to destroy."
    expect(parsePlanSummary('jaeger  \x1b[1mPlan:\x1b[0m 2 to import, 0 to add, 1 to change, 0 to destroy.', 'jaeger')).toEqual({ kind: 'changes', toImport: 2, toAdd: 0, toChange: 1, toDestroy: 0 });
    expect(parsePlanSummary('Initializing the backend...')).toBeUndefined();
  });

  it("takes the error's first line", () => {
    expect(firstErrorLine(tf.error)).toBe('Unable to find remote state');
    expect(firstErrorLine('b  some output\nInvoking Terraform CLI failed with exit code 1\n', 'b')).toBe('Invoking Terraform CLI failed with exit code 1');
  });

  it('formats one table, plain and Markdown', () => {
    const results = [
      { stack: 'cluster', status: 'ok' as const, plan: parsePlanSummary(tf.freshPlan), durationMs: 1500 },
      { stack: 'jaeger', status: 'failed' as const, error: 'Unable to find | remote state', durationMs: 65_000 },
      { stack: 'logging', status: 'not run' as const },
    ];
    const text = formatSummaryText(results).split('\n');
    expect(text[0]).toMatch(/^stack\s+to add\s+to change\s+to destroy\s+result\s+duration$/);
    expect(text[2]).toMatch(/^cluster\s+3\s+0\s+0\s+ok\s+1\.5s$/);
    expect(text[3]).toMatch(/^jaeger\s+-\s+-\s+-\s+failed: Unable to find \| remote state\s+1m05s$/);
    expect(text[4]).toMatch(/^logging\s+-\s+-\s+-\s+not run\s+-$/);
    const md = formatSummaryMarkdown(results, 'cdktf deploy').split('\n');
    expect(md.slice(0, 4)).toEqual(['### cdktf deploy', '', '| stack | to add | to change | to destroy | result | duration |', '|---|---:|---:|---:|---|---|']);
    expect(md[5]).toBe('| jaeger | - | - | - | failed: Unable to find \\| remote state | 1m05s |');
  });
});

// ---- the scheduler ----

describe('runScheduled', () => {
  const deps: Record<string, string[]> = { a: [], b: ['a'], c: ['a'], d: ['b', 'c'], e: [] };
  const order = ['a', 'b', 'c', 'd', 'e'];
  /** Runs the schedule with stacks that take `ms` and fail when listed; returns the events. */
  async function schedule(opts: { parallelism?: number; stopOnFailure?: boolean; fail?: string[]; ms?: number } = {}) {
    const events: string[] = [];
    let running = 0;
    let maxRunning = 0;
    const outcome = await runScheduled(order, (s) => deps[s], { parallelism: opts.parallelism ?? Infinity, stopOnFailure: opts.stopOnFailure ?? true }, async (s) => {
      events.push(`start ${s}`);
      maxRunning = Math.max(maxRunning, ++running);
      await new Promise((r) => setTimeout(r, opts.ms ?? 10));
      running--;
      events.push(`end ${s}`);
      return !(opts.fail ?? []).includes(s);
    });
    return { events, outcome: Object.fromEntries(outcome), maxRunning };
  }

  it('starts a stack only after what it waits for ended, independent ones side by side', async () => {
    const { events, outcome, maxRunning } = await schedule();
    for (const [s, ds] of Object.entries(deps)) for (const d of ds) expect(events.indexOf(`end ${d}`)).toBeLessThan(events.indexOf(`start ${s}`));
    expect(events.slice(0, 2)).toEqual(['start a', 'start e']);
    expect(maxRunning).toBeGreaterThanOrEqual(2);
    expect(Object.values(outcome).every((o) => o === 'ok')).toBe(true);
  });

  it('keeps to the parallelism, in order', async () => {
    const { events, maxRunning } = await schedule({ parallelism: 1 });
    expect(maxRunning).toBe(1);
    expect(events.filter((e) => e.startsWith('start')).map((e) => e.slice(6))).toEqual(order);
  });

  it('after a failure starts nothing more (running stacks finish); keep-going skips only what waits on it', async () => {
    const stop = await schedule({ fail: ['b'], ms: 20 });
    expect(stop.outcome).toEqual({ a: 'ok', e: 'ok', b: 'failed', c: 'ok', d: 'not run' });
    const stopEarly = await schedule({ fail: ['a'] });
    expect(stopEarly.outcome).toEqual({ a: 'failed', e: 'ok', b: 'not run', c: 'not run', d: 'not run' });
    const serial = await schedule({ fail: ['a'], parallelism: 1 });
    expect(serial.outcome).toEqual({ a: 'failed', b: 'not run', c: 'not run', d: 'not run', e: 'not run' });
    let ran = 0; // stopped (Ctrl-C) after two stacks
    const stoppedAfterTwo = await runScheduled(order, (s) => deps[s], { parallelism: 1, stopOnFailure: false, stopped: () => ran >= 2 }, async () => (ran++, true));
    expect(Object.fromEntries(stoppedAfterTwo)).toEqual({ a: 'ok', b: 'ok', c: 'not run', d: 'not run', e: 'not run' });
    const keepGoing = await schedule({ fail: ['b'], stopOnFailure: false, parallelism: 1 });
    expect(keepGoing.outcome).toEqual({ a: 'ok', b: 'failed', c: 'ok', d: 'not run', e: 'ok' });
  });
});

// ---- the script, against the fake cdktf (synth) and the fake terraform ----

interface LogEntry {
  readonly kind: string;
  readonly cmd: string;
  readonly stack: string;
  readonly at: number;
  readonly rest: string;
}

function readLog(file: string): LogEntry[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(' '))
    .map(([kind, a, b, c, ...rest]) =>
      kind === 'synth' ? { kind, cmd: 'synth', stack: '', at: Number(a), rest: '' } : kind === 'version' ? { kind, cmd: 'version', stack: '', at: Number(a), rest: [b, c, ...rest].filter(Boolean).join(' ') } : kind === 'init' || kind === 'lock' ? { kind, cmd: a, stack: a, at: Number(b), rest: [c, ...rest].filter(Boolean).join(' ') } : { kind, cmd: a, stack: b, at: Number(c), rest: rest.join(' ') },
    );
}

interface FakeOptions {
  fail?: string;
  env?: Record<string, string>;
  path?: string;
  /** Working directory: a new one unless given (a second run in the same one finds it initialized). */
  cwd?: string;
}

function fakeRun(args: string[], opts: FakeOptions = {}) {
  const log = join(mkdtempSync(join(tmpdir(), 'fake-log-')), 'calls.log');
  const outputs = { deploy: tfFile('apply'), diff: tfFile('freshPlan'), 'diff:cluster': tfFile('noChanges'), 'diff:jaeger': tfFile('mixedPlan'), destroy: tfFile('destroy'), error: tfFile('error') };
  const r = runScript(
    args,
    {
      PATH: opts.path ?? pathWith({ docker: 0 }, { cdktf: true, terraform: true }),
      FAKE_CDKTF_MANIFEST: manifestFile,
      FAKE_LOG: log,
      FAKE_TF_OUTPUTS: JSON.stringify(outputs),
      FAKE_TF_FAIL: opts.fail ?? '',
      FAKE_TF_DELAY_MS: '150',
      ...opts.env,
    },
    opts.cwd,
  );
  const entries = readLog(log);
  expect(entries.filter((e) => e.kind === 'usage-error')).toEqual([]);
  const started = entries.filter((e) => e.kind === 'start').map((e) => e.stack);
  return { ...r, out: r.stdout + r.stderr, logFile: log, log: entries, started, inits: entries.filter((e) => e.kind === 'init').map((e) => e.stack) };
}

/** Every stack started after the stacks it depends on (deploy) / that depend on it (destroy) ended. */
function expectDependencyOrder(log: LogEntry[], reverse = false): void {
  const start = new Map(log.filter((e) => e.kind === 'start').map((e) => [e.stack, e.at]));
  const end = new Map(log.filter((e) => e.kind === 'end').map((e) => [e.stack, e.at]));
  for (const s of manifest) {
    for (const d of s.dependencies) {
      const [first, then] = reverse ? [s.name, d] : [d, s.name];
      if (start.has(then)) expect({ stack: then, startedAfterEndOf: first, ok: end.get(first)! <= start.get(then)! }).toEqual({ stack: then, startedAfterEndOf: first, ok: true });
    }
  }
}

/**
 * For the tests that assert two stacks ran at the same time: each fake Terraform command lasts
 * long enough that a second process still overlaps it when a loaded CI machine is slow to spawn it.
 */
const SLOW_TF = { FAKE_TF_DELAY_MS: '1000' };

/** Whether the two stacks ran at the same time. */
function overlapped(log: LogEntry[], a: string, b: string): boolean {
  const at = (kind: string, s: string) => log.find((e) => e.kind === kind && e.stack === s)!.at;
  return at('start', a) < at('end', b) && at('start', b) < at('end', a);
}

/** The stack's row of the summary table (printed after `== cdktf <cmd> summary`). */
const rowOf = (out: string, stack: string) =>
  out
    .slice(out.search(/== cdktf \w+ summary\n/))
    .split('\n')
    .find((l) => l.startsWith(`${stack} `));

const sorted = (xs: string[]) => [...xs].sort();

describe('the Terraform version, read once before anything runs', () => {
  const REQUIRED = 'the stacks require Terraform >= 1.11.0 (their required_version): the stacks write credentials with write-only arguments, which Terraform 1.11.0 added to keep secrets out of the state.';
  const FIX = 'Install Terraform 1.11.0 or newer: https://developer.hashicorp.com/terraform/install (tfenv: tfenv install 1.11.4 && tfenv use 1.11.4; GitHub Actions: hashicorp/setup-terraform with terraform_version: 1.11.4;';

  it.each(['deploy', 'diff', 'destroy'])('%s with Terraform 1.10.5: one clear error, no synth, no stack, and the summary file says why', (command) => {
    const summary = join(mkdtempSync(join(tmpdir(), 'summary-')), 'summary.md');
    const r = fakeRun([command, '--summary-file', summary], { env: { FAKE_TF_VERSION: '1.10.5' } });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`cannot ${command}: found Terraform 1.10.5 (terraform), but ${REQUIRED} ${FIX} Terraform Cloud runs use the workspace's "Terraform version" setting).\n`);
    expect(r.log.map((e) => `${e.kind} ${e.rest}`.trim())).toEqual(['version -json']);
    expect(readFileSync(summary, 'utf8')).toContain(`### cdktf ${command}\n\ncannot ${command}: found Terraform 1.10.5 (terraform), but the stacks require Terraform >= 1.11.0`);
  });

  it.each(['1.11.0', '1.11.4', '1.12.0', '1.12.2'])('Terraform %s: the stacks run', (version) => {
    const r = fakeRun(['deploy', 'cluster'], { env: { FAKE_TF_VERSION: version } });
    expect(r.status).toBe(0);
    expect(r.log.filter((e) => e.kind === 'version')).toHaveLength(1);
    expect(r.started).toEqual(['cluster']);
  });

  it('output without a version (not the Terraform CLI): named, nothing runs', () => {
    const r = fakeRun(['diff'], { env: { FAKE_TF_VERSION_OUTPUT: 'tofu says hi\n' } });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^cannot diff: no Terraform or OpenTofu version in the output of `terraform version -json` \("tofu says hi"\); is terraform the Terraform or OpenTofu CLI\? Terraform >= 1\.11\.0 is required \(/);
    expect(r.log.map((e) => e.kind)).toEqual(['version']);
  });

  it('a core too old for -json (0.12) is read from its text and refused by version', () => {
    const r = fakeRun(['deploy'], { env: { FAKE_TF_VERSION_OUTPUT: 'Terraform v0.12.31\n' } });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^cannot deploy: found Terraform 0\.12\.31 \(terraform\), but the stacks require Terraform >= 1\.11\.0/);
    expect(r.started).toEqual([]);
  });

  it('missing: named, with the version required and where to get it', () => {
    const r = fakeRun(['destroy'], { path: pathWith({ docker: 0 }, { cdktf: true }) });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^cannot destroy: terraform is not installed \(not on PATH\)\. Terraform >= 1\.11\.0 is required/);
    expect(r.log).toEqual([]);
  });
});

describe('TERRAFORM_BINARY_NAME picks the engine for every call, as cdktf reads it', () => {
  // A PATH whose engine is called `tofu` only: a call to `terraform` would fail to start.
  const tofuOnly = () => pathWith({ docker: 0 }, { cdktf: true, terraform: true, engineName: 'tofu' });
  const calls = (r: ReturnType<typeof fakeRun>) => r.log.filter((e) => e.kind !== 'synth').map((e) => e.kind);

  it.each(['deploy', 'diff', 'destroy'])('%s runs version -json, init, and the stacks with it (no terraform on PATH)', (command) => {
    const r = fakeRun([command], { path: tofuOnly(), env: { TERRAFORM_BINARY_NAME: 'tofu' } });
    expect({ status: r.status, err: r.stderr }).toEqual({ status: 0, err: '' });
    expect(r.stdout).toMatch(/^engine: Terraform 1\.11\.4 \(tofu from TERRAFORM_BINARY_NAME\)$/m); // the fake answers in Terraform's shape
    expect(calls(r)[0]).toBe('version');
    expect(sorted(r.inits)).toEqual(sorted(dependencyOrder(manifest)));
    expect(sorted(r.started)).toEqual(sorted(dependencyOrder(manifest)));
    expect(r.stdout).toMatch(command === 'diff' ? /^== tofu plan cluster \(1\/7\)$/m : new RegExp(`^== cluster: tofu apply${command === 'destroy' ? ' -destroy' : ''} \\(\\d/7\\)$`, 'm'));
  });

  it('the lock step of stacks run in HCP Terraform too', () => {
    const r = fakeRun(['deploy', 'cluster'], { path: tofuOnly(), env: { TERRAFORM_BINARY_NAME: 'tofu', FAKE_CDKTF_CLOUD: '1' } });
    expect(r.status).toBe(0);
    expect(calls(r)).toEqual(['version', 'init', 'lock', 'start', 'end']);
  });

  it('a path works as well as a name', () => {
    const dir = tofuOnly();
    const r = fakeRun(['diff', 'cluster'], { path: pathWith({ docker: 0 }, { cdktf: true }), env: { TERRAFORM_BINARY_NAME: join(dir, 'tofu') } });
    expect(r.status).toBe(0);
    expect(r.started).toEqual(['cluster']);
  });

  it('empty means terraform, as in cdktf (`TERRAFORM_BINARY_NAME || "terraform"`)', () => {
    const r = fakeRun(['diff', 'cluster'], { env: { TERRAFORM_BINARY_NAME: '' } });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^engine: Terraform 1\.11\.4 \(terraform\)$/m);
  });

  it('missing: names the variable and the engine its name stands for', () => {
    const r = fakeRun(['deploy'], { path: pathWith({ docker: 0 }, { cdktf: true, terraform: true }), env: { TERRAFORM_BINARY_NAME: 'tofu' } });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^cannot deploy: tofu \(TERRAFORM_BINARY_NAME\) is not installed \(not on PATH\)\. OpenTofu >= 1\.11\.0 is required \(the stacks write credentials with write-only arguments and ephemeral resources, which OpenTofu 1\.11\.0 added to keep secrets out of the state\)\. Install OpenTofu 1\.11\.0 or newer: https:\/\/opentofu\.org\/docs\/intro\/install\/ .*or unset TERRAFORM_BINARY_NAME to run Terraform\.\n$/);
    expect(r.log).toEqual([]); // the terraform on PATH was not used instead
  });
});

describe('npm run deploy', () => {
  it('synthesizes once, then applies every stack after its dependencies, independent ones side by side, with a summary', () => {
    const r = fakeRun(['deploy'], { env: SLOW_TF });
    expect(r.status).toBe(0);
    expect(r.log.filter((e) => e.kind === 'synth')).toHaveLength(1);
    // one `terraform version -json` first (the preflight), then the synth
    expect(r.log.slice(0, 2).map((e) => `${e.kind} ${e.rest}`.trim())).toEqual(['version -json', 'synth']);
    expect(r.log.filter((e) => e.kind === 'version')).toHaveLength(1);
    expect(sorted(r.started)).toEqual(sorted(dependencyOrder(manifest)));
    expectDependencyOrder(r.log);
    expect(overlapped(r.log, 'jaeger', 'kibana')).toBe(true); // both need only the cluster and elasticsearch
    expect(overlapped(r.log, 'elasticsearch', 'jaeger')).toBe(false); // jaeger reads elasticsearch's outputs
    expect(r.stdout).toMatch(/== cdktf deploy summary\nstack\s+to add\s+to change\s+to destroy\s+result\s+duration/);
    for (const s of dependencyOrder(manifest)) expect(rowOf(r.stdout, s)).toMatch(new RegExp(`^${s}\\s+3\\s+0\\s+0\\s+ok\\s+\\d+\\.\\ds$`));
    expect(r.stdout).toMatch(/^elasticsearch +Apply complete! Resources: 3 added, 0 changed, 0 destroyed\.$/m); // Terraform's output is streamed, behind the stack's name
  });

  it('runs terraform init only where the working directory is not initialized for the same providers and lock file', () => {
    const first = fakeRun(['deploy']);
    expect(sorted(first.inits)).toEqual(sorted(dependencyOrder(manifest)));
    const again = fakeRun(['deploy'], { cwd: first.cwd });
    expect(again.status).toBe(0);
    expect(again.inits).toEqual([]);
    expect(sorted(again.started)).toEqual(sorted(dependencyOrder(manifest)));
    // a new provider version: every stack needs init again
    const upgraded = fakeRun(['deploy'], { cwd: first.cwd, env: { FAKE_CDKTF_PROVIDER_VERSION: '2.39.0' } });
    expect(sorted(upgraded.inits)).toEqual(sorted(dependencyOrder(manifest)));
    for (const s of manifest) expect(upgraded.log.find((e) => e.kind === 'init' && e.stack === s.name)!.at).toBeLessThan(upgraded.log.find((e) => e.kind === 'start' && e.stack === s.name)!.at);
    // a lock file changed behind our back (e.g. by another tool): init again there only
    writeFileSync(join(first.cwd, 'cdktf.out', 'stacks', 'jaeger', '.terraform.lock.hcl'), '# another lock\n');
    expect(fakeRun(['deploy'], { cwd: first.cwd, env: { FAKE_CDKTF_PROVIDER_VERSION: '2.39.0' } }).inits).toEqual(['jaeger']);
  });

  it('for stacks run in HCP Terraform, adds linux_amd64 to the lock file after init, as cdktf does', () => {
    const cloud = fakeRun(['deploy', 'cluster', 'jaeger'], { env: { FAKE_CDKTF_CLOUD: '1' } });
    expect(cloud.status).toBe(0);
    expect(cloud.log.filter((e) => e.kind === 'lock').map((e) => `${e.cmd} ${e.rest}`)).toEqual(['cluster -platform=linux_amd64 -no-color', 'jaeger -platform=linux_amd64 -no-color']);
    expect(fakeRun(['deploy', 'cluster']).log.filter((e) => e.kind === 'lock')).toEqual([]);
  });

  it('when Terraform still asks for init, runs it and the stack once more', () => {
    const first = fakeRun(['deploy']);
    const r = fakeRun(['deploy'], { cwd: first.cwd, env: { FAKE_TF_ASK_INIT: 'jaeger' } });
    expect(r.status).toBe(0);
    expect(r.inits).toEqual(['jaeger']);
    expect(r.started.filter((s) => s === 'jaeger')).toHaveLength(2);
    expect(rowOf(r.stdout, 'jaeger')).toMatch(/^jaeger\s+3\s+0\s+0\s+ok/);
  });

  it('stops at the first failure (what already runs finishes), naming it and the stacks not run, and exits 1', () => {
    // jaeger, kibana and logging start together once elasticsearch is applied; jaeger fails.
    const r = fakeRun(['deploy'], { fail: 'jaeger' });
    expect(r.status).toBe(1);
    expect(sorted(r.started)).toEqual(['cluster', 'elasticsearch', 'jaeger', 'kibana', 'logging']);
    expect(r.stderr).toContain('deploy stopped at stack jaeger: Unable to find remote state (exit 1). Not run: otel-collector, sample-app.');
    expect(rowOf(r.stdout, 'jaeger')).toMatch(/failed: Unable to find remote state \(exit 1\)\s+\d+\.\ds$/);
    for (const s of ['kibana', 'logging']) expect(rowOf(r.stdout, s)).toMatch(new RegExp(`^${s}\\s+3\\s+0\\s+0\\s+ok`));
    for (const s of ['otel-collector', 'sample-app']) expect(rowOf(r.stdout, s)).toMatch(/-\s+-\s+-\s+not run\s+-$/);
  });

  it('stack names select a subset, still in order; cdktf options after -- become Terraform options', () => {
    const r = fakeRun(['deploy', 'sample-app', 'elasticsearch', '--', '--terraform-parallelism', '5', '--var=x=1', '--no-color']);
    expect(r.status).toBe(0);
    expect(r.started).toEqual(['elasticsearch', 'sample-app']);
    // sample-app reads from elasticsearch only through otel-collector (not selected): it still waits
    expect(overlapped(r.log, 'elasticsearch', 'sample-app')).toBe(false);
    expect(r.log.find((e) => e.kind === 'start' && e.stack === 'elasticsearch')!.rest).toBe('-parallelism=5 -var=x=1 -no-color');
    expect(r.log.find((e) => e.kind === 'init' && e.stack === 'elasticsearch')!.rest).toBe('-no-color');
  });

  it('-- --parallelism 1 runs one stack at a time; --migrate-state re-inits with it; --skip-synth uses cdktf.out as it is', () => {
    const serial = fakeRun(['deploy', '--', '--parallelism', '1']);
    expect(serial.status).toBe(0);
    expect(serial.started).toEqual(dependencyOrder(manifest));
    expect(overlapped(serial.log, 'jaeger', 'kibana')).toBe(false);
    const migrate = fakeRun(['deploy', 'cluster', '--', '--migrate-state', '--skip-synth'], { cwd: serial.cwd });
    expect(migrate.status).toBe(0);
    expect(migrate.log.filter((e) => e.kind === 'synth')).toEqual([]);
    expect(migrate.log.filter((e) => e.kind === 'init').map((e) => `${e.stack} ${e.rest}`)).toEqual(['cluster -no-color -migrate-state -force-copy']); // -no-color: output is not a terminal
  });

  it('an unknown stack name lists the valid ones; an unknown option gets the usage; an unsupported cdktf option is named', () => {
    const r = fakeRun(['deploy', 'grafana']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`cannot deploy: unknown stack grafana: the stacks are ${dependencyOrder(manifest).join(', ')}`);
    expect(r.started).toEqual([]);
    const u = fakeRun(['deploy', '--parallelism', '1']);
    expect(u.status).toBe(2);
    expect(u.stderr).toMatch(/unknown option --parallelism: put cdktf options after --\nusage/);
    const o = fakeRun(['deploy', '--', '--outputs-file', 'x.json']);
    expect(o.status).toBe(2);
    expect(o.stderr).toMatch(/^unsupported cdktf option --outputs-file\. After -- npm run deploy takes these cdktf options \(it runs Terraform itself\): --terraform-parallelism <n>, /);
    expect(o.log).toEqual([]);
  });
});

describe('npm run diff', () => {
  it('plans every stack at once, prints them in order, keeps going after an error, and exits 1 with the error in its row', () => {
    const summary = join(mkdtempSync(join(tmpdir(), 'summary-')), 'diff.md');
    const r = fakeRun(['diff', '--summary-file', summary], { fail: 'elasticsearch', env: SLOW_TF });
    expect(r.status).toBe(1);
    expect(sorted(r.started)).toEqual(sorted(dependencyOrder(manifest)));
    expect(overlapped(r.log, 'cluster', 'elasticsearch')).toBe(true); // read-only plans do not wait for each other
    const headers = [...r.stdout.matchAll(new RegExp(`^== terraform plan (\\S+) \\(\\d+/${manifest.length}\\)$`, 'gm'))].map((m) => m[1]);
    expect(headers).toEqual(dependencyOrder(manifest));
    expect(rowOf(r.stdout, 'cluster')).toMatch(/^cluster\s+0\s+0\s+0\s+no changes$/);
    expect(rowOf(r.stdout, 'jaeger')).toMatch(/^jaeger\s+1\s+1\s+1\s+ok$/);
    expect(rowOf(r.stdout, 'elasticsearch')).toMatch(/^elasticsearch\s+-\s+-\s+-\s+failed: Unable to find remote state \(exit 1\)$/);
    expect(rowOf(r.stdout, 'sample-app')).toMatch(/^sample-app\s+3\s+0\s+0\s+ok$/);
    expect(r.stderr).toContain(`1 of ${manifest.length} stacks failed: elasticsearch`);

    const md = readFileSync(summary, 'utf8');
    const rows = md.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| stack'));
    expect(rows.map((l) => l.split(' | ')[0].slice(2))).toEqual(dependencyOrder(manifest));
    expect(md).toContain('### cdktf diff');
    expect(md).toContain('| elasticsearch | - | - | - | failed: Unable to find remote state (exit 1) |');
    expect(md).toContain('| cluster | 0 | 0 | 0 | no changes |');
  });

  it('a failed synth runs no stack and still leaves a summary for the pull request', () => {
    const summary = join(mkdtempSync(join(tmpdir(), 'summary-')), 'diff.md');
    const r = fakeRun(['diff', '--summary-file', summary], { env: { FAKE_CDKTF_SYNTH_EXIT: '1' } });
    expect(r.status).toBe(1);
    expect(r.started).toEqual([]);
    expect(r.stderr).toContain('cannot diff: cdktf synth failed (exit 1)');
    expect(readFileSync(summary, 'utf8')).toMatch(/^### cdktf diff\n\ncannot diff: cdktf synth failed \(exit 1\)/);
  });

  it('exits 0 when every stack planned', () => {
    const r = fakeRun(['diff']);
    expect(r.status).toBe(0);
    expect(r.started).toHaveLength(manifest.length);
  });
});

describe('npm run destroy', () => {
  it('destroys every stack after the stacks that read from it, and completes (kind: no CRD step)', () => {
    const kubectlLog = join(mkdtempSync(join(tmpdir(), 'kubectl-')), 'kubectl.log');
    const r = fakeRun(['destroy'], { path: pathWith({ docker: 0 }, { cdktf: true, terraform: true, kubectl: { log: kubectlLog, exit: 0 } }) });
    expect(r.status).toBe(0);
    expect(sorted(r.started)).toEqual(sorted(destroyOrder(manifest)));
    expectDependencyOrder(r.log, true);
    expect(r.started[r.started.length - 1]).toBe('cluster');
    for (const s of manifest) expect(rowOf(r.stdout, s.name)).toMatch(/\s0\s+0\s+3\s+ok\s+\d+\.\ds$/);
    expect(r.stdout).toContain('ECK CRDs: nothing to remove, the kind cluster itself was deleted with the cluster stack.');
    expect(existsSync(kubectlLog)).toBe(false);
  });

  it('stops at the first failure and does not touch the CRDs', () => {
    const r = fakeRun(['destroy'], { fail: 'otel-collector' });
    expect(r.status).toBe(1);
    // what nothing else reads from goes first (kibana, logging, otel-collector, sample-app); jaeger, elasticsearch, cluster wait for otel-collector
    expect(sorted(r.started)).toEqual(['kibana', 'logging', 'otel-collector', 'sample-app']);
    expect(r.stderr).toContain('destroy stopped at stack otel-collector: Unable to find remote state (exit 1). Not run: jaeger, elasticsearch, cluster.');
    expect(r.stdout).not.toContain('ECK CRDs');
  });

  describe('ECK CRDs after a full destroy (existing cluster)', () => {
    const existing = () => {
      const dir = mkdtempSync(join(tmpdir(), 'kube-'));
      writeFileSync(join(dir, 'kubeconfig'), 'apiVersion: v1\nkind: Config\n');
      return { MONITORING_CLUSTER_MODE: 'existing', MONITORING_KUBECONFIG: join(dir, 'kubeconfig'), MONITORING_KUBE_CONTEXT: 'prod', MONITORING_SAMPLE_APP_IMAGE: 'ghcr.io/acme/sample-app:1.0.0' };
    };

    it('deletes them with kubectl and the selector after all stacks are gone', () => {
      const env = existing();
      const kubectlLog = join(mkdtempSync(join(tmpdir(), 'kubectl-')), 'kubectl.log');
      const r = fakeRun(['destroy'], { env, path: pathWith({}, { cdktf: true, terraform: true, kubectl: { log: kubectlLog, exit: 0 } }) });
      expect(r.status).toBe(0);
      expect(readFileSync(kubectlLog, 'utf8').trim()).toBe(`--kubeconfig ${env.MONITORING_KUBECONFIG} --context prod delete crd -l ${ECK_CRD_SELECTOR} --ignore-not-found`);
      expect(r.stdout).toContain(`ECK CRDs (kept by Helm) removed (none was left), with:\n  kubectl --kubeconfig ${env.MONITORING_KUBECONFIG} --context prod delete crd`);
    });

    it('leaves them after a partial destroy', () => {
      const kubectlLog = join(mkdtempSync(join(tmpdir(), 'kubectl-')), 'kubectl.log');
      const r = fakeRun(['destroy', 'sample-app', 'logging'], { env: { ...existing(), ...SLOW_TF }, path: pathWith({}, { cdktf: true, terraform: true, kubectl: { log: kubectlLog, exit: 0 } }) });
      expect(r.status).toBe(0);
      expect(sorted(r.started)).toEqual(['logging', 'sample-app']);
      expect(overlapped(r.log, 'logging', 'sample-app')).toBe(true); // neither reads from the other
      expect(existsSync(kubectlLog)).toBe(false);
      expect(r.stdout).toContain('ECK CRDs left in place: only some stacks were destroyed');
    });

    it('without kubectl (or when it fails) prints the command and still exits 0', () => {
      const env = existing();
      const command = `kubectl --kubeconfig ${env.MONITORING_KUBECONFIG} --context prod delete crd -l ${ECK_CRD_SELECTOR} --ignore-not-found`;
      const missing = fakeRun(['destroy'], { env, path: pathWith({}, { cdktf: true, terraform: true }) });
      expect(missing.status).toBe(0);
      expect(missing.stdout).toContain(`ECK CRDs (kept by Helm) NOT removed: kubectl is not installed. Remove them with:\n  ${command}`);

      const kubectlLog = join(mkdtempSync(join(tmpdir(), 'kubectl-')), 'kubectl.log');
      const failing = fakeRun(['destroy'], { env, path: pathWith({}, { cdktf: true, terraform: true, kubectl: { log: kubectlLog, exit: 1 } }) });
      expect(failing.status).toBe(0);
      expect(failing.stdout).toContain(`NOT removed: kubectl exited with 1. Remove them with:\n  ${command}`);
    });
  });

  describe('ECK CRDs after a full destroy, environment mode: the real kubectl with the KUBE_* variables the providers read', () => {
    // kubectl itself (a real one is needed: CI runners have it); the API server's place is taken
    // by a TLS listener that refuses every request, so what is checked is what kubectl sent
    // (address, TLS trust, credentials) and how a refusal is reported; no CRD is deleted here.
    let api: RefusingApi;
    let server: Pem;
    let client: Pem;
    const requests = () => api.requests();
    const pathWithKubectl = () => {
      const kubectl = realKubectl();
      const dir = pathWith({}, { cdktf: true, terraform: true });
      symlinkSync(kubectl, join(dir, 'kubectl'));
      return dir;
    };
    const environment = (kube: Record<string, string>) => ({ MONITORING_CLUSTER_MODE: 'environment', MONITORING_SAMPLE_APP_IMAGE: 'ghcr.io/acme/sample-app:1.0.0', ...kube });

    beforeAll(async () => {
      api = await startRefusingApi();
      ({ server, client } = api);
    });
    afterAll(() => api?.stop());
    beforeEach(() => api.clear());

    it('KUBE_HOST, KUBE_CLUSTER_CA_CERT_DATA, KUBE_TOKEN: kubectl reaches that host, trusting that CA, with that token; the refusal is reported, the destroy still succeeds, no secret printed', () => {
      const r = fakeRun(['destroy'], { env: environment({ KUBE_HOST: `127.0.0.1:${api.port}`, KUBE_CLUSTER_CA_CERT_DATA: server.cert, KUBE_TOKEN: 'token-of-the-providers' }), path: pathWithKubectl() });
      expect(r.status).toBe(0);
      const seen = requests();
      expect(seen.length).toBeGreaterThan(0);
      for (const q of seen) expect(q.authorization).toBe('Bearer token-of-the-providers');
      expect(r.stdout).toMatch(/ECK CRDs \(kept by Helm\) NOT removed: kubectl exited with 1: error: You must be logged in to the server[^\n]*\. Remove them with:\n  kubectl --kubeconfig '<a kubeconfig made of KUBE_HOST, KUBE_TOKEN, KUBE_CLUSTER_CA_CERT_DATA>' delete crd -l app\.kubernetes\.io\/name=eck-operator-crds --ignore-not-found/);
      expect(r.out).not.toContain('token-of-the-providers');
    });

    it('KUBE_CLIENT_CERT_DATA and KUBE_CLIENT_KEY_DATA: kubectl presents that client certificate', () => {
      const r = fakeRun(['destroy'], { env: environment({ KUBE_HOST: `https://127.0.0.1:${api.port}`, KUBE_CLUSTER_CA_CERT_DATA: server.cert, KUBE_CLIENT_CERT_DATA: client.cert, KUBE_CLIENT_KEY_DATA: client.key }), path: pathWithKubectl() });
      expect(r.status).toBe(0);
      const seen = requests();
      expect(seen.length).toBeGreaterThan(0);
      for (const q of seen) expect(q).toMatchObject({ clientCn: 'deployer', authorization: null });
    });

    it('KUBE_CONFIG_PATH and KUBE_CTX select a context of a kubeconfig; KUBE_TOKEN is applied over it, as the providers do', () => {
      const kubeconfig = join(api.dir, 'kubeconfig');
      const cluster = (server_: string) => ({ server: server_, 'certificate-authority-data': Buffer.from(server.cert).toString('base64') });
      writeFileSync(
        kubeconfig,
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [{ name: 'dev', cluster: cluster('https://127.0.0.1:1') }, { name: 'prod', cluster: cluster(`https://127.0.0.1:${api.port}`) }],
          users: [{ name: 'dev', user: { token: 'dev-token' } }, { name: 'prod', user: { token: 'prod-token' } }],
          contexts: [{ name: 'dev', context: { cluster: 'dev', user: 'dev' } }, { name: 'prod', context: { cluster: 'prod', user: 'prod' } }],
          'current-context': 'dev',
        }),
      );
      const selected = fakeRun(['destroy'], { env: environment({ KUBE_CONFIG_PATH: kubeconfig, KUBE_CTX: 'prod' }), path: pathWithKubectl() });
      expect(selected.status).toBe(0);
      expect(new Set(requests().map((q) => q.authorization))).toEqual(new Set(['Bearer prod-token']));
      api.clear();
      const overridden = fakeRun(['destroy'], { env: environment({ KUBE_CONFIG_PATH: kubeconfig, KUBE_CTX: 'prod', KUBE_TOKEN: 'override-token' }), path: pathWithKubectl() });
      expect(overridden.status).toBe(0);
      expect(new Set(requests().map((q) => q.authorization))).toEqual(new Set(['Bearer override-token']));
    });

    it('no KUBE_* variable in this shell (Terraform Cloud keeps them in the workspaces): says so, kubectl is not run', () => {
      const kubectlLog = join(mkdtempSync(join(tmpdir(), 'kubectl-')), 'kubectl.log');
      const r = fakeRun(['destroy'], { env: environment({}), path: pathWith({}, { cdktf: true, terraform: true, kubectl: { log: kubectlLog, exit: 0 } }) });
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('ECK CRDs (kept by Helm) NOT removed: no KUBE_HOST, KUBE_CONFIG_PATH or KUBE_CONFIG_PATHS in this shell (cluster.mode environment: the providers read the cluster from these variables; in Terraform Cloud they are workspace variables, which remote runs see and this shell does not). Remove them with:');
      expect(existsSync(kubectlLog)).toBe(false);
    });
  });
});

describe('npm run list / synth', () => {
  it('list prints the stacks in dependency order, one a line, and nothing else on stdout', () => {
    const r = fakeRun(['list']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(dependencyOrder(manifest).join('\n') + '\n');
    expect(r.stderr).toContain('Generated Terraform code');
  });

  it('synth runs cdktf synth once and shows the order', () => {
    const r = fakeRun(['synth']);
    expect(r.status).toBe(0);
    expect(r.log.map((e) => e.kind)).toEqual(['synth']);
    expect(r.stdout).toContain(`stacks in dependency order: ${dependencyOrder(manifest).join(' → ')}`);
  });
});
