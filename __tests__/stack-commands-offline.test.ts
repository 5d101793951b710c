import { join } from 'node:path';
import { OfflineProject, TerraformCall } from '../checks/offline-project';
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
const npmRun = (...args: string[]) => project.run('npm', ['run', '--silent', ...args]);
const output = (r: { stdout: string; stderr: string }) => `${r.stdout}\n${r.stderr}`;
const isApply = (args: string[]) => args[0] === 'apply' && !args.includes('-destroy');
const isDestroy = (args: string[]) => args[0] === 'destroy' || (args[0] === 'apply' && args.includes('-destroy'));

describe("the card's commands: cdktf deploy '*' → cdktf diff <stack> → cdktf destroy '*'", () => {
  it('deploy applies every stack after the stacks it reads from, diff sees no change, destroy removes all in reverse order', () => {
    project.freshState();
    project.takeCalls();
    const deploy = cdktf('deploy', '*', '--auto-approve');
    expect({ status: deploy.status, tail: output(deploy).slice(-2000) }).toMatchObject({ status: 0 });
    expectOrdered(spans(project.takeCalls(), isApply), false);
    for (const s of manifest) expect(project.resources(s.name).length).toBeGreaterThan(0);

    const diff = cdktf('diff', 'otel-collector');
    expect({ status: diff.status, tail: output(diff).slice(-2000) }).toMatchObject({ status: 0 });
    expect(parsePlanSummary(output(diff), 'otel-collector')).toEqual({ kind: 'no-changes' });
    expect([...spans(project.takeCalls(), (a) => a[0] === 'plan').keys()]).toEqual(['otel-collector']);

    const destroy = cdktf('destroy', '*', '--auto-approve');
    expect({ status: destroy.status, tail: output(destroy).slice(-2000) }).toMatchObject({ status: 0 });
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
    expect({ status: deploy.status, tail: output(deploy).slice(-3000) }).toMatchObject({ status: 0 });
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
    expect({ status: again.status, tail: output(again).slice(-3000) }).toMatchObject({ status: 0 });
    const calls = project.takeCalls();
    expect(calls.filter((c) => c.event === 'start' && c.args[0] === 'init')).toEqual([]); // every directory is initialized
    for (const s of dependencyOrder(manifest)) expect(again.stdout).toMatch(new RegExp(`^${s}\\s+0\\s+0\\s+0\\s+no changes\\s+\\d`, 'm'));

    const diff = npmRun('diff');
    expect({ status: diff.status, tail: output(diff).slice(-3000) }).toMatchObject({ status: 0 });
    expect(spans(project.takeCalls(), (a) => a[0] === 'plan').size).toBe(manifest.length);
    for (const s of dependencyOrder(manifest)) expect(diff.stdout).toMatch(new RegExp(`^${s}\\s+0\\s+0\\s+0\\s+no changes$`, 'm'));

    const destroy = npmRun('destroy');
    expect({ status: destroy.status, tail: output(destroy).slice(-3000) }).toMatchObject({ status: 0 });
    expectOrdered(spans(project.takeCalls(), isDestroy), true);
    for (const s of manifest) expect(project.resources(s.name)).toEqual([]);
    expect(destroy.stdout).toContain('ECK CRDs: nothing to remove, the kind cluster itself was deleted with the cluster stack.');
  });
});
