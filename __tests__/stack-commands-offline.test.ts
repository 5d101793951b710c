import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { OfflineProject, TerraformCall } from '../checks/offline-project';
import { REVIEW_OVERRIDE_FILE, setReviewOverride } from '../ops/pending-inputs';
import { dependencyOrder, ManifestStack, parsePlanSummary, readManifest } from '../ops/stack-order';

/**
 * Both ways to run the stacks, end to end on a fresh state, offline: the REAL cdktf CLI and the
 * REAL Terraform (stand-in providers serving the real schemas, local state). What ran, and in
 * which order, is read from a log of every Terraform call. CI runs it again with OpenTofu
 * (TERRAFORM_BINARY_NAME; .ci/run's OpenTofu leg): both commands then run tofu for every call,
 * and tofu writes the states that the later deploys, plans and destroys read.
 */
jest.setTimeout(20 * 60_000);

const project = new OfflineProject({ logCalls: true });
let manifest: ManifestStack[];
afterAll(() => project.dispose());

beforeAll(() => {
  project.prepare();
  manifest = readManifest(join(project.dir, 'cdktf.out'));
});

/** Start and end of each stack's call that `matches` (the last one per stack). */
function spans(calls: TerraformCall[], matches: (args: string[]) => boolean): Map<string, { start: bigint; end: bigint }> {
  const out = new Map<string, { start: bigint; end: bigint }>();
  const open = new Map<string, bigint>();
  for (const c of calls) {
    if (c.event === 'start' && matches(c.args)) open.set(c.stack, c.atNs);
    if (c.event === 'end' && open.has(c.stack)) {
      out.set(c.stack, { start: open.get(c.stack)!, end: c.atNs });
      open.delete(c.stack);
    }
  }
  return out;
}

/** Every stack's call started after the calls of the stacks it must follow ended. */
function expectOrdered(ran: Map<string, { start: bigint; end: bigint }>, reverse: boolean): void {
  expect([...ran.keys()].sort()).toEqual(manifest.map((s) => s.name).sort());
  for (const s of manifest) {
    for (const d of s.dependencies) {
      const [first, then] = reverse ? [s.name, d] : [d, s.name];
      expect({ then, after: first, ok: ran.get(first)!.end <= ran.get(then)!.start }).toEqual({ then, after: first, ok: true });
    }
  }
}

const cdktf = (...args: string[]) => project.run(join(project.dir, 'node_modules', '.bin', 'cdktf'), args);
const npmIn = (p: OfflineProject) => (...args: string[]) => p.run('npm', ['run', '--silent', ...args]);
const npmRun = npmIn(project);
const output = (r: { stdout: string; stderr: string }) => `${r.stdout}\n${r.stderr}`;
/** The lines that say why a run failed: a failing stack's error sits in its own section, far above the end of npm run diff's output. */
const errorLines = (r: { stdout: string; stderr: string }) =>
  output(r)
    .split('\n')
    .filter((l) => /\bError\b|error:|failed|panic|killed/i.test(l))
    .slice(0, 20);
/** The command exited 0; otherwise the failure shows its error lines, then the end of its output (toMatchObject would hide it). */
const expectExitZero = (r: { status: number | null; stdout: string; stderr: string }, tailChars = 3000) =>
  expect(r.status === 0 ? { status: 0 } : { errors: errorLines(r), status: r.status, tail: output(r).slice(-tailChars) }).toEqual({ status: 0 });
const isApply = (args: string[]) => args[0] === 'apply' && !args.includes('-destroy');
const isDestroy = (args: string[]) => args[0] === 'destroy' || (args[0] === 'apply' && args.includes('-destroy'));

