import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../config/load';

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

  it('the test job runs the README test command, then synth', () => {
    const testCommand = /```bash\n[^\n]*\n(npm ci && npm test)\b/.exec(readme)![1];
    expect(runs('test')).toEqual([testCommand, 'npm run synth']);
    expect(workflow.jobs.test.steps.find((s: any) => s.uses?.startsWith('actions/setup-node')).with['node-version']).toBe(20);
  });

  it('pull requests get cdktf diff against Terraform Cloud with the token from secrets, summary posted', () => {
    const diff = workflow.jobs.diff;
    expect(diff.if).toBe("github.event_name == 'pull_request'");
    expect(diff.needs).toBe('test');
    const tf = diff.steps.find((s: any) => s.uses?.startsWith('hashicorp/setup-terraform'));
    expect(tf.with.cli_config_credentials_token).toBe('${{ secrets.TF_API_TOKEN }}');
    expect(runs('diff').some((r) => r.startsWith('npm run diff'))).toBe(true);
    expect(pkg.scripts.diff).toContain('run-stacks.ts diff');
    const post = diff.steps.find((s: any) => s.uses?.startsWith('actions/github-script'));
    expect(post.with.script).toContain('createComment');
    expect(diff.permissions['pull-requests']).toBe('write');
  });

  it('main deploys through remote runs with the README deploy script', () => {
    const deploy = workflow.jobs.deploy;
    expect(deploy.if).toBe("github.event_name == 'push' && github.ref == 'refs/heads/main'");
    expect(runs('deploy')).toEqual(['npm ci', 'npm run deploy']);
    expect(readme).toMatch(/^```bash\nnpm ci && npm run deploy/m);
  });

  it('its config file is a valid cloud/environment config', () => {
    const config = loadConfig({ cwd: ROOT, env: { MONITORING_STACK_CONFIG: workflow.env.MONITORING_STACK_CONFIG, TF_CLOUD_ORGANIZATION: 'acme', MONITORING_SAMPLE_APP_IMAGE: 'ghcr.io/acme/sample-app:1.0.0' } });
    expect(config.cluster.mode).toBe('environment');
    expect(config.backend).toMatchObject({ type: 'cloud', organization: 'acme', workspacePrefix: 'monitoring-' });
  });
});
