import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engineBinary } from '../ops/engine';
import { leftoverReviewOverrides, parseOutputNames, pendingInputs, producersIn, remoteInputs, REVIEW_OVERRIDE_FILE, setReviewOverride } from '../ops/pending-inputs';
import { readManifest } from '../ops/stack-order';
import { build, config, outdirOf } from './helpers';

/**
 * Review on any state: which producer outputs a stack reads (from the app's real synthesized
 * JSON), which are pending, and the review-only override, judged by the real engine (Terraform,
 * or OpenTofu with TERRAFORM_BINARY_NAME) on the built-in terraform_remote_state: no providers,
 * offline. The whole flow through `npm run diff` runs in stack-commands-offline.test.ts.
 */

const stackJson = (outdir: string, stack: string) => readFileSync(join(outdir, 'stacks', stack, 'cdk.tf.json'), 'utf8');

describe.each([
  ['kind mode, local backend (the default)', config()],
  ['environment mode, Terraform Cloud backend (CI)', config({ cluster: { mode: 'environment' }, sampleApp: { image: 'ghcr.io/acme/sample-app:1.0.0' }, backend: { type: 'cloud', organization: 'acme' } })],
  ['production profile, environment mode', undefined],
])('what each stack reads from its producers: %s', (_name, cfg) => {
  const outdir = outdirOf(build(cfg ?? config({ profile: 'production', cluster: { mode: 'environment' }, sampleApp: { image: 'ghcr.io/acme/sample-app:1.0.0' } })));
  const manifest = readManifest(outdir);

  it("names exactly the manifest's dependencies, and outputs each producer really declares", () => {
    for (const stack of manifest) {
      const inputs = remoteInputs(stackJson(outdir, stack.name));
      expect({ stack: stack.name, producers: [...inputs.keys()].sort() }).toEqual({ stack: stack.name, producers: [...stack.dependencies].sort() });
      for (const [producer, outputs] of inputs) {
        const declared = Object.keys((JSON.parse(stackJson(outdir, producer)) as { output: Record<string, unknown> }).output);
        expect({ stack: stack.name, producer, read: outputs.size > 0 }).toEqual({ stack: stack.name, producer, read: true });
        for (const o of outputs) expect({ stack: stack.name, producer, output: o, declared: declared.includes(o) }).toEqual({ stack: stack.name, producer, output: o, declared: true });
      }
    }
  });

  it('a producer whose state has every output read is not pending; none, or one missing, is; an unreadable one is left to Terraform', () => {
    for (const stack of manifest) {
      const inputs = remoteInputs(stackJson(outdir, stack.name));
      const all = (p: string) => ({ names: new Set(Object.keys((JSON.parse(stackJson(outdir, p)) as { output: object }).output)) });
      expect(pendingInputs(inputs, all)).toEqual([]);
      expect(pendingInputs(inputs, () => ({ names: new Set() })).map((p) => [p.producer, p.reason])).toEqual([...inputs.keys()].map((p) => [p, 'no-state']));
      expect(pendingInputs(inputs, () => ({ error: 'init failed' }))).toEqual([]);
      for (const [producer, read] of inputs) {
        const [dropped] = [...read];
        const older = (p: string) => (p === producer ? { names: new Set([...all(p).names].filter((n) => n !== dropped)) } : all(p));
        expect(pendingInputs(inputs, older)).toEqual([{ producer, reason: 'missing-outputs', missing: [dropped] }]);
      }
    }
  });
});