describe("the card's commands: cdktf deploy '*' → cdktf diff <stack> → cdktf destroy '*'", () => {
  it('deploy applies every stack after the stacks it reads from, diff sees no change, destroy removes all in reverse order', () => {
    project.freshState();
    project.takeCalls();
    const deploy = cdktf('deploy', '*', '--auto-approve');
    expectExitZero(deploy, 2000);
    expectOrdered(spans(project.takeCalls(), isApply), false);
    for (const s of manifest) expect(project.resources(s.name).length).toBeGreaterThan(0);

    const diff = cdktf('diff', 'otel-collector');
    expectExitZero(diff, 2000);
    expect(parsePlanSummary(output(diff), 'otel-collector')).toEqual({ kind: 'no-changes' });
    expect([...spans(project.takeCalls(), (a) => a[0] === 'plan').keys()]).toEqual(['otel-collector']);

    const destroy = cdktf('destroy', '*', '--auto-approve');
    expectExitZero(destroy, 2000);
    expectOrdered(spans(project.takeCalls(), isDestroy), true);
    for (const s of manifest) expect(project.resources(s.name)).toEqual([]);
  });
});

describe('npm run deploy → deploy again → diff → destroy', () => {
  it('deploys in dependency order, then changes nothing without re-initializing, plans no change, destroys in reverse', () => {
    project.freshState();
    project.takeCalls();
    // cdktf synth asks Terraform for its version itself; the preflight adds exactly one call.
    const versionCalls = (calls: TerraformCall[]) => calls.filter((c) => c.event === 'start' && c.args[0] === 'version').map((c) => c.args.join(' '));
    expect(npmRun('synth').status).toBe(0);
    const bySynth = versionCalls(project.takeCalls());
    const deploy = npmRun('deploy');
    expectExitZero(deploy);
    const deployCalls = project.takeCalls();
    // The preflight: one real `version -json` (1.11.4 meets the stacks' >= 1.11.0), before anything else, naming the engine.
    expect(deployCalls[0].args).toEqual(['version', '-json']);
    const engine = project.engine();
    expect(deploy.stdout).toMatch(new RegExp(`^engine: ${engine.engine} ${engine.version.replace(/\./g, '\\.')} `, 'm'));
    expect(versionCalls(deployCalls)).toEqual(['version -json', ...bySynth]);
    expectOrdered(spans(deployCalls, isApply), false);
    for (const s of dependencyOrder(manifest)) {
      expect({ s, resources: project.resources(s).length > 0, out: deploy.stdout.slice(-3000) }).toMatchObject({ s, resources: true });
      expect({ s, writtenBy: project.stateVersion(s) }).toEqual({ s, writtenBy: engine.version });
      expect(deploy.stdout).toMatch(new RegExp(`^${s}\\s+[1-9]\\d*\\s+0\\s+0\\s+ok\\s+\\d`, 'm'));
    }

    const again = npmRun('deploy');
    expectExitZero(again);
    const calls = project.takeCalls();
    expect(calls.filter((c) => c.event === 'start' && c.args[0] === 'init')).toEqual([]); // every directory is initialized
    for (const s of dependencyOrder(manifest)) expect(again.stdout).toMatch(new RegExp(`^${s}\\s+0\\s+0\\s+0\\s+no changes\\s+\\d`, 'm'));

    const diff = npmRun('diff');
    expectExitZero(diff);
    expect(spans(project.takeCalls(), (a) => a[0] === 'plan').size).toBe(manifest.length);
    for (const s of dependencyOrder(manifest)) expect(diff.stdout).toMatch(new RegExp(`^${s}\\s+0\\s+0\\s+0\\s+no changes$`, 'm'));

    const destroy = npmRun('destroy');
    expectExitZero(destroy);
    expectOrdered(spans(project.takeCalls(), isDestroy), true);
    for (const s of manifest) expect(project.resources(s.name)).toEqual([]);
    expect(destroy.stdout).toContain('ECK CRDs: nothing to remove, the kind cluster itself was deleted with the cluster stack.');
  });
});

// ---- review on any state: npm run diff before anything was deployed, partly deployed, after destroy ----

/** The summary row of `stack` (after `== cdktf <command> summary`). */
const rowOf = (out: string, stack: string) =>
  out
    .slice(out.search(/== cdktf \w+ summary\n/))
    .split('\n')
    .find((l) => l.startsWith(`${stack} `)) ?? '';

