import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MINIMUM_TERRAFORM_VERSION, TERRAFORM_VERSION_CONSTRAINT, TESTED_TERRAFORM_VERSION } from '../constructs/terraform/required-version';
import { firstErrorLine } from '../ops/stack-order';
import { checkEngine, meetsMinimum, parseEngineVersion, VersionProbe } from '../ops/terraform-version';

const terraformVersionProblem = (command: string, probe: VersionProbe) => checkEngine(command, probe).problem;
const parseTerraformVersion = (stdout: string) => {
  const found = parseEngineVersion(stdout);
  expect(found.engine).toBe('Terraform');
  return found.version;
};
import { build, config, synth } from './helpers';

/**
 * Terraform >= 1.11 (write-only arguments keep secrets out of the state): every stack says so in
 * its required_version, the real Terraform reads that constraint as we do, and the preflight of
 * `npm run deploy|diff|destroy` (scripts/run-stacks.ts, end to end in run-stacks.test.ts) refuses
 * an older core before any stack runs. No Terraform older than the one installed can be run here
 * (no network to releases.hashicorp.com): the refusal of an older core is shown with the real
 * Terraform refusing constraints above its own version, and the comparison is checked against it.
 */
jest.setTimeout(120_000);

const scratch = mkdtempSync(join(tmpdir(), 'terraform-version-'));
const cliConfig = join(scratch, 'empty.tfrc');
writeFileSync(cliConfig, '');
writeFileSync(join(scratch, 'kubeconfig'), 'apiVersion: v1\nkind: Config\n');
const terraform = (args: string[], cwd = scratch) => {
  const r = spawnSync('terraform', args, { cwd, encoding: 'utf8', env: { PATH: process.env.PATH!, HOME: process.env.HOME!, CHECKPOINT_DISABLE: '1', TF_CLI_CONFIG_FILE: cliConfig, TF_IN_AUTOMATION: '1' } });
  if (r.error) throw new Error(`this test runs the real Terraform: ${r.error.message}`);
  return r;
};

/** The real `terraform validate -json` of a configuration holding only `required_version`. */
let n = 0;
function validateRequiredVersion(constraint: string): { valid: boolean; diagnostics: { summary: string; detail: string }[] } {
  const dir = join(scratch, `c${n++}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'main.tf.json'), JSON.stringify({ terraform: { required_version: constraint } }));
  return JSON.parse(terraform(['validate', '-json'], dir).stdout);
}

describe('required_version in every stack', () => {
  const image = 'ghcr.io/acme/sample-app:1.0.0';
  const profiles = {
    'dev (default, kind)': config(),
    'production (existing cluster)': config({ profile: 'production', cluster: { mode: 'existing', kubeconfigPath: join(scratch, 'kubeconfig'), context: 'prod' }, sampleApp: { image } }),
    'production, Terraform Cloud backend': config({ profile: 'production', cluster: { mode: 'environment', name: 'prod' }, sampleApp: { image }, backend: { type: 'cloud', organization: 'acme' } }),
  };

  it.each(Object.entries(profiles))('%s: every synthesized cdk.tf.json requires Terraform >= 1.11.0', (_label, cfg) => {
    const stacks = Object.values(build(cfg));
    expect(stacks.map((s) => s.node.id).sort()).toEqual(['cluster', 'elasticsearch', 'jaeger', 'kibana', 'logging', 'otel-collector', 'sample-app']);
    for (const stack of stacks) expect({ stack: stack.node.id, required_version: synth(stack).terraform?.required_version }).toEqual({ stack: stack.node.id, required_version: '>= 1.11.0' });
  });

  it('the cloud backend and the provider pins stay beside it in the same terraform block', () => {
    const json = synth(build(profiles['production, Terraform Cloud backend']).elasticsearch);
    expect(json.terraform).toMatchObject({ required_version: TERRAFORM_VERSION_CONSTRAINT, cloud: { organization: 'acme', workspaces: { name: 'monitoring-elasticsearch' } } });
    expect(Object.keys(json.terraform.required_providers)).toContain('kubernetes');
  });
});

describe('the real Terraform and the constraint', () => {
  const installed = parseTerraformVersion(terraform(['version', '-json']).stdout);

  it(`its real \`terraform version -json\` parses, and meets the minimum (CI installs ${TESTED_TERRAFORM_VERSION})`, () => {
    expect(installed).toMatch(/^\d+\.\d+\.\d+/);
    expect(meetsMinimum(installed)).toBe(true);
  });

  it(`accepts the stacks' constraint ${TERRAFORM_VERSION_CONSTRAINT}`, () => {
    expect(validateRequiredVersion(TERRAFORM_VERSION_CONSTRAINT)).toMatchObject({ valid: true, diagnostics: [] });
  });

  it("refuses a core older than the constraint with its own message (here: itself against a higher minimum)", () => {
    const r = validateRequiredVersion('>= 1.11.5');
    expect(r.valid).toBe(false);
    expect(r.diagnostics.map((d) => d.summary)).toEqual(['Unsupported Terraform Core version']);
    expect(r.diagnostics[0].detail).toMatch(new RegExp(`^This configuration does not support Terraform version ${installed.replace(/\./g, '\\.')}\\. To proceed, either choose another supported Terraform version or update this version constraint\\.`));
    // What a stack run by an older core (e.g. a Terraform Cloud workspace on 1.10) shows in the summary table of npm run deploy/diff
    const plan = terraform(['plan', '-no-color', '-input=false'], join(scratch, `c${n - 1}`));
    expect(plan.status).toBe(1);
    expect(firstErrorLine(plan.stdout + plan.stderr)).toBe('Unsupported Terraform Core version');
  });

  it('decides ">= X" exactly as our preflight does, on both sides of the installed version', () => {
    const minimums = ['0.12.31', '1.5.7', '1.10.5', '1.11.0', '1.11.3', '1.11.4', '1.11.5', '1.11.10', '1.12.0', '2.0.0'];
    const real = minimums.map((m) => [m, validateRequiredVersion(`>= ${m}`).valid]);
    expect(real).toEqual(minimums.map((m) => [m, meetsMinimum(installed, m)]));
    // both outcomes occur, so this compares something
    expect(new Set(real.map(([, ok]) => ok))).toEqual(new Set([true, false]));
  });
});

