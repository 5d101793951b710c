import { App } from 'cdktf';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StackDir, StackValidation, validateStacks } from '../checks/terraform-offline';
import { build, config } from './helpers';

// The real terraform init + validate, offline, on every synthesized stack of the app (six, and
// Kibana's unless disabled) in each cluster mode and with the Terraform Cloud backend (stand-in
// providers, real schemas).
jest.setTimeout(300_000);

const scratch = mkdtempSync(join(tmpdir(), 'validate-stacks-'));
const kubeconfigPath = join(scratch, 'kubeconfig');
writeFileSync(kubeconfigPath, 'apiVersion: v1\nkind: Config\n');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const image = 'ghcr.io/acme/sample-app:1.0.0';
const configurations: Record<string, Record<string, unknown>> = {
  kind: {},
  existing: { cluster: { mode: 'existing', kubeconfigPath, context: 'prod' }, sampleApp: { image } },
  environment: { cluster: { mode: 'environment', name: 'prod' }, sampleApp: { image } },
  cloud: { backend: { type: 'cloud', organization: 'acme' } },
  // Production profile: 3 ES nodes on claims, Jaeger on ES, gateway + cluster collectors.
  production: { profile: 'production', cluster: { mode: 'existing', kubeconfigPath, context: 'prod' }, sampleApp: { image } },
  'production-environment-cloud': { profile: 'production', cluster: { mode: 'environment', name: 'prod' }, sampleApp: { image }, backend: { type: 'cloud', organization: 'acme' } },
  'production-kind': { profile: 'production', cluster: { mode: 'kind', allowProductionProfile: true, workers: 2 } },
  'no-network-policies': { networkPolicies: { enabled: false } },
  'no-kibana': { kibana: { enabled: false } },
  'production-no-kibana': { profile: 'production', cluster: { mode: 'existing', kubeconfigPath, context: 'prod' }, sampleApp: { image }, kibana: { enabled: false } },
};
const SIX = ['cluster', 'elasticsearch', 'jaeger', 'logging', 'otel-collector', 'sample-app'];

let results: StackValidation[] = [];

beforeAll(async () => {
  const stacks: StackDir[] = Object.entries(configurations).flatMap(([label, overrides]) => {
    const app = build(config(overrides));
    return Object.values(app).map((stack) => ({ name: `${label}/${stack.node.id}`, dir: join((stack.node.root as App).outdir, 'stacks', stack.node.id) }));
  });
  results = await validateStacks(stacks);
});

describe.each(Object.keys(configurations))('terraform validate, %s configuration', (label) => {
  it('validates every stack without an error', () => {
    const mine = results.filter((r) => r.stack.startsWith(`${label}/`));
    expect(mine.map((r) => r.stack.slice(label.length + 1)).sort()).toEqual(label.endsWith('no-kibana') ? SIX : [...SIX, 'kibana'].sort());
    expect(mine.flatMap((r) => r.errors.map((d) => d.line))).toEqual([]);
  });
});
