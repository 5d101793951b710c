import { CloudBackend, Fn, NamedCloudWorkspace, TerraformStack, Testing } from 'cdktf';
import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { Release } from '@cdktf/provider-helm/lib/release';
import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import { DeploymentV1 } from '@cdktf/provider-kubernetes/lib/deployment-v1';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import type { Construct } from 'constructs';
import { PrivateKey } from '@cdktf/provider-tls/lib/private-key';
import { TlsProvider } from '@cdktf/provider-tls/lib/provider';
import { DataKubernetesNamespaceV1 } from '@cdktf/provider-kubernetes/lib/data-kubernetes-namespace-v1';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addressOf, ensureStandin, formatAttributePath, OfflineTerraform, requiredProviders, StackDir, stacksOf, StackValidation, TerraformState, validateStacks } from '../checks/terraform-offline';

// Terraform runs for real here (init/validate/plan/apply), offline, with stand-in providers
// serving the real schemas from PROVIDER_SCHEMAS_DIR (default ../shared/provider-schemas).
jest.setTimeout(240_000);

const kubeconfig = { configPath: '/nonexistent/kubeconfig' };

function k8s(scope: Construct): void {
  new KubernetesProvider(scope, 'kubernetes', kubeconfig);
}

function helm(scope: Construct): void {
  new HelmProvider(scope, 'helm', { kubernetes: kubeconfig });
}

function release(scope: Construct, values: string): Release {
  helm(scope);
  return new Release(scope, 'collector', { name: 'collector', chart: 'opentelemetry-collector', repository: 'https://open-telemetry.github.io/opentelemetry-helm-charts', version: '0.170.0', values: [values] });
}

function deployment(scope: Construct, command: string[]): DeploymentV1 {
  k8s(scope);
  return new DeploymentV1(scope, 'retention', {
    metadata: { name: 'retention', namespace: 'logging' },
    spec: {
      selector: { matchLabels: { app: 'retention' } },
      template: { metadata: { labels: { app: 'retention' } }, spec: { container: [{ name: 'main', image: 'curlimages/curl:8.11.1', command }] } },
    },
  });
}

/** One small stack per planted fault (and the clean ones), synthesized in one app. */
const stacks: Record<string, (scope: Construct) => void> = {
  'unescaped-env': (s) => release(s, 'config:\n  receivers:\n    otlp:\n      protocols:\n        grpc:\n          endpoint: ${env:MY_POD_IP}:4317\n'),
  'shell-expansion': (s) => deployment(s, ['sh', '-c', 'for index in $indices; do day=${index#"${prefix}-"}; done']),
  'unknown-attribute': (s) => release(s, 'replicaCount: 1\n').addOverride('value', ['replicaCount: 2']),
  'missing-required': (s) => release(s, 'replicaCount: 1\n').addOverride('chart', undefined),
  // env written as a map, as in docker-compose: `env` is a list of blocks {name, value}
  'block-as-map': (s) => deployment(s, ['true']).addOverride('spec.template.spec.container.0.env', { LOG_LEVEL: 'debug' }),
  // two `metadata` blocks (say, from merging two label sets) where the schema allows one
  'too-many-blocks': (s) => deployment(s, ['true']).addOverride('metadata', [{ name: 'retention' }, { labels: { team: 'ops' } }]),
  'undeclared-reference': (s) => {
    k8s(s);
    new ConfigMapV1(s, 'settings', { metadata: { name: 'settings' }, data: { peer: '${kubernetes_config_map_v1.missing.metadata[0].name}' } });
  },
  clean: (s) => {
    const values = release(s, 'mode: deployment\n');
    const cm = new ConfigMapV1(s, 'settings', { metadata: { name: 'settings', namespace: 'observability' }, data: { release: values.name } });
    deployment(s, ['sh', '-c', `echo ${cm.metadata.name}`]);
  },
  escaped: (s) => {
    release(s, 'config:\n  receivers:\n    otlp:\n      protocols:\n        grpc:\n          endpoint: $${env:MY_POD_IP}:4317\n');
    deployment(s, ['sh', '-c', 'for index in $indices; do day=$${index#"$${prefix}-"}; echo "%%{not a directive}"; done']);
  },
};

let outdir: string;
let results: Record<string, StackValidation>;

beforeAll(async () => {
  const app = Testing.app();
  for (const [name, define] of Object.entries(stacks)) define(new TerraformStack(app, name));
  app.synth();
  outdir = app.outdir;
  // the CLI's code path: every stack listed in the output dir's manifest.json
  results = Object.fromEntries((await validateStacks(outdir)).map((r) => [r.stack, r]));
  expect(Object.keys(results).sort()).toEqual(Object.keys(stacks).sort());
});

