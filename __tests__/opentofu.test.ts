import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { OfflineProject } from '../checks/offline-project';
import { ensureTofu, OPENTOFU_VERSION } from '../checks/opentofu';
import { OfflineTerraform, stacksOf } from '../checks/terraform-offline';
import { TERRAFORM_VERSION_CONSTRAINT, TESTED_OPENTOFU_VERSION } from '../constructs/terraform/required-version';
import { dependencyOrder, readManifest } from '../ops/stack-order';
import { checkEngine, meetsMinimum, parseEngineVersion } from '../ops/terraform-version';
import { build, config, outdirOf } from './helpers';

/**
 * OpenTofu as the engine (TERRAFORM_BINARY_NAME=tofu), with the real OpenTofu built from its Go
 * module (checks/opentofu.ts; .ci/run builds it before the tests, so this reuses the cache):
 * the preflight names it, OpenTofu reads the stacks' required_version as we do, `npm run
 * deploy|diff|destroy` runs with no `terraform` anywhere on PATH, and what OpenTofu does with
 * the synthesized `cloud` block. The suites that run the stacks (validate, deploy/diff/destroy,
 * no secret in state) run whole under OpenTofu in CI's OpenTofu leg (.ci/run).
 */
jest.setTimeout(20 * 60_000);