describe('parseEngineVersion, Terraform', () => {
  it('reads terraform_version of `terraform version -json` (Terraform: it has terraform_outdated)', () => {
    expect(parseTerraformVersion('{\n  "terraform_version": "1.10.5",\n  "platform": "linux_amd64",\n  "provider_selections": {},\n  "terraform_outdated": true\n}\n')).toBe('1.10.5');
    expect(parseTerraformVersion('{"terraform_version":"1.12.0-alpha20250213","platform":"darwin_arm64","terraform_outdated":false}')).toBe('1.12.0-alpha20250213');
  });

  it('reads the first line of a core too old to know -json (before 0.13)', () => {
    expect(parseTerraformVersion('Terraform v0.12.31\n\nYour version of Terraform is out of date!')).toBe('0.12.31');
  });

  it.each([
    ['', /\(empty\)$/],
    ['not terraform at all', /\("not terraform at all"\)$/],
    ['{"terraform_version": 1.11}', /terraform_version/],
    ['{"platform": "linux_amd64"}', /platform/],
    ['{"terraform_version": "1.11"', /terraform_version/],
    ['OpenTofu 1.9.0', /OpenTofu/],
  ])('throws on output without a version: %j', (out, shown) => {
    expect(() => parseEngineVersion(out)).toThrow(/^no Terraform or OpenTofu version in the output of `terraform version -json`/);
    expect(() => parseEngineVersion(out)).toThrow(shown);
  });
});

describe('meetsMinimum (Terraform compares its version core: prereleases count as their release)', () => {
  it.each([
    ['1.10.5', false],
    ['1.10.99', false],
    ['0.15.5', false],
    ['1.11.0', true],
    ['1.11.4', true],
    ['1.12.2', true],
    ['1.13.0', true],
    ['2.0.0', true],
    ['1.11.0-rc1', true],
    ['1.10.0-beta1', false],
    ['1.12.0-alpha20250213', true],
  ])(`%s meets >= ${MINIMUM_TERRAFORM_VERSION}: %s`, (version, ok) => {
    expect(meetsMinimum(version)).toBe(ok);
  });
});

describe('checkEngine (Terraform): one error naming found, required, why and the fix', () => {
  const ok = (stdout: string) => ({ status: 0, stdout, stderr: '' });
  const json = (v: string) => ok(JSON.stringify({ terraform_version: v, platform: 'linux_amd64', provider_selections: {}, terraform_outdated: false }));

  it('too old', () => {
    expect(terraformVersionProblem('deploy', json('1.10.5'))).toBe(
      'cannot deploy: found Terraform 1.10.5 (terraform), but the stacks require Terraform >= 1.11.0 (their required_version): the stacks write credentials with write-only arguments, which Terraform 1.11.0 added to keep secrets out of the state. ' +
        'Install Terraform 1.11.0 or newer: https://developer.hashicorp.com/terraform/install (tfenv: tfenv install 1.11.4 && tfenv use 1.11.4; GitHub Actions: hashicorp/setup-terraform with terraform_version: 1.11.4; Terraform Cloud runs use the workspace\'s "Terraform version" setting).',
    );
  });

  it('new enough: nothing to say but what it found', () => {
    for (const v of ['1.11.0', '1.11.4', '1.12.2']) expect(checkEngine('diff', json(v))).toEqual({ found: { engine: 'Terraform', version: v } });
  });

  it('missing, failing, unparsable: each says so, and what is required', () => {
    const enoent = Object.assign(new Error('spawnSync terraform ENOENT'), { code: 'ENOENT' });
    expect(terraformVersionProblem('destroy', { error: enoent, status: null, stdout: '', stderr: '' })).toMatch(/^cannot destroy: terraform is not installed \(not on PATH\)\. Terraform >= 1\.11\.0 is required \(the stacks write credentials with write-only arguments, .*\)\. Install Terraform 1\.11\.0 or newer: https:\/\/developer\.hashicorp\.com\/terraform\/install /);
    expect(terraformVersionProblem('diff', { status: 1, stdout: '', stderr: 'Error: something broke\n' })).toMatch(/^cannot diff: `terraform version -json` failed \(exit 1: Error: something broke\)\. Terraform >= 1\.11\.0 is required/);
    expect(terraformVersionProblem('diff', { status: null, signal: 'SIGKILL', stdout: '', stderr: '' })).toMatch(/^cannot diff: `terraform version -json` failed \(killed by SIGKILL\)\. Terraform >= 1\.11\.0 is required/);
    const eacces = Object.assign(new Error('spawnSync terraform EACCES'), { code: 'EACCES' });
    expect(terraformVersionProblem('deploy', { error: eacces, status: null, stdout: '', stderr: '' })).toMatch(/^cannot deploy: terraform could not be started \(spawnSync terraform EACCES\)\. Terraform >= 1\.11\.0 is required/);
    expect(terraformVersionProblem('deploy', ok('hello'))).toMatch(/^cannot deploy: no Terraform or OpenTofu version in the output of `terraform version -json` \("hello"\); is terraform the Terraform or OpenTofu CLI\? Terraform >= 1\.11\.0 is required/);
  });
});
