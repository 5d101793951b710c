import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deleteFromWorld, readWorld, WorldObject } from '../checks/standin-world';
import { formatFindings, scanForSecrets, ScanInput } from '../checks/state-secrets';
import { OfflineTerraform, OfflineTerraformError, StackDir, TerraformPlan } from '../checks/terraform-offline';

// The real Terraform 1.11.4 against the stand-in providers (real schemas of kubernetes 2.38.0
// and random 3.7.2) on a small hand-written configuration, not our stacks: an ephemeral
// password written with write-only arguments to two Secrets must reach the fake cluster and
// never the state, plan or outputs.
jest.setTimeout(300_000);

const PROVIDERS = {
  required_providers: {
    helm: { source: 'hashicorp/helm', version: '3.1.1' },
    kubernetes: { source: 'hashicorp/kubernetes', version: '2.38.0' },
    random: { source: 'hashicorp/random', version: '3.7.2' },
  },
};
const PROVIDER = { kubernetes: [{ config_path: '/nonexistent/kubeconfig' }], helm: [{ kubernetes: { config_path: '/nonexistent/kubeconfig' } }], random: [{}] };
const EPHEMERAL_PASSWORD = '${ephemeral.random_password.writer.result}';

/**
 * Two Secrets (Elasticsearch's user file and the consumer's credentials) fed by one ephemeral
 * password, and a Helm release given it with set_wo.
 */
function sharedPassword(revision: number, labels: Record<string, string> = {}): object {
  const secret = (name: string, namespace: string) => ({
    metadata: { name, namespace, labels },
    data: { username: 'writer' },
    data_wo: { password: EPHEMERAL_PASSWORD, token: '${ephemeral.random_password.token.result}' },
    data_wo_revision: revision,
  });
  return {
    terraform: PROVIDERS,
    provider: PROVIDER,
    ephemeral: { random_password: { writer: { length: 24, special: false }, token: { length: 40 } } },
    resource: {
      kubernetes_secret_v1: { es_users: secret('es-users', 'elastic'), writer_credentials: secret('writer-credentials', 'logging') },
      helm_release: {
        client: { name: 'es-client', namespace: 'logging', chart: 'es-client', repository: 'https://charts.example.invalid', version: '1.0.0', set_wo: [{ name: 'auth.password', value: EPHEMERAL_PASSWORD }], set_wo_revision: revision },
      },
    },
    output: { credentials_secret: { value: '${kubernetes_secret_v1.writer_credentials.metadata[0].name}' }, es_users_uid: { value: '${kubernetes_secret_v1.es_users.metadata[0].uid}' } },
  };
}

let root: string;
let world: string;
let session: OfflineTerraform;

function stack(name: string, json: object): StackDir {
  const dir = join(root, 'stacks', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'cdk.tf.json'), JSON.stringify(json, null, 2));
  return { name, dir };
}

const secretsOf = (namespace: string) => readWorld(world).filter((o) => o.type === 'kubernetes_secret_v1' && o.namespace === namespace);
const secret = (namespace: string, name: string): WorldObject => {
  const found = readWorld(world).find((o) => o.type === 'kubernetes_secret_v1' && o.namespace === namespace && o.name === name);
  if (!found) throw new Error(`no Secret ${namespace}/${name} in the world`);
  return found;
};
const actions = (plan: TerraformPlan) => Object.fromEntries((plan.resource_changes ?? []).map((rc) => [rc.address, rc.change.actions.join(',')]));

/** Every state, backup, saved plan (show -json) and output of a stack, for the scanner. */
async function artefacts(st: StackDir, plan?: TerraformPlan): Promise<ScanInput[]> {
  const state = session.stateFile(st);
  const files: ScanInput[] = [state, `${state}.backup`].filter((f) => existsSync(f));
  if (plan) files.push({ file: `${st.name}: show -json plan.tfplan`, json: plan });
  files.push({ file: `${st.name}: output -json`, json: await session.outputs(st) });
  return files;
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'standin-world-'));
  world = join(root, 'world');
  session = new OfflineTerraform({ world, computed: 'placeholder' });
});

afterAll(() => {
  session?.dispose();
  rmSync(root, { recursive: true, force: true });
});