/** Each stack's plan as printed by npm run diff (between its `== <engine> plan <stack>` header and the next). */
function planSections(out: string): Map<string, string> {
  const parts = out.split(/^== \S+ plan (\S+) \(\d+\/\d+\)$/m);
  const sections = new Map<string, string>();
  for (let i = 1; i < parts.length; i += 2) sections.set(parts[i], parts[i + 1].split(/^== cdktf diff summary$/m)[0]);
  return sections;
}

/**
 * npm run diff planned every stack (exit 0, one plan call each, a plan summary in each stack's
 * output), read the producers' outputs before the first plan, and each row names exactly the
 * producers without state it waits for; no review file is left. `deployed`: the stacks with state.
 * Returns the run.
 */
function expectDiffPlansAll(p: OfflineProject, stacks: ManifestStack[], deployed: string[]) {
  p.takeCalls();
  const r = npmIn(p)('diff');
  expectExitZero(r);
  const calls = p.takeCalls();
  expect([...spans(calls, (a) => a[0] === 'plan').keys()].sort()).toEqual(stacks.map((s) => s.name).sort());
  // Producers' outputs are read before any plan runs: a plan locks its state and swaps its review override meanwhile.
  const firstPlan = calls.find((c) => c.event === 'start' && c.args[0] === 'plan')!.atNs;
  for (const [stack, read] of spans(calls, (a) => a[0] === 'output')) expect({ stack, outputReadBeforePlans: read.end <= firstPlan }).toEqual({ stack, outputReadBeforePlans: true });
  const sections = planSections(r.stdout);
  for (const s of stacks) {
    const waits = s.dependencies.filter((d) => !deployed.includes(d));
    const row = rowOf(r.stdout, s.name);
    const section = sections.get(s.name) ?? '';
    // A plan in the stack's own output, Terraform's: with changes (a stack without state adds), none, or outputs only.
    expect({ stack: s.name, summary: parsePlanSummary(section)?.kind ?? 'none' }).toEqual({ stack: s.name, summary: deployed.includes(s.name) ? expect.stringMatching(/^(no-changes|outputs-only|changes)$/) : expect.stringMatching(/^(changes|outputs-only)$/) });
    if (!deployed.includes(s.name) && parsePlanSummary(section)?.kind === 'changes') expect({ stack: s.name, row }).toEqual({ stack: s.name, row: expect.stringMatching(new RegExp(`^${s.name}\\s+[1-9]\\d*\\s+0\\s+0\\s+ok`)) });
    if (waits.length) {
      expect({ stack: s.name, row }).toEqual({ stack: s.name, row: expect.stringContaining(`; waits for ${waits.join(', ')} (not deployed): those inputs are (known after apply)`) });
      for (const d of waits) expect({ stack: s.name, pending: section }).toEqual({ stack: s.name, pending: expect.stringMatching(new RegExp(`data\\.terraform_remote_state\\.cross-stack-reference-input-${d} will be read during apply`)) });
    } else {
      expect({ stack: s.name, row }).toEqual({ stack: s.name, row: expect.not.stringContaining('waits for') });
      expect({ stack: s.name, section }).toEqual({ stack: s.name, section: expect.not.stringMatching(/terraform_remote_state.*will be read during apply/) });
    }
    expect(existsSync(join(p.dir, 'cdktf.out', s.workingDirectory, REVIEW_OVERRIDE_FILE))).toBe(false);
  }
  return r;
}

/** Deploy is refused before anything is applied (no apply call at all), with a message matching `why`. */
function expectDeployRefused(p: OfflineProject, args: string[], why: RegExp) {
  p.takeCalls();
  const r = npmIn(p)('deploy', ...args);
  expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 1, stderr: expect.stringMatching(why) });
  expect(p.takeCalls().filter((c) => c.event === 'start' && c.args[0] === 'apply')).toEqual([]);
}

