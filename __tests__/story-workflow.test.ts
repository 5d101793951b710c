import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { actionlint, ACTIONLINT_VERSION, ensureActionlint, workflowFiles } from '../checks/actionlint';
import { loadConfig } from '../config/load';
import { kindKubeconfigPath } from '../constructs/kind/names';
import { FAKE_AGENT_KUBECTL_PODS, fakeWorld, fluentdKubectlPods, fluentdTargets } from './fake-world';
import { TESTED_TERRAFORM_VERSION } from '../constructs/terraform/required-version';

/**
 * The nightly/manual workflow that runs the README's story on a kind cluster cannot run here
 * (it needs Docker and a GitHub runner). What can be checked is: actionlint (built from its Go
 * module) accepts every workflow; it runs the README's commands, with the default config and the
 * pinned Terraform; and its steps that need no Docker (verify's table, the job summary, the
 * diagnostics) do what they say, executed here against fakes.
 */
jest.setTimeout(180_000);

const ROOT = join(__dirname, '..');
const FILE = join(ROOT, '.github', 'workflows', 'story-on-kind.yml');
const workflow = parse(readFileSync(FILE, 'utf8'));
const ci = parse(readFileSync(join(ROOT, '.github', 'workflows', 'ci.yml'), 'utf8'));
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const job = workflow.jobs.story;
const stepNamed = (name: string) => {
  const s = job.steps.find((st: any) => st.name === name);
  if (!s) throw new Error(`no step "${name}" in ${FILE}`);
  return s;
};
const KUBECTL = join(__dirname, 'fixtures', 'fake-kubectl.js');

const BASH = execFileSync('sh', ['-c', 'command -v bash'], { encoding: 'utf8' }).trim();

/** GitHub's `shell: bash`: bash --noprofile --norc -eo pipefail {0}. */
function runStep(script: string, cwd: string, env: NodeJS.ProcessEnv) {
  return spawnSync(BASH, ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], { cwd, env, encoding: 'utf8', timeout: 120_000 });
}

/** The same, without blocking this process (where the fake servers answer). */
function runStepAsync(script: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(BASH, ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('exit', (status) => resolve({ status, output }));
  });
}

describe('actionlint on every workflow', () => {
  // With shellcheck on PATH actionlint also checks every `run:` script with it.
  it(`actionlint ${ACTIONLINT_VERSION}, built from its Go module, finds nothing in .github/workflows`, () => {
    const binary = ensureActionlint();
    const files = workflowFiles(ROOT);
    expect(files).toEqual(['.github/workflows/ci.yml', '.github/workflows/story-on-kind.yml']);
    expect(actionlint(binary, ROOT, files)).toEqual([]);
  });

  it('is not a silent pass: a broken workflow is reported with its line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'actionlint-'));
    mkdirSync(join(dir, '.github', 'workflows'), { recursive: true });
    const broken = readFileSync(FILE, 'utf8').replace('if: always()', 'if: ${{ alwayz() }}').replace('runs-on: ubuntu-24.04', 'runs-on: ubuntu-24.04\n    timeout-minute: 90');
    writeFileSync(join(dir, '.github', 'workflows', 'story.yml'), broken);
    // shellcheck findings come only where shellcheck is installed: not counted here.
    const findings = actionlint(ensureActionlint(), dir, workflowFiles(dir)).filter((f) => f.kind !== 'shellcheck');
    expect(findings.map((f) => f.kind).sort()).toEqual(['expression', 'syntax-check']);
    expect(findings.find((f) => f.kind === 'expression')!.message).toMatch(/alwayz/);
  });

  it('says to install Go when it has to build actionlint and there is no go', () => {
    const cache = mkdtempSync(join(tmpdir(), 'tools-cache-'));
    const saved = { ...process.env };
    try {
      process.env.MONITORING_TOOLS_CACHE = cache;
      process.env.PATH = '/nonexistent';
      expect(() => ensureActionlint()).toThrow(/The Go toolchain \(`go`\) is not on PATH: the workflow lint builds actionlint v1\.7\.12 .* Install Go/);
    } finally {
      process.env.PATH = saved.PATH;
      if (saved.MONITORING_TOOLS_CACHE === undefined) delete process.env.MONITORING_TOOLS_CACHE;
      else process.env.MONITORING_TOOLS_CACHE = saved.MONITORING_TOOLS_CACHE;
    }
  });
});

