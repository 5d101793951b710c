import { TerraformStack, Testing } from 'cdktf';
import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { providerSchemasDir } from '../checks/terraform-offline';
import { build, outdirOf } from './helpers';

/**
 * The CLI the CI workflow runs (`checks/terraform-offline.ts validate`), offline here: the same
 * code path that, with `--providers registry`, validates against the real providers and writes
 * their schemas for the offline check.
 */
jest.setTimeout(120_000);

function cli(...args: string[]) {
  return spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', join(__dirname, '..', 'checks', 'terraform-offline.ts'), ...args], { encoding: 'utf8', env: process.env });
}

const withoutFunctions = (file: string) => {
  const doc = JSON.parse(readFileSync(file, 'utf8'));
  for (const entry of Object.values<any>(doc.provider_schemas)) delete entry.functions;
  return doc;
};

describe('checks/terraform-offline.ts validate (the CI entry point)', () => {
  it('validates every stack of a cdktf output and writes the schemas of the providers it used', () => {
    const outdir = outdirOf(build());
    const schemasOut = mkdtempSync(join(tmpdir(), 'schemas-out-'));
    const run = cli('validate', outdir, '--schemas-out', schemasOut);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout.split('\n').filter((l) => / valid \(/.test(l)).map((l) => l.split(':')[0]).sort()).toEqual(['cluster', 'elasticsearch', 'jaeger', 'kibana', 'logging', 'otel-collector', 'sample-app']);
    const files = readdirSync(schemasOut).sort();
    expect(files).toEqual(['docker-3.6.2.json', 'helm-3.1.1.json', 'kind-0.11.0.json', 'kubernetes-2.38.0.json', 'local-2.6.1.json', 'random-3.7.2.json']);
    // What Terraform reports of the providers is what they serve (the stand-ins: the real schemas).
    for (const file of files) expect(withoutFunctions(join(schemasOut, file))).toEqual(withoutFunctions(join(providerSchemasDir(), file)));
  });

  it('exits 1 naming stack, address and attribute of a template Terraform rejects', () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, 'broken');
    new KubernetesProvider(stack, 'kubernetes', {});
    new ConfigMapV1(stack, 'collector-config', { metadata: { name: 'c' }, data: { 'config.yaml': 'endpoint: ${env:MY_POD_IP}:4317' } });
    app.synth();
    const run = cli('validate', app.outdir);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^broken: kubernetes_config_map_v1\.collector-config: data\["config\.yaml"\]: Extra characters after interpolation expression: /m);
    expect(run.stderr).toContain('terraform validate (offline) failed for broken');
  });

  it('rejects a wrong invocation with the usage', () => {
    const run = cli('plan');
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^usage: /);
  });
});