/**
 * Both configurations a team starts with: kind mode with the local backend, and the CI's cloud
 * configuration (environment mode, one Terraform Cloud workspace per stack, remote state through
 * the `remote` backend). No Terraform Cloud here: for the latter an override file per stack maps
 * the `cloud` block and the `remote` state reads to local state files
 * (OfflineProject.mapCloudToLocalState); the synthesized JSON is run as it is, and the runner reads
 * each producer's outputs as it does with Terraform Cloud (`terraform output -json`, after init and
 * the lock step for remote runs).
 */
describe.each([
  ['kind mode, local backend', () => ({ project, mapped: false })],
  [
    'the cloud backend configuration (.github/monitoring-stack.cloud.yaml: environment mode, a workspace per stack)',
    () => {
      const cloud = new OfflineProject({ logCalls: true, env: { MONITORING_STACK_CONFIG: join(__dirname, '..', '.github', 'monitoring-stack.cloud.yaml'), TF_CLOUD_ORGANIZATION: 'acme', MONITORING_SAMPLE_APP_IMAGE: 'ghcr.io/acme/sample-app:1.0.0' } });
      cloud.prepare();
      cloud.mapCloudToLocalState();
      return { project: cloud, mapped: true };
    },
  ],
])('npm run diff on any state: %s', (_name, setup) => {
  let p: OfflineProject;
  let stacks: ManifestStack[];
  let mapped = false;
  beforeAll(() => {
    ({ project: p, mapped } = setup());
    stacks = readManifest(join(p.dir, 'cdktf.out'));
  });
  afterAll(() => {
    if (mapped) p.dispose();
  });

  it('nothing deployed (the first pull request): every stack is planned, each consumer with the inputs it waits for pending; exit 0', () => {
    p.freshState();
    expectDiffPlansAll(p, stacks, []);
    for (const s of stacks) expect(p.resources(s.name)).toEqual([]);
  });

  it('partly deployed: stacks with state plan no change, readers of a stack without state wait for it; deploy refuses a stack whose producer has no state, and a left-over review file, before applying anything', () => {
    // The first two stacks a deploy applies, and what they need.
    const first = dependencyOrder(stacks).slice(0, 2);
    const r = npmIn(p)('deploy', ...first);
    expectExitZero(r, 2000);
    const diff = expectDiffPlansAll(p, stacks, first);
    for (const s of first) expect(rowOf(diff.stdout, s)).toMatch(new RegExp(`^${s}\\s+0\\s+0\\s+0\\s+(no changes|ok, outputs only)`));

    const reader = stacks.find((s) => s.dependencies.some((d) => !first.includes(d)))!;
    const missing = reader.dependencies.find((d) => !first.includes(d))!;
    expectDeployRefused(p, [reader.name], new RegExp(`^cannot deploy: ${reader.name} reads the outputs of ${missing} \\(not deployed: no outputs in its state\\)\\. Nothing was applied\\. Deploy ${missing} first, or with it: npm run deploy -- `));

    const dir = join(p.dir, 'cdktf.out', 'stacks', reader.name);
    setReviewOverride(dir, [{ producer: missing, reason: 'no-state', missing: ['x'] }]);
    expectDeployRefused(p, [], new RegExp(`^cannot deploy: cdktf\\.out/stacks/${reader.name}/${REVIEW_OVERRIDE_FILE.replace(/\./g, '\\.')} is a review-only file left by an interrupted npm run diff \\(it makes the outputs of ${missing} unknown\\); nothing was applied\\. Delete and run again: rm `));
    // npm run diff itself replaces a left-over file with what it needs (here: none for stacks with state).
    expectDiffPlansAll(p, stacks, first);
  });

  it('after npm run destroy: every stack is planned again', () => {
    const deploy = npmIn(p)('deploy');
    expectExitZero(deploy, 2000);
    expectDiffPlansAll(p, stacks, stacks.map((s) => s.name));
    const destroy = npmIn(p)('destroy');
    expectExitZero(destroy, 2000);
    for (const s of stacks) expect(p.resources(s.name)).toEqual([]);
    expectDiffPlansAll(p, stacks, []);
  });
});