const ROOT = join(__dirname, '..');
const scratch = mkdtempSync(join(tmpdir(), 'opentofu-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let tofu: string;
beforeAll(() => {
  tofu = ensureTofu();
});

const engineEnv = () => ({ PATH: process.env.PATH!, HOME: process.env.HOME!, CHECKPOINT_DISABLE: '1', TF_CLI_CONFIG_FILE: join(scratch, 'empty.tfrc'), TF_IN_AUTOMATION: '1' });
writeFileSync(join(scratch, 'empty.tfrc'), '');
const run = (binary: string, args: string[], cwd = scratch) => {
  const r = spawnSync(binary, args, { cwd, encoding: 'utf8', env: engineEnv() });
  if (r.error) throw r.error;
  return r;
};

describe('the engine named by the real `version -json` of each', () => {
  it(`OpenTofu ${OPENTOFU_VERSION}, built from its Go module, is OpenTofu ${TESTED_OPENTOFU_VERSION}`, () => {
    const out = run(tofu, ['version', '-json']).stdout;
    expect(JSON.parse(out)).not.toHaveProperty('terraform_outdated'); // the shape that tells it from Terraform
    expect(parseEngineVersion(out, tofu)).toEqual({ engine: 'OpenTofu', version: TESTED_OPENTOFU_VERSION });
    // its plain form says so in words
    expect(parseEngineVersion(run(tofu, ['version']).stdout, tofu)).toEqual({ engine: 'OpenTofu', version: TESTED_OPENTOFU_VERSION });
  });

  it('Terraform is Terraform', () => {
    const out = run('terraform', ['version', '-json']).stdout;
    expect(parseEngineVersion(out).engine).toBe('Terraform');
    expect(parseEngineVersion(run('terraform', ['version']).stdout).engine).toBe('Terraform');
  });
});

describe("the stacks' required_version under OpenTofu", () => {
  // OpenTofu 1.12 reads `terraform { required_version }` only in its own files (.tofu, .tofu.json):
  // in .tf/.tf.json it takes the constraint for Terraform's and ignores it (opentofu
  // internal/configs/diagnostics.go, checkVersionRequirements). cdktf writes cdk.tf.json, so
  // OpenTofu itself never refuses a stack by version: the preflight is the guard.
  let n = 0;
  const validate = (file: string, constraint: string) => {
    const dir = join(scratch, `rv${n++}`);
    mkdirSync(dir);
    writeFileSync(join(dir, file), JSON.stringify({ terraform: { required_version: constraint } }));
    return JSON.parse(run(tofu, ['validate', '-json'], dir).stdout) as { valid: boolean; diagnostics: { summary: string; detail: string }[] };
  };

  it(`accepts the stacks' ${TERRAFORM_VERSION_CONSTRAINT}`, () => {
    expect(validate('cdk.tf.json', TERRAFORM_VERSION_CONSTRAINT)).toMatchObject({ valid: true, diagnostics: [] });
  });

  it('in cdk.tf.json it ignores even a constraint no OpenTofu meets', () => {
    expect(validate('cdk.tf.json', '>= 99.0.0')).toMatchObject({ valid: true, diagnostics: [] });
  });

  it('in its own .tofu.json it applies it, deciding ">= X" as our preflight does on both sides of its version', () => {
    const refused = validate('versions.tofu.json', '>= 1.12.7');
    expect(refused.valid).toBe(false);
    expect(refused.diagnostics.map((d) => d.summary)).toEqual(['Incompatible module']);
    expect(refused.diagnostics[0].detail).toContain(`This module is not compatible with OpenTofu v${TESTED_OPENTOFU_VERSION}.`);
    const minimums = ['1.6.0', '1.10.6', '1.11.0', '1.12.5', '1.12.6', '1.12.7', '1.13.0', '2.0.0'];
    const real = minimums.map((m) => [m, validate('versions.tofu.json', `>= ${m}`).valid]);
    expect(real).toEqual(minimums.map((m) => [m, meetsMinimum(TESTED_OPENTOFU_VERSION, m)]));
    expect(new Set(real.map(([, ok]) => ok))).toEqual(new Set([true, false]));
  });
});

/** run-stacks.ts with `env` (and a fresh cwd): the preflight runs first. */
function runStacks(args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, ['-r', require.resolve('ts-node/register/transpile-only'), join(ROOT, 'scripts', 'run-stacks.ts'), ...args], {
    cwd: mkdtempSync(join(scratch, 'cwd-')),
    env: { HOME: process.env.HOME!, TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'), ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

/** A PATH directory holding only the given programs. */
function pathOf(programs: Record<string, string>): string {
  const dir = mkdtempSync(join(scratch, 'path-'));
  for (const [name, target] of Object.entries(programs)) {
    if (target.startsWith('#!')) {
      writeFileSync(join(dir, name), target);
      chmodSync(join(dir, name), 0o755);
    } else symlinkSync(target, join(dir, name));
  }
  return dir;
}

describe('the preflight of npm run deploy|diff|destroy with TERRAFORM_BINARY_NAME=tofu', () => {
  it('names the real OpenTofu and its version, and goes on (to cdktf, absent here)', () => {
    const r = runStacks(['diff'], { PATH: pathOf({ tofu, node: process.execPath }), TERRAFORM_BINARY_NAME: 'tofu' });
    expect(r.stdout).toBe(`engine: OpenTofu ${TESTED_OPENTOFU_VERSION} (tofu from TERRAFORM_BINARY_NAME)\n`);
    expect(r.stderr).toMatch(/^cannot diff: cdktf is not on PATH/);
  });

  it('refuses an OpenTofu older than 1.11, naming it, what is required, why and the fix', () => {
    // No older OpenTofu can be built offline here: a script answers with the real `tofu version -json`, its version lowered.
    const real = run(tofu, ['version', '-json']).stdout;
    const old = real.replace(`"${TESTED_OPENTOFU_VERSION}"`, '"1.10.6"');
    expect(old).not.toBe(real);
    const fake = `#!/bin/sh\nprintf '%s' '${old}'\n`; // shell built-ins only: nothing else is on this PATH
    for (const command of ['deploy', 'diff', 'destroy']) {
      const r = runStacks([command], { PATH: pathOf({ tofu: fake, node: process.execPath, docker: '#!/bin/sh\nexit 0\n' }), TERRAFORM_BINARY_NAME: 'tofu' });
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(
        `cannot ${command}: found OpenTofu 1.10.6 (tofu from TERRAFORM_BINARY_NAME), but the stacks require OpenTofu >= 1.11.0 (their required_version): ` +
          'the stacks write credentials with write-only arguments and ephemeral resources, which OpenTofu 1.11.0 added to keep secrets out of the state. ' +
          `Install OpenTofu 1.11.0 or newer: https://opentofu.org/docs/intro/install/ (tofuenv: tofuenv install ${TESTED_OPENTOFU_VERSION} && tofuenv use ${TESTED_OPENTOFU_VERSION}; ` +
          `GitHub Actions: opentofu/setup-opentofu with tofu_version: ${TESTED_OPENTOFU_VERSION}), or unset TERRAFORM_BINARY_NAME to run Terraform.\n`,
      );
    }
    // the same decision from the unchanged real output: accepted
    expect(checkEngine('deploy', { status: 0, stdout: real, stderr: '' }, 'tofu')).toEqual({ found: { engine: 'OpenTofu', version: TESTED_OPENTOFU_VERSION } });
  });
});

describe('npm run deploy → diff → destroy with OpenTofu and no terraform on PATH', () => {
  it('runs every stack with tofu, whose state it is; plans no change; destroys all', () => {
    const project = new OfflineProject();
    try {
      project.prepare();
      const manifest = readManifest(join(project.dir, 'cdktf.out'));
      // PATH: the project's shims and node_modules/.bin, `tofu`, and the system's /usr/bin and /bin (node, npm, sh): no terraform.
      const [shims, bin] = project.env().PATH!.split(delimiter);
      const PATH = [shims, bin, pathOf({ tofu }), '/usr/bin', '/bin'].join(delimiter);
      const env = { PATH, TERRAFORM_BINARY_NAME: 'tofu' };
      expect(spawnSync('sh', ['-c', 'command -v terraform'], { env: { PATH } }).status).not.toBe(0);
      const npmRun = (command: string) => project.run('npm', ['run', '--silent', command], env);

      const deploy = npmRun('deploy');
      expect({ status: deploy.status, tail: `${deploy.stdout}\n${deploy.stderr}`.slice(-3000) }).toMatchObject({ status: 0 });
      expect(deploy.stdout).toContain(`engine: OpenTofu ${TESTED_OPENTOFU_VERSION} (tofu from TERRAFORM_BINARY_NAME)`);
      for (const s of dependencyOrder(manifest)) {
        expect(project.resources(s).length).toBeGreaterThan(0);
        const state = JSON.parse(readFileSync(join(project.dir, `terraform.${s}.tfstate`), 'utf8'));
        expect({ s, writtenBy: state.terraform_version }).toEqual({ s, writtenBy: TESTED_OPENTOFU_VERSION });
        // OpenTofu's address of the providers: its registry for a source without a host (built-ins: terraform.io/builtin/terraform)
        const providers = new Set((state.resources as { provider: string }[]).filter((r) => !r.provider.includes('terraform.io/builtin/')).map((r) => r.provider.replace(/^provider\["([^/]+)\/.*$/, '$1')));
        expect({ s, providers: [...providers] }).toEqual({ s, providers: ['registry.opentofu.org'] });
        const lock = readFileSync(join(project.dir, 'cdktf.out', 'stacks', s, '.terraform.lock.hcl'), 'utf8');
        expect(lock).toMatch(/^provider "registry\.opentofu\.org\/hashicorp\/kubernetes"/m);
      }

      const diff = npmRun('diff');
      expect({ status: diff.status, tail: diff.stdout.slice(-3000) }).toMatchObject({ status: 0 });
      for (const s of dependencyOrder(manifest)) expect(diff.stdout).toMatch(new RegExp(`^${s}\\s+0\\s+0\\s+0\\s+no changes$`, 'm'));

      const destroy = npmRun('destroy');
      expect({ status: destroy.status, tail: destroy.stdout.slice(-3000) }).toMatchObject({ status: 0 });
      for (const s of manifest) expect(project.resources(s.name)).toEqual([]);
    } finally {
      project.dispose();
    }
  });
});

describe('the cloud block (backend.type: cloud) under OpenTofu', () => {
  const image = 'ghcr.io/acme/sample-app:1.0.0';
  const cloudStack = () => stacksOf(outdirOf(build(config({ profile: 'production', cluster: { mode: 'environment', name: 'prod' }, sampleApp: { image }, backend: { type: 'cloud', organization: 'acme' } }))))[0];

  /** Real `tofu init` of a copy of the stack (offline: no HTTP request leaves the machine). */
  function init(edit: (json: any) => void): string {
    const session = new OfflineTerraform();
    try {
      const dir = join(session.root, 'cloud');
      mkdirSync(dir);
      const json = JSON.parse(readFileSync(join(cloudStack().dir, 'cdk.tf.json'), 'utf8'));
      edit(json);
      writeFileSync(join(dir, 'cdk.tf.json'), JSON.stringify(json));
      const r = spawnSync(tofu, ['init', '-input=false', '-no-color'], { cwd: dir, env: session.terraformEnv(), encoding: 'utf8', timeout: 120_000 });
      expect(r.status).not.toBe(0); // no network here
      return r.stdout + r.stderr;
    } finally {
      session.dispose();
    }
  }

  it('the synthesized block names its host, which OpenTofu requires (it has no default), and OpenTofu goes to that host', () => {
    expect(JSON.parse(readFileSync(join(cloudStack().dir, 'cdk.tf.json'), 'utf8')).terraform.cloud).toMatchObject({ hostname: 'app.terraform.io', organization: 'acme' });
    const out = init(() => undefined);
    expect(out).not.toContain('Hostname is required');
    expect(out).toMatch(/app\.terraform\.io/);
  });

  it('without the hostname OpenTofu refuses the block (why the config always writes it)', () => {
    const out = init((json) => delete json.terraform.cloud.hostname);
    expect(out).toContain('Hostname is required for the cloud backend');
  });
});