describe('docs/terraform-cloud.md: the remote state sharing list is what the stacks read (environment mode, the Terraform Cloud setup)', () => {
  const rows = readFileSync(join(__dirname, '..', 'docs', 'terraform-cloud.md'), 'utf8')
    .split('\n')
    .filter((l) => /^\s*\| `monitoring-/.test(l))
    .map((l) => l.split('|').map((c) => c.trim()));
  const names = (cell: string) => [...cell.matchAll(/`monitoring-([\w-]+)`/g)].map((m) => m[1]);
  /** Producer → readers, from the table: before ";" always, after it with Jaeger on Elasticsearch. */
  const table = (withJaegerStorage: boolean) =>
    new Map(rows.flatMap(([, producers, readers]) => names(producers).map((p) => [p, names(withJaegerStorage ? readers : readers.split(';')[0]).sort()] as const)));
  const cloud = { cluster: { mode: 'environment' }, sampleApp: { image: 'ghcr.io/acme/sample-app:1.0.0' }, backend: { type: 'cloud', organization: 'acme' } };

  it.each([
    ['dev (Jaeger on Elasticsearch, the default)', config(cloud), true],
    ['dev with jaeger.storage memory', config({ ...cloud, jaeger: { storage: 'memory' } }), false],
    ['production (Jaeger on Elasticsearch)', config({ ...cloud, profile: 'production' }), true],
  ] as const)('%s', (_profile, cfg, jaegerStorage) => {
    const manifest = readManifest(outdirOf(build(cfg)));
    const readers = new Map(manifest.map((p) => [p.name, manifest.filter((s) => s.dependencies.includes(p.name)).map((s) => s.name).sort()]));
    expect(table(jaegerStorage)).toEqual(readers);
  });
});

describe('the kind connection: both halves from the cluster stack', () => {
  it('config_path and config_context of every consumer come from the cluster stack (pending together in a first review)', () => {
    const outdir = outdirOf(build());
    for (const stack of readManifest(outdir).filter((s) => s.dependencies.includes('cluster'))) {
      const json = JSON.parse(stackJson(outdir, stack.name)) as { provider: { kubernetes: { config_path: string; config_context: string }[] } };
      const k = json.provider.kubernetes[0];
      expect(k.config_path).toMatch(/^\$\{data\.terraform_remote_state\.cross-stack-reference-input-cluster\.outputs\.[\w-]+\}$/);
      expect(k.config_context).toMatch(/^kind-\$\{data\.terraform_remote_state\.cross-stack-reference-input-cluster\.outputs\.[\w-]+\}$/);
    }
  });
});

// ---- the override, judged by the real engine ----

const engine = engineBinary();
const work = mkdtempSync(join(tmpdir(), 'pending-inputs-'));
const cliConfig = join(work, 'empty.tfrc');
writeFileSync(cliConfig, '');
const tfEnv = { PATH: process.env.PATH!, HOME: process.env.HOME!, CHECKPOINT_DISABLE: '1', TF_CLI_CONFIG_FILE: cliConfig, TF_IN_AUTOMATION: '1' };
function tf(dir: string, ...args: string[]) {
  const r = spawnSync(engine, [...args, '-no-color'], { cwd: dir, env: tfEnv, encoding: 'utf8' });
  if (r.error) throw new Error(`these tests run the real engine (${engine}): ${r.error.message}`);
  return { status: r.status, out: `${r.stdout}${r.stderr}`, stdout: r.stdout };
}

/** A producer (outputs `namespace` and a list) and a consumer reading them through the local backend, as cdktf writes them. */
function pair(name: string) {
  const root = join(work, name);
  const producer = join(root, 'producer');
  const consumer = join(root, 'consumer');
  mkdirSync(producer, { recursive: true });
  mkdirSync(consumer, { recursive: true });
  const producerState = join(root, 'terraform.producer.tfstate');
  writeFileSync(join(producer, 'cdk.tf.json'), JSON.stringify({ terraform: { backend: { local: { path: producerState } } }, output: { namespace: { value: 'elasticsearch' }, hosts: { value: ['a', 'b'] } } }));
  const ref = '${data.terraform_remote_state.cross-stack-reference-input-producer.outputs';
  const consumerJson = {
    terraform: { backend: { local: { path: join(root, 'terraform.consumer.tfstate') } } },
    data: { terraform_remote_state: { 'cross-stack-reference-input-producer': { backend: 'local', config: { path: producerState }, workspace: '${terraform.workspace}' } } },
    // typed uses: a string in an object, a number from a list
    resource: { terraform_data: { reader: { input: { namespace: `${ref}.namespace}`, count: `\${length(data.terraform_remote_state.cross-stack-reference-input-producer.outputs.hosts)}` } } } },
    output: { seen: { value: `${ref}.namespace}` } },
  };
  writeFileSync(join(consumer, 'cdk.tf.json'), JSON.stringify(consumerJson));
  expect(tf(producer, 'init', '-input=false').status).toBe(0);
  expect(tf(consumer, 'init', '-input=false').status).toBe(0);
  return { producer, consumer, producerState, inputs: remoteInputs(JSON.stringify(consumerJson)) };
}

describe(`the review-only override (${engine})`, () => {
  it('a producer never deployed: the plan fails without it ("Unable to find remote state", which `defaults` alone does not avoid) and plans with it, the inputs (known after apply)', () => {
    const { consumer, producer, inputs } = pair('never-deployed');
    expect([...inputs.get('producer')!].sort()).toEqual(['hosts', 'namespace']);
    expect(tf(consumer, 'plan', '-input=false').out).toContain('Unable to find remote state');
    // Known defaults (what a placeholder would be) do not help a producer without state.
    writeFileSync(join(consumer, REVIEW_OVERRIDE_FILE), JSON.stringify({ data: { terraform_remote_state: { 'cross-stack-reference-input-producer': { defaults: { namespace: 'placeholder', hosts: [] } } } } }));
    expect(tf(consumer, 'plan', '-input=false').out).toContain('Unable to find remote state');
    const outputs = parseOutputNames(tf(producer, 'output', '-json').stdout);
    expect([...outputs]).toEqual([]);
    const pending = pendingInputs(inputs, () => ({ names: outputs }));
    expect(pending).toEqual([{ producer: 'producer', reason: 'no-state', missing: ['hosts', 'namespace'] }]);
    setReviewOverride(consumer, pending);
    // Written by a rename (a reader never sees half of it): only the override itself is left.
    expect(readdirSync(consumer).filter((f) => f.startsWith(REVIEW_OVERRIDE_FILE))).toEqual([REVIEW_OVERRIDE_FILE]);
    const plan = tf(consumer, 'plan', '-input=false');
    // The plan's output when it fails (toMatchObject would hide it).
    expect(plan.status === 0 ? { status: 0 } : { status: plan.status, out: plan.out }).toEqual({ status: 0 });
    expect(plan.out).toMatch(/data\.terraform_remote_state\.cross-stack-reference-input-producer will be read during apply/);
    expect(plan.out).toMatch(/review_only\s+= "written by npm run diff: producer \(not deployed: no outputs in its state\)/);
    // typed for their readers: a string in an object, a number from length() of a list
    expect(plan.out).toMatch(/\+ count\s+= \(known after apply\)/);
    expect(plan.out).toMatch(/\+ namespace = \(known after apply\)/);
    expect(plan.out).toMatch(/Plan: 1 to add, 0 to change, 0 to destroy\./);
    expect(leftoverReviewOverrides([consumer])).toEqual([join(consumer, REVIEW_OVERRIDE_FILE)]);
    expect(producersIn(join(consumer, REVIEW_OVERRIDE_FILE))).toEqual(['producer']);
    setReviewOverride(consumer, []);
    expect(existsSync(join(consumer, REVIEW_OVERRIDE_FILE))).toBe(false);
  });

  it('a producer destroyed (state without outputs): fails without it, plans with it', () => {
    const { consumer, producer, inputs } = pair('destroyed');
    expect(tf(producer, 'apply', '-auto-approve', '-input=false').status).toBe(0);
    expect(tf(producer, 'apply', '-destroy', '-auto-approve', '-input=false').status).toBe(0);
    const outputs = parseOutputNames(tf(producer, 'output', '-json').stdout);
    expect(tf(consumer, 'plan', '-input=false').out).toContain('Unsupported attribute');
    setReviewOverride(consumer, pendingInputs(inputs, () => ({ names: outputs })));
    expect(tf(consumer, 'plan', '-input=false').status).toBe(0);
  });

  it('left behind, it still applies nothing but real values: the producer deployed, apply reads its real outputs; not deployed, apply fails before the reader exists', () => {
    const { consumer, producer, inputs } = pair('left-behind');
    setReviewOverride(consumer, pendingInputs(inputs, () => ({ names: new Set() })));
    const failed = tf(consumer, 'apply', '-auto-approve', '-input=false');
    expect(failed.status).toBe(1);
    expect(failed.out).toContain('Unable to find remote state');
    expect(tf(consumer, 'state', 'list').stdout).not.toContain('terraform_data.reader');
    expect(tf(producer, 'apply', '-auto-approve', '-input=false').status).toBe(0);
    expect(tf(consumer, 'apply', '-auto-approve', '-input=false').status).toBe(0);
    expect(JSON.parse(tf(consumer, 'output', '-json').stdout).seen.value).toBe('elasticsearch');
  });
});