describe('one ephemeral password, written write-only to two Secrets', () => {
  const shared = () => stack('shared', sharedPassword(1));
  let password: string;
  let uid: string;

  it('plans the write-only arguments null (the saved plan holds no value of them)', async () => {
    const plan = await session.planStack(shared());
    expect(actions(plan)).toEqual({ 'helm_release.client': 'create', 'kubernetes_secret_v1.es_users': 'create', 'kubernetes_secret_v1.writer_credentials': 'create' });
    const after = Object.fromEntries((plan.resource_changes ?? []).map((rc) => [rc.address, rc.change.after as Record<string, unknown>]));
    expect(after['kubernetes_secret_v1.es_users'].data_wo).toBeNull();
    expect(after['kubernetes_secret_v1.writer_credentials'].data_wo).toBeNull();
    expect(after['helm_release.client'].set_wo).toBeNull();
  });

  it('apply: both Secrets in the cluster hold the same fresh password; no state, backup, plan or output does', async () => {
    const st = shared();
    await session.applyStacks([st]);
    const es = secret('elastic', 'es-users');
    const writer = secret('logging', 'writer-credentials');
    password = es.clusterData!.password;
    expect(password).toMatch(/^[A-Za-z0-9]{24}$/); // length 24, special = false
    const token = es.clusterData!.token;
    expect(token).toHaveLength(40);
    expect(token).toMatch(/[^A-Za-z0-9]/); // special characters by default (a miss: p = (62/83)^40 < 1e-5)
    // With data_wo_revision >= 1 the real provider (v2.38.0 resource_kubernetes_secret_v1.go) writes data_wo alone: `data` is ignored.
    expect(writer.clusterData).toEqual({ password, token });
    const versions = [es, writer].map((o) => (o.config.metadata as { resource_version: string }[])[0].resource_version);
    expect(versions[0]).toMatch(/^\d+$/);
    expect(versions[1]).not.toBe(versions[0]);
    // what the provider sent to the API server: the configuration with the write-only value
    expect((es.config.data_wo as Record<string, string>).password).toBe(password);
    const release = readWorld(world).find((o) => o.type === 'helm_release' && o.namespace === 'logging' && o.name === 'es-client');
    expect(release?.config.set_wo).toEqual([{ name: 'auth.password', value: password, type: null }]);
    uid = (es.config.metadata as { uid: string }[])[0].uid;
    expect(uid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect((writer.config.metadata as { uid: string }[])[0].uid).not.toBe(uid);

    const plan = await session.planStack(st); // a saved plan made with the applied state
    const findings = scanForSecrets([{ name: 'writer password', value: password }, { name: 'token', value: token }], await artefacts(st, plan));
    expect(formatFindings(findings)).toBe('');
    expect(actions(plan)).toEqual({ 'helm_release.client': 'no-op', 'kubernetes_secret_v1.es_users': 'no-op', 'kubernetes_secret_v1.writer_credentials': 'no-op' });
    const state = await session.showState(st);
    expect(state.values?.root_module?.resources?.map((r) => [r.address, r.type === 'helm_release' ? r.values.set_wo : r.values.data_wo])).toEqual([
      ['helm_release.client', null],
      ['kubernetes_secret_v1.es_users', null],
      ['kubernetes_secret_v1.writer_credentials', null],
    ]);
  });

  it('an update without a new revision sends no new value: the Secrets keep theirs (as the real provider)', async () => {
    const st = stack('shared', sharedPassword(1, { team: 'observability' }));
    const plan = await session.planStack(st);
    expect(actions(plan)).toEqual({ 'helm_release.client': 'no-op', 'kubernetes_secret_v1.es_users': 'update', 'kubernetes_secret_v1.writer_credentials': 'update' });
    await session.applyStacks([st]);
    const es = secret('elastic', 'es-users');
    expect(es.clusterData!.password).toBe(password);
    expect(secret('logging', 'writer-credentials').clusterData!.password).toBe(password);
    expect((es.config.data_wo as Record<string, string>).password).not.toBe(password); // sent (a new ephemeral value), not written
    expect((es.config.metadata as { uid: string }[])[0].uid).toBe(uid); // an update keeps the object
  });

  it('bumping data_wo_revision rewrites both Secrets with one new password', async () => {
    const st = stack('shared', sharedPassword(2, { team: 'observability' }));
    expect(actions(await session.planStack(st))).toEqual({ 'helm_release.client': 'update', 'kubernetes_secret_v1.es_users': 'update', 'kubernetes_secret_v1.writer_credentials': 'update' });
    await session.applyStacks([st]);
    const rotated = secret('elastic', 'es-users').clusterData!.password;
    expect(rotated).toMatch(/^[A-Za-z0-9]{24}$/);
    expect(rotated).not.toBe(password);
    expect(secret('logging', 'writer-credentials').clusterData!.password).toBe(rotated);
    const plan = await session.planStack(st);
    expect(formatFindings(scanForSecrets([password, rotated], await artefacts(st, plan)))).toBe('');
    password = rotated;
  });

  it('a Secret deleted out of band is planned for creation, and comes back with a new uid (and a new password: the copies drift)', async () => {
    const st = stack('shared', sharedPassword(2, { team: 'observability' }));
    deleteFromWorld(world, 'kubernetes_secret_v1', 'es-users', 'elastic');
    expect(actions(await session.planStack(st))).toEqual({ 'helm_release.client': 'no-op', 'kubernetes_secret_v1.es_users': 'create', 'kubernetes_secret_v1.writer_credentials': 'no-op' });
    await session.applyStacks([st]);
    const es = secret('elastic', 'es-users');
    expect((es.config.metadata as { uid: string }[])[0].uid).not.toBe(uid);
    // the real providers do the same: a recreated Secret gets this run's ephemeral value,
    // the other keeps the old one (the stacks must rewrite both together)
    expect(es.clusterData!.password).not.toBe(password);
    expect(secret('logging', 'writer-credentials').clusterData!.password).toBe(password);
  });

  it('destroy empties the world', async () => {
    await session.destroyStacks([shared()]);
    expect(readWorld(world)).toEqual([]);
  });
});

describe('what Terraform and the scanner refuse', () => {
  it('Terraform refuses an ephemeral value in a non-write-only attribute (data)', async () => {
    const st = stack('ephemeral-in-data', {
      terraform: PROVIDERS,
      provider: PROVIDER,
      ephemeral: { random_password: { writer: { length: 24 } } },
      resource: { kubernetes_secret_v1: { leaky: { metadata: { name: 'leaky', namespace: 'refused' }, data: { password: EPHEMERAL_PASSWORD } } } },
    });
    const error = await session.planStack(st).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(OfflineTerraformError);
    expect((error as OfflineTerraformError).diagnostics.map((d) => d.line)).toEqual([
      'ephemeral-in-data: kubernetes_secret_v1.leaky: data: Invalid use of ephemeral value: Ephemeral values are not valid for "data", because it is not a write-only attribute and must be persisted to state.',
    ]);
    expect(secretsOf('refused')).toEqual([]);
  });

  it('the scanner names the resource and attribute of a managed random_password written to data', async () => {
    const st = stack('managed-in-data', {
      terraform: PROVIDERS,
      provider: PROVIDER,
      resource: {
        random_password: { writer: { length: 24, special: false } },
        kubernetes_secret_v1: { 'es-writer_credentials_1234': { metadata: { name: 'writer-credentials', namespace: 'managed' }, data: { password: '${random_password.writer.result}' } } },
      },
      output: { password: { value: '${random_password.writer.result}', sensitive: true } },
    });
    await session.applyStacks([st]);
    const values = secretsOf('managed').flatMap((o) => Object.values(o.clusterData ?? {}));
    expect(values.length).toBe(1);
    const plan = await session.planStack(st);
    const lines = formatFindings(scanForSecrets(values, await artefacts(st, plan))).split('\n');
    const state = session.stateFile(st);
    for (const line of [
      `${state}: kubernetes_secret_v1.es-writer_credentials_1234: data.password: holds secret #1 [state]`,
      `${state}: random_password.writer: result: holds secret #1 [state]`,
      `${state}: output.password: (whole value): holds secret #1 [outputs]`,
      'managed-in-data: show -json plan.tfplan: kubernetes_secret_v1.es-writer_credentials_1234: data.password: holds secret #1 [prior_state]',
      'managed-in-data: show -json plan.tfplan: kubernetes_secret_v1.es-writer_credentials_1234: data.password: holds secret #1 [resource_changes.after]',
      'managed-in-data: output -json: output.password: (whole value): holds secret #1 [outputs]',
    ])
      expect(lines).toContain(line);
    expect(lines.filter((l) => l.includes('unattributed'))).toEqual([]);
    await session.destroyStacks([st]);
    expect(readWorld(world)).toEqual([]);
  });
});