const errorLines = (stack: string) => results[stack].errors.map((d) => d.line);
afterAll(() => {
  if (process.env.SHOW_LINES) for (const r of Object.values(results)) for (const d of r.diagnostics) console.log(d.line);
});

describe('terraform validate (offline, real schemas) rejects planted faults, naming stack, address and attribute', () => {
  it('an unescaped ${env:X} in a Helm values string', () => {
    expect(results['unescaped-env'].valid).toBe(false);
    expect(errorLines('unescaped-env')).toContainEqual(expect.stringMatching(/^unescaped-env: helm_release\.collector: values\[0\]: Extra characters after interpolation expression: .*\$\$\{/));
  });

  it('a shell ${a#b} in a container command', () => {
    expect(errorLines('shell-expansion').length).toBeGreaterThan(0);
    for (const line of errorLines('shell-expansion')) expect(line).toMatch(/^shell-expansion: kubernetes_deployment_v1\.retention: spec\.template\.spec\.container\[0\]\.command\[2\]: /);
  });

  it('an unknown attribute', () => {
    expect(errorLines('unknown-attribute')).toEqual(['unknown-attribute: helm_release.collector: value: Extraneous JSON object property: No argument or block type is named "value".']);
  });

  it('a missing required attribute', () => {
    expect(errorLines('missing-required')).toEqual([expect.stringMatching(/^missing-required: helm_release\.collector: Missing required argument: The argument "chart" is required/)]);
  });

  it('a block written as a map', () => {
    const lines = errorLines('block-as-map');
    expect(lines).toEqual([
      'block-as-map: kubernetes_deployment_v1.retention: spec.template.spec.container[0].env: Missing required argument: The argument "name" is required, but no definition was found.',
      'block-as-map: kubernetes_deployment_v1.retention: spec.template.spec.container[0].env.LOG_LEVEL: Extraneous JSON object property: No argument or block type is named "LOG_LEVEL".',
    ]);
  });

  it('more blocks than the schema allows', () => {
    expect(errorLines('too-many-blocks')).toEqual(['too-many-blocks: kubernetes_deployment_v1.retention: metadata[1]: Too many metadata blocks: No more than 1 "metadata" blocks are allowed']);
  });

  it('a reference to an undeclared resource', () => {
    expect(errorLines('undeclared-reference')).toEqual([
      expect.stringMatching(/^undeclared-reference: kubernetes_config_map_v1\.settings: data\.peer: Reference to undeclared resource: A managed resource "kubernetes_config_map_v1" "missing" has not been declared/),
    ]);
  });

  it('passes a clean stack and the escaped forms $${env:X}, $${a#b}, %%{', () => {
    expect(results.clean.diagnostics.map((d) => d.line)).toEqual([]);
    expect(results.clean.valid).toBe(true);
    expect(results.escaped.diagnostics.map((d) => d.line)).toEqual([]);
    expect(results.escaped.providers.map((p) => `${p.address} ${p.version}`).sort()).toEqual(['registry.terraform.io/hashicorp/helm 3.1.1', 'registry.terraform.io/hashicorp/kubernetes 2.38.0']);
  });
});

describe('diagnostic addresses and provider pins', () => {
  it('splits a cdk.tf.json path into the Terraform address and the attribute path', () => {
    expect(addressOf(['resource', 'helm_release', 'collector_release_1A2B3C4D', 'values', 0])).toEqual({ address: 'helm_release.collector_release_1A2B3C4D', attributePath: ['values', 0] });
    expect(addressOf(['data', 'terraform_remote_state', 'x', 'config', 'path'])).toEqual({ address: 'data.terraform_remote_state.x', attributePath: ['config', 'path'] });
    expect(addressOf(['provider', 'kubernetes', 0, 'host'])).toEqual({ address: 'provider.kubernetes', attributePath: ['host'] });
    expect(addressOf(['provider', 'kubernetes', 1, 'host'], { provider: { kubernetes: [{}, { alias: 'prod' }] } })).toEqual({ address: 'provider.kubernetes.prod', attributePath: ['host'] });
    expect(addressOf(['output', 'endpoint', 'value'])).toEqual({ address: 'output.endpoint', attributePath: ['value'] });
    expect(formatAttributePath(['spec', 0, 'template', 0, 'spec', 0, 'container', 0, 'command', 2])).toBe('spec[0].template[0].spec[0].container[0].command[2]');
    expect(formatAttributePath(['metadata', 'labels', 'app.kubernetes.io/name'])).toBe('metadata.labels["app.kubernetes.io/name"]');
  });

  it('lists the stacks of a manifest.json dependencies first', () => {
    const dir = mkdtempSync(join(tmpdir(), 'manifest-'));
    try {
      const stack = (name: string, dependencies: string[]) => ({ name, workingDirectory: `stacks/${name}`, dependencies });
      writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ stacks: { logging: stack('logging', ['cluster', 'elasticsearch']), elasticsearch: stack('elasticsearch', ['cluster']), cluster: stack('cluster', []) } }));
      expect(stacksOf(dir)).toEqual([
        { name: 'cluster', dir: join(dir, 'stacks/cluster'), dependencies: [] },
        { name: 'elasticsearch', dir: join(dir, 'stacks/elasticsearch'), dependencies: ['cluster'] },
        { name: 'logging', dir: join(dir, 'stacks/logging'), dependencies: ['cluster', 'elasticsearch'] },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads exact pins from required_providers; a range is an error', () => {
    const pins = requiredProviders({ terraform: { required_providers: { kubernetes: { source: 'kubernetes', version: '2.38.0' }, kind: { source: 'tehcyx/kind', version: '= 0.11.0' } } } }, 'cluster');
    expect(pins.map((p) => `${p.address} ${p.version}`)).toEqual(['registry.terraform.io/hashicorp/kubernetes 2.38.0', 'registry.terraform.io/tehcyx/kind 0.11.0']);
    expect(() => requiredProviders({ terraform: { required_providers: { helm: { source: 'hashicorp/helm', version: '~> 3.1' } } } }, 'jaeger')).toThrow(
      'jaeger: required_providers.helm (hashicorp/helm) has version "~> 3.1", not one exact version',
    );
  });

  it('names Go when the toolchain is missing and the stand-in is not built yet', () => {
    const saved = { PATH: process.env.PATH, MONITORING_TOOLS_CACHE: process.env.MONITORING_TOOLS_CACHE };
    const empty = mkdtempSync(join(tmpdir(), 'no-go-'));
    try {
      Object.assign(process.env, { PATH: empty, MONITORING_TOOLS_CACHE: empty });
      expect(() => ensureStandin()).toThrow(/The Go toolchain \(`go`\) is not on PATH: .*tools\/tf-standin.*Install Go 1\.26/);
    } finally {
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
      else process.env[k] = v;
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('provider schemas', () => {
  it('a pinned version without a schema file is an error naming provider, version, directory, variable and the fix', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'no-schemas-'));
    try {
      const rejected = validateStacks([{ name: 'clean', dir: join(outdir, 'stacks', 'clean') }], { schemasDir: empty });
      await expect(rejected).rejects.toThrow(/No provider schema for hashicorp\/(helm 3\.1\.1|kubernetes 2\.38\.0) \(pinned by stack clean\)/);
      const message = await rejected.catch((e: Error) => e.message);
      expect(message).toContain(empty);
      expect(message).toContain('PROVIDER_SCHEMAS_DIR');
      expect(message).toMatch(/run `terraform init` on a synthesized stack with network access, then `terraform providers schema -json > .*-(3\.1\.1|2\.38\.0)\.json`/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('offline plan/apply round trip', () => {
  const literal = 'endpoint: ${env:MY_POD_IP}:4317 %{ not a directive }';
  let session: OfflineTerraform;
  let producer: StackDir;
  let consumer: StackDir;

  beforeAll(() => {
    const app = Testing.app();
    const p = new TerraformStack(app, 'producer');
    k8s(p);
    const source = new ConfigMapV1(p, 'source', { metadata: { name: 'source' }, data: { template: 'endpoint: $${env:MY_POD_IP}:4317 %%{ not a directive }' } });
    const c = new TerraformStack(app, 'consumer');
    k8s(c);
    const ns = new DataKubernetesNamespaceV1(c, 'ns', { metadata: { name: 'observability' } }); // read by the stand-in at plan
    new ConfigMapV1(c, 'copy', { metadata: { name: 'copy', namespace: ns.metadata.name }, data: { template: Fn.lookup(source.data, 'template', '') } });
    app.synth();
    producer = { name: 'producer', dir: join(app.outdir, 'stacks', 'producer') };
    consumer = { name: 'consumer', dir: join(app.outdir, 'stacks', 'consumer') };
    session = new OfflineTerraform();
  });
  afterAll(() => session?.dispose());

  const configMap = (state: TerraformState, name: string) => state.values?.root_module?.resources?.find((r) => r.type === 'kubernetes_config_map_v1' && r.name === name)?.values;

  it('plans the escaped string as the literal ${env:X}, byte for byte, and applies it', async () => {
    const plan = await session.planStack(producer);
    const change = plan.resource_changes?.find((r) => r.address === 'kubernetes_config_map_v1.source');
    expect(change?.change.actions).toEqual(['create']);
    const planned = (change?.change.after as { data: Record<string, string> }).data.template;
    expect(Buffer.from(planned).equals(Buffer.from(literal))).toBe(true);
    expect(change?.change.after_unknown).toMatchObject({ id: true }); // computed: known after apply

    await session.applyStacks([producer]);
    const applied = configMap(await session.showState(producer), 'source') as { data: Record<string, string>; id: string | null };
    expect(applied.data.template).toBe(literal);
    expect(applied.id).toBeNull(); // the stand-in applies unknowns as null

    const again = await session.planStack(producer);
    expect(again.resource_changes?.map((r) => r.change.actions)).toEqual([['no-op']]);
  });

  it('a consumer reads the producer output through terraform_remote_state', async () => {
    const plan = await session.planStack(consumer);
    const copy = plan.resource_changes?.find((r) => r.address === 'kubernetes_config_map_v1.copy');
    expect(copy?.change.actions).toEqual(['create']);
    expect((copy?.change.after as { data: Record<string, string> }).data.template).toBe(literal);
    await session.applyStacks([producer, consumer]);
    expect((configMap(await session.showState(consumer), 'copy') as { data: Record<string, string> }).data.template).toBe(literal);
  });

  it('destroys consumer then producer', async () => {
    await session.destroyStacks([producer, consumer]);
    for (const stack of [producer, consumer]) expect((await session.showState(stack)).values?.root_module?.resources ?? []).toEqual([]);
  });

  it('validates but refuses to plan a stack with a Terraform Cloud backend', async () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, 'cloudy');
    new CloudBackend(stack, { organization: 'acme', workspaces: new NamedCloudWorkspace('monitoring-cloudy') });
    k8s(stack);
    new ConfigMapV1(stack, 'settings', { metadata: { name: 'settings' } });
    app.synth();
    const cloudy = { name: 'cloudy', dir: join(app.outdir, 'stacks', 'cloudy') };
    expect((await session.validate([cloudy]))[0].diagnostics).toEqual([]);
    await expect(session.planStack(cloudy)).rejects.toThrow('cloudy: uses Terraform Cloud (terraform.cloud block); it can be validated offline but not planned or applied');
  });

  it('refuses to plan a stack whose remote state belongs to no stack of the session', async () => {
    const fresh = new OfflineTerraform();
    try {
      await expect(fresh.planStack(consumer)).rejects.toThrow(/consumer: data\.terraform_remote_state\.cross-stack-reference-input-producer reads .*, the state of no stack applied in this session/);
    } finally {
      fresh.dispose();
    }
  });
});

describe('computed attributes across stacks', () => {
  // the producer exports an attribute only the real provider knows (the key it generates)
  let stacks: StackDir[];
  beforeAll(() => {
    const app = Testing.app();
    const p = new TerraformStack(app, 'keys');
    new TlsProvider(p, 'tls');
    const key = new PrivateKey(p, 'key', { algorithm: 'ECDSA', ecdsaCurve: 'P256' });
    const c = new TerraformStack(app, 'uses-key');
    k8s(c);
    new ConfigMapV1(c, 'pem', { metadata: { name: 'pem' }, data: { pem: key.publicKeyPem } });
    app.synth();
    stacks = ['keys', 'uses-key'].map((name) => ({ name, dir: join(app.outdir, 'stacks', name) }));
  });

  it('with computed values applied as null, the output is dropped from the state and the consumer cannot plan', async () => {
    const session = new OfflineTerraform();
    try {
      await session.applyStacks([stacks[0]]);
      await expect(session.planStack(stacks[1])).rejects.toThrow(/uses-key: kubernetes_config_map_v1\.pem: data\.pem: Unsupported attribute: This object does not have an attribute named "cross-stack-output-/);
    } finally {
      session.dispose();
    }
  });

  it("with computed: 'placeholder', the consumer plans with the producer's typed placeholder", async () => {
    const session = new OfflineTerraform({ computed: 'placeholder' });
    try {
      await session.applyStacks([stacks[0]]);
      const plan = await session.planStack(stacks[1]);
      expect(plan.resource_changes?.map((r) => [r.address, r.change.actions, (r.change.after as { data: unknown }).data])).toEqual([['kubernetes_config_map_v1.pem', ['create'], { pem: 'standin:tls_private_key.public_key_pem' }]]);
    } finally {
      session.dispose();
    }
  });
});
