import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../config/load';
import { providerSchemasDir } from '../checks/terraform-offline';
import { workflowFiles } from '../checks/actionlint';
import { TESTED_TERRAFORM_VERSION } from '../constructs/terraform/required-version';
import { meetsMinimum } from '../ops/terraform-version';
import { OfflineProject } from '../checks/offline-project';
import { dependencyOrder, readManifest } from '../ops/stack-order';
import { build, outdirOf } from './helpers';

const ROOT = join(__dirname, '..');
const workflow = parse(readFileSync(join(ROOT, '.github', 'workflows', 'ci.yml'), 'utf8'));
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const runs = (job: string): string[] => workflow.jobs[job].steps.filter((s: any) => s.run).map((s: any) => s.run.trim());

describe('CI workflow', () => {
  it('runs on pull requests and on pushes to main', () => {
    expect(workflow.on.pull_request).toBeDefined();
    expect(workflow.on.push.branches).toEqual(['main']);
  });

  const test = workflow.jobs.test;
  const step = (name: RegExp) => test.steps.find((st: any) => name.test(st.name ?? ''));

  it('the test job pins the real tools and feeds the tests the upstream data through the two variables', () => {
    expect(test.steps.find((st: any) => st.uses?.startsWith('actions/setup-node')).with['node-version']).toBe(20);
    expect(test.steps.find((st: any) => st.uses?.startsWith('actions/setup-go')).with['go-version-file']).toBe('tools/tf-standin/go.mod');
    expect(test.steps.find((st: any) => st.uses?.startsWith('hashicorp/setup-terraform')).with.terraform_version).toBe(TESTED_TERRAFORM_VERSION);
    expect(test.steps.find((st: any) => st.uses?.startsWith('azure/setup-helm')).with.version).toMatch(/^v3\.\d+\.\d+$/);
    expect(test.env).toEqual({ PROVIDER_SCHEMAS_DIR: '${{ github.workspace }}/.upstream/provider-schemas', CHART_DATA_DIR: '${{ github.workspace }}/.upstream' });
  });

  it('runs, in order: install, synth, the real validate, helm template, then the README test command', () => {
    const testCommand = /```bash\n[^\n]*\n(npm ci && npm test)\b/.exec(readme)![1];
    const order = runs('test');
    expect(order[0]).toBe('npm ci');
    expect(order[1]).toBe('npm run synth');
    expect(order[2]).toBe('npx ts-node --transpile-only checks/terraform-offline.ts validate cdktf.out --providers registry --schemas-out "$PROVIDER_SCHEMAS_DIR"');
    expect(order[3].split('\n')).toEqual([
      'npx ts-node --transpile-only checks/helm-releases.ts values cdktf.out .upstream/helm-values',
      'npx ts-node --transpile-only checks/helm-releases.ts template .upstream/helm-values',
      'npx ts-node --transpile-only checks/helm-releases.ts chart-data .upstream/helm-values "$CHART_DATA_DIR"',
    ]);
    // npm ci, then npm test: the README's command, after the data it needs exists.
    expect(`${order[0]} && ${order[order.length - 1]}`).toBe(testCommand);
    // The default config synthesizes every provider we pin (kind mode), not the cloud one.
    expect(step(/^Synth \(kind mode/).env).toEqual({ MONITORING_STACK_CONFIG: '', MONITORING_SAMPLE_APP_IMAGE: '' });
  });

  it('its check steps are the code paths the tests run: executed here offline (stand-in providers, a fake helm)', () => {
    const outdir = outdirOf(build());
    const work = mkdtempSync(join(tmpdir(), 'workflow-'));
    const helm = join(work, 'helm');
    writeFileSync(helm, `#!/bin/sh\ncase "$1" in\n  show) echo "# values of $2";;\n  pull) mkdir -p "$9/$2";;\nesac\n`);
    chmodSync(helm, 0o755);
    // The stand-ins read the schemas from PROVIDER_SCHEMAS_DIR; what the step writes goes elsewhere here.
    const schemasOut = join(work, 'provider-schemas');
    const env = { ...process.env, PROVIDER_SCHEMAS_DIR: providerSchemasDir(), CHART_DATA_DIR: join(work, 'chart-data'), HELM: helm };
    const lines = [step(/^Real terraform init/).run, step(/^helm template/).run]
      .join('\n')
      .trim()
      .split('\n')
      // Offline: the stand-ins instead of the registry's providers; this test's synth output.
      .map((l: string) => l.replace('--providers registry', '--providers standin').replace(/\bcdktf\.out\b/, outdir).replace(/\.upstream\/helm-values/g, join(work, 'helm-values')).replace('"$PROVIDER_SCHEMAS_DIR"', schemasOut));
    for (const line of lines) execFileSync('bash', ['-c', line], { cwd: ROOT, env, stdio: 'pipe' });
    expect(readdirSync(schemasOut).sort()).toEqual(['docker-3.6.2.json', 'helm-3.1.1.json', 'kind-0.11.0.json', 'kubernetes-2.38.0.json', 'local-2.6.1.json', 'random-3.7.2.json']);
    expect(existsSync(join(env.CHART_DATA_DIR, 'chart-values', 'opentelemetry-collector'))).toBe(true);
    expect(readdirSync(join(work, 'helm-values'))).toContain('index.json');
  }, 120_000);

  it('the production profile gets the same checks, executed here offline on its synth', () => {
    const prod = step(/^Production profile/);
    expect(prod.env.MONITORING_PROFILE).toBe('production');
    const loaded = loadConfig({ cwd: ROOT, env: { MONITORING_STACK_CONFIG: workflow.env.MONITORING_STACK_CONFIG, TF_CLOUD_ORGANIZATION: 'acme', ...prod.env } });
    expect(loaded).toMatchObject({ profile: 'production', cluster: { mode: 'environment' }, elasticsearch: { nodes: 3 }, collector: { layout: 'gateway' } });
    const outdir = outdirOf(build(loaded));
    const work = mkdtempSync(join(tmpdir(), 'workflow-prod-'));
    const helm = join(work, 'helm');
    writeFileSync(helm, `#!/bin/sh\necho "$@" >> "${join(work, 'helm.log')}"\n`);
    chmodSync(helm, 0o755);
    const env = { ...process.env, PROVIDER_SCHEMAS_DIR: providerSchemasDir(), HELM: helm };
    const lines = (prod.run as string)
      .trim()
      .split('\n')
      .filter((l) => !l.startsWith('npm run synth'))
      .map((l) => l.replace('--providers registry', '--providers standin').replace(/\bcdktf\.out\b/, outdir).replace(/\.upstream\/helm-values-production/g, join(work, 'helm-values')));
    for (const line of lines) execFileSync('bash', ['-c', line], { cwd: ROOT, env, stdio: 'pipe' });
    const templated = readFileSync(join(work, 'helm.log'), 'utf8').split('\n').filter((l) => l.startsWith('template'));
    // The collector releases (agent, gateway, cluster), Jaeger, the operator, Elasticsearch and Kibana: every release, rendered.
    expect(templated.map((l) => l.split(' ')[1]).sort()).toEqual(['eck-operator', 'elasticsearch', 'jaeger', 'kibana', 'otel-agent', 'otel-collector', 'otel-collector-cluster']);
  }, 120_000);

  it('pull requests get cdktf diff against Terraform Cloud with the token from secrets, summary posted', () => {
    const diff = workflow.jobs.diff;
    expect(diff.if).toBe("github.event_name == 'pull_request'");
    expect(diff.needs).toBe('test');
    const tf = diff.steps.find((s: any) => s.uses?.startsWith('hashicorp/setup-terraform'));
    expect(tf.with.cli_config_credentials_token).toBe('${{ secrets.TF_API_TOKEN }}');
    expect(runs('diff')).toContain('npm run diff -- --summary-file diff-summary.md');
    expect(pkg.scripts.diff).toContain('run-stacks.ts diff');
    const post = diff.steps.find((s: any) => s.uses?.startsWith('actions/github-script'));
    expect(post.with.script).toContain('createComment');
    expect(post.with.script).toContain("readFileSync('diff-summary.md'");
    // Posted even when a stack's diff failed (the table says which).
    expect(post.if).toBe('${{ !cancelled() }}');
    expect(diff.permissions['pull-requests']).toBe('write');
  });

  it('on a repository never deployed, the diff job plans every stack and posts the full table (its steps run here: stand-in providers, workspaces mapped to local state)', async () => {
    const diff = workflow.jobs.diff;
    const command = diff.steps.find((st: any) => /^cdktf diff of every stack/.test(st.name ?? '')).run.trim();
    const post = diff.steps.find((st: any) => st.uses?.startsWith('actions/github-script'));
    // The workflow's environment (its config file, relative to the checkout), a fresh organization.
    const env = { ...workflow.env, TF_CLOUD_ORGANIZATION: 'acme', MONITORING_SAMPLE_APP_IMAGE: 'ghcr.io/acme/sample-app:1.0.0', MONITORING_PROFILE: '' };
    const project = new OfflineProject({ env });
    const cwd = process.cwd();
    try {
      mkdirSync(join(project.dir, '.github'));
      copyFileSync(join(ROOT, env.MONITORING_STACK_CONFIG), join(project.dir, env.MONITORING_STACK_CONFIG));
      project.prepare();
      project.mapCloudToLocalState();
      const run = spawnSync('bash', ['-c', command], { cwd: project.dir, env: project.env(), encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
      expect({ status: run.status, tail: `${run.stdout}${run.stderr}`.slice(-3000) }).toMatchObject({ status: 0 });
      // The comment step, as actions/github-script runs it: an async function of github, context, require, in the checkout.
      const comments: { body: string; issue_number: number }[] = [];
      const github = { rest: { issues: { createComment: async (c: { body: string; issue_number: number }) => void comments.push(c) } } };
      const context = { repo: { owner: 'acme', repo: 'monitoring-stack' }, issue: { number: 7 } };
      process.chdir(project.dir);
      await new Function('github', 'context', 'require', `return (async () => {${post.with.script}})()`)(github, context, require);
      process.chdir(cwd);
      expect(comments).toHaveLength(1);
      expect(comments[0].issue_number).toBe(7);
      const body = comments[0].body;
      expect(body).toMatch(/^### cdktf diff\n/);
      const rows = body.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| stack'));
      const manifest = readManifest(join(project.dir, 'cdktf.out'));
      expect(rows.map((l) => l.split(' | ')[0].slice(2))).toEqual(dependencyOrder(manifest));
      for (const row of rows) expect(row).toMatch(/ \| (ok|no changes)[^|]*\|$/);
      for (const s of manifest.filter((m) => m.dependencies.length)) expect(rows.find((r) => r.startsWith(`| ${s.name} |`))).toContain(`waits for ${s.dependencies.join(', ')} (not deployed)`);
      expect(body).not.toContain('failed');
    } finally {
      process.chdir(cwd);
      project.dispose();
    }
  }, 600_000);

  it('main deploys through remote runs with the README deploy script', () => {
    const deploy = workflow.jobs.deploy;
    expect(deploy.if).toBe("github.event_name == 'push' && github.ref == 'refs/heads/main'");
    expect(runs('deploy').slice(0, 2)).toEqual(['npm ci', 'npm run deploy -- --summary-file deploy-summary.md']);
    expect(readme).toMatch(/^```bash\nnpm ci && npm run deploy/m);
  });

  it('its config file is a valid cloud/environment config', () => {
    const config = loadConfig({ cwd: ROOT, env: { MONITORING_STACK_CONFIG: workflow.env.MONITORING_STACK_CONFIG, TF_CLOUD_ORGANIZATION: 'acme', MONITORING_SAMPLE_APP_IMAGE: 'ghcr.io/acme/sample-app:1.0.0' } });
    expect(config.cluster.mode).toBe('environment');
    expect(config.backend).toMatchObject({ type: 'cloud', organization: 'acme', workspacePrefix: 'monitoring-' });
  });
});

describe('every workflow job that runs Terraform installs a pinned Terraform >= 1.11 first', () => {
  /** A step that runs Terraform: itself, the offline check, the tests (real terraform validate), or deploy/diff/destroy. */
  const RUNS_TERRAFORM = /\bterraform (init|plan|apply|validate|destroy)\b|checks\/terraform-offline\.ts|\bnpm (test|run (deploy|diff|destroy|check:terraform|e2e|bench))\b/;
  const jobs = workflowFiles(ROOT).flatMap((file) => Object.entries(parse(readFileSync(join(ROOT, file), 'utf8')).jobs as Record<string, any>).map(([name, job]) => ({ job: `${file}:${name}`, steps: job.steps as any[] })));

  it('finds the jobs that run it (CI test, diff, deploy; the story on kind)', () => {
    const running = jobs.filter((j) => j.steps.some((st) => RUNS_TERRAFORM.test(st.run ?? ''))).map((j) => j.job);
    expect(running.sort()).toEqual(['.github/workflows/ci.yml:deploy', '.github/workflows/ci.yml:diff', '.github/workflows/ci.yml:test', '.github/workflows/story-on-kind.yml:story']);
  });

  it.each(jobs.filter((j) => j.steps.some((st) => RUNS_TERRAFORM.test(st.run ?? ''))).map((j) => [j.job, j.steps]))('%s: setup-terraform pins the tested version, before the first step that runs Terraform, no wrapper', (_job, steps) => {
    const setup = (steps as any[]).findIndex((st) => st.uses?.startsWith('hashicorp/setup-terraform@'));
    const first = (steps as any[]).findIndex((st) => RUNS_TERRAFORM.test(st.run ?? ''));
    expect(setup).toBeGreaterThanOrEqual(0); // never the runner's default Terraform
    expect(setup).toBeLessThan(first);
    const pinned = (steps as any[])[setup].with;
    expect(pinned.terraform_version).toBe(TESTED_TERRAFORM_VERSION); // exact, not a range
    expect(meetsMinimum(pinned.terraform_version)).toBe(true); // write-only arguments need >= 1.11.0
    expect(pinned.terraform_wrapper).toBe(false);
  });
});