describe('story-on-kind: the README\'s commands on a real cluster', () => {
  it('runs manually and nightly, never on pull requests or pushes', () => {
    expect(Object.keys(workflow.on).sort()).toEqual(['schedule', 'workflow_dispatch']);
    expect(workflow.on.schedule[0].cron).toMatch(/^\d+ \d+ \* \* \*$/);
    expect(workflow.permissions).toEqual({ contents: 'read' });
  });

  it('runs the README\'s commands in order: npm ci, deploy, verify, destroy (always)', () => {
    const story = /## The story[^\n]*\n\n```bash\n([\s\S]*?)```/.exec(readme)![1];
    const readmeCommands = story.split('\n').flatMap((l) => l.replace(/#.*$/, '').split('&&')).map((c) => c.trim()).filter(Boolean);
    const commands = job.steps.filter((s: any) => s.run).map((s: any) => (s.run as string).split('\n').map((l) => l.trim()).find((l) => l.startsWith('npm ')));
    const npm = commands.filter(Boolean).map((c: string) => c.split(' ').slice(0, 3).join(' '));
    // The story minus the interactive `open` and the review-only `diff`.
    expect(npm).toEqual(readmeCommands.filter((c) => c !== 'npm run open' && c !== 'npm run diff'));
    expect(npm).toEqual(['npm ci', 'npm run deploy', 'npm run verify', 'npm run destroy']);
    const steps = job.steps as any[];
    expect(steps[steps.length - 1]).toMatchObject({ name: 'Destroy', if: 'always()', run: 'npm run destroy' });
  });

  it('uses the default config (kind mode) and the Terraform version CI pins', () => {
    expect(workflow.env.MONITORING_STACK_CONFIG).toBe('');
    expect(existsSync(join(ROOT, 'monitoring-stack.yaml'))).toBe(false);
    const config = loadConfig({ cwd: ROOT, env: { MONITORING_STACK_CONFIG: '' } });
    expect(config).toMatchObject({ profile: 'dev', cluster: { mode: 'kind', name: 'monitoring' }, kibana: { enabled: true } });
    if (config.cluster.mode !== 'kind') throw new Error('the default config is not kind mode');
    expect(job.env.KUBECONFIG_PATH).toBe(kindKubeconfigPath(config.cluster.name));
    const tf = (w: any, j: string) => w.jobs[j].steps.find((s: any) => s.uses?.startsWith('hashicorp/setup-terraform')).with;
    expect(tf(workflow, 'story')).toEqual({ terraform_version: TESTED_TERRAFORM_VERSION, terraform_wrapper: false });
    expect(tf(workflow, 'story').terraform_version).toBe(tf(ci, 'test').terraform_version);
    expect(job.steps.find((s: any) => s.uses?.startsWith('helm/kind-action')).with).toMatchObject({ install_only: true });
  });

  it('uploads the diagnostics (verify table, pods, events, kind logs) only when something failed', () => {
    expect(stepNamed('Cluster state for the diagnostics').if).toBe('failure()');
    expect(stepNamed('Upload the diagnostics')).toMatchObject({ if: 'failure()', uses: 'actions/upload-artifact@v4', with: { path: 'diagnostics/' } });
  });
});

describe('story-on-kind: its Docker-free steps, executed here', () => {
  /** A self-signed certificate for "localhost" (the name verify reaches Elasticsearch by). */
  function localhostTls(dir: string): { key: string; cert: string } {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost', '-days', '1'], { stdio: 'ignore' });
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  }

  /** A workdir with kind mode's kubeconfig, where the verify step runs. */
  function workdir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'story-'));
    mkdirSync(join(dir, '.kind', 'monitoring'), { recursive: true });
    writeFileSync(join(dir, kindKubeconfigPath('monitoring')), 'apiVersion: v1\nkind: Config\n');
    return dir;
  }
  /** The step's script, with `npm run verify` as package.json runs it (the workdir has no package.json). */
  const verifyScript = () => {
    expect(pkg.scripts.verify).toBe('ts-node --transpile-only scripts/verify.ts');
    const run = stepNamed('Verify').run as string;
    expect(stepNamed('Verify').shell).toBe('bash');
    return run.replace('npm run verify', `node -r ${require.resolve('ts-node/register/transpile-only')} ${join(ROOT, 'scripts', 'verify.ts')}`);
  };

  it.each([
    ['a working stack', {}, 0, /every hop of the example scenario is working/],
    ['a stack whose Jaeger has no traces', { jaeger: 'missing' as const }, 1, /first failed hop: trace in Jaeger/],
  ])('Verify on %s: the table is written and the exit code is verify\'s (pipefail through tee)', async (_what, modes, code, table) => {
    const dir = workdir();
    const tls = localhostTls(dir);
    const world = await fakeWorld(modes, tls);
    try {
      const r = await runStepAsync(verifyScript(), dir, {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'),
        KUBECTL,
        VERIFY_TIMEOUT_SECONDS: '3',
        FAKE_KUBECTL_TARGETS: JSON.stringify({ 'svc/elasticsearch': world.ports.elasticsearch, 'svc/jaeger-query': world.ports.jaeger, 'svc/kibana-kb-http': world.ports.kibana, 'svc/sample-app': world.ports.app, 'svc/otel-collector': world.ports.prometheus, ...fluentdTargets(world.ports.fluentdPods) }),
        FAKE_KUBECTL_PODS: JSON.stringify([...fluentdKubectlPods, ...FAKE_AGENT_KUBECTL_PODS]),
        FAKE_KUBECTL_SECRETS: JSON.stringify({ 'elasticsearch-es-elastic-user/elastic': 'pw', 'elasticsearch-es-http-certs-public/ca.crt': tls.cert }),
      });
      expect(r.status).toBe(code);
      const written = readFileSync(join(dir, 'verify-table.txt'), 'utf8');
      expect(written).toMatch(table);
      expect(written).toMatch(/\d+ passed, \d+ failed/);

      // The next step puts the table into the job summary.
      const summary = join(dir, 'summary.md');
      writeFileSync(join(dir, 'deploy-summary.md'), '| stack | result |\n|---|---|\n| cluster | ok |\n');
      const s = runStep(stepNamed('Tables in the job summary').run, dir, { PATH: process.env.PATH, GITHUB_STEP_SUMMARY: summary });
      expect(s.status).toBe(0);
      expect(readFileSync(summary, 'utf8')).toBe(`| stack | result |\n|---|---|\n| cluster | ok |\n### npm run verify\n~~~\n${written}~~~\n`);
    } finally {
      await world.close();
    }
  });

  it('the diagnostics step collects pods, events, kind logs and the tables into what the upload step takes', () => {
    const dir = workdir();
    writeFileSync(join(dir, 'verify-table.txt'), 'FAILED  trace in Jaeger\n');
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    // kubectl and kind stand-ins that record how they were called.
    for (const tool of ['kubectl', 'kind']) {
      writeFileSync(join(bin, tool), `#!/bin/sh\necho "${tool} $*"\n${tool === 'kind' ? 'mkdir -p "$3" && echo node-log > "$3/kubelet.log"\n' : ''}`);
      chmodSync(join(bin, tool), 0o755);
    }
    const r = runStep(stepNamed('Cluster state for the diagnostics').run, dir, { PATH: `${bin}:${process.env.PATH}`, KUBECONFIG_PATH: job.env.KUBECONFIG_PATH });
    expect(r.status).toBe(0);
    const upload = join(dir, stepNamed('Upload the diagnostics').with.path);
    expect(readFileSync(join(upload, 'pods.txt'), 'utf8')).toBe('kubectl --kubeconfig .kind/monitoring/kubeconfig get pods -A -o wide\n');
    expect(readFileSync(join(upload, 'events.txt'), 'utf8')).toBe('kubectl --kubeconfig .kind/monitoring/kubeconfig get events -A --sort-by=.lastTimestamp\n');
    expect(readFileSync(join(upload, 'verify-table.txt'), 'utf8')).toBe('FAILED  trace in Jaeger\n');
    expect(readFileSync(join(upload, 'kind-logs', 'kubelet.log'), 'utf8')).toBe('node-log\n');
    // Without kubectl, kind or the tables (a run that failed at npm ci) the step still succeeds.
    const bare = join(dir, 'bare-bin');
    mkdirSync(bare);
    for (const tool of ['mkdir', 'cp']) symlinkSync(execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim(), join(bare, tool));
    const empty = mkdtempSync(join(tmpdir(), 'story-empty-'));
    expect(runStep(stepNamed('Cluster state for the diagnostics').run, empty, { PATH: bare, KUBECONFIG_PATH: job.env.KUBECONFIG_PATH }).status).toBe(0);
    expect(readFileSync(join(empty, 'diagnostics', 'pods.txt'), 'utf8')).toMatch(/kubectl: (command )?not found/);
  });
});
