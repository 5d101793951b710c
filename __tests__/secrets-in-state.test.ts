import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deleteFromWorld, readWorld, WorldObject } from '../checks/standin-world';
import { formatFindings, NamedSecret, ScanInput, scanForSecrets } from '../checks/state-secrets';
import { OfflineTerraform, StackDir, stacksOf, TerraformPlan } from '../checks/terraform-offline';
import type { MonitoringConfig } from '../config/schema';
import { ELASTICSEARCH_HTTP_PUBLIC_CERTS_SECRET } from '../constructs/elasticsearch/names';
import { elasticsearchUsers, fileRealmSecretName } from '../constructs/elasticsearch/users';
import { readStacks } from '../ops/terraform-json';
import { build, config, outdirOf } from './helpers';

/**
 * No secret in Terraform state (issue #18), proven offline with the real engine: Terraform
 * 1.11.4, and OpenTofu 1.12 in CI's OpenTofu leg (TERRAFORM_BINARY_NAME; .ci/run), since each
 * engine implements write-only arguments and ephemeral resources itself and writes its own
 * state, plans and backups: the proof must hold for the engine that wrote them. The
 * stand-in providers serve the real schemas, open ephemeral resources with fresh random values,
 * never return write-only values, and keep a fake cluster ("world") of what apply sent to the
 * API server. Every state, backup, saved plan and output is scanned for the passwords the
 * cluster's Secrets hold, and for PEM private keys.
 */
jest.setTimeout(600_000);

type Profile = { name: string; overrides: Record<string, unknown> };
const PROFILES: Profile[] = [
  { name: 'dev, kind cluster', overrides: {} },
  { name: 'production, existing cluster', overrides: { profile: 'production', cluster: { mode: 'existing', kubeconfigPath: '/nonexistent/kubeconfig', context: 'prod' }, sampleApp: { image: 'ghcr.io/acme/sample-app:1.0.0' } } },
  { name: 'dev, environment credentials', overrides: { cluster: { mode: 'environment', name: 'ci' }, sampleApp: { image: 'ghcr.io/acme/sample-app:1.0.0' } } },
];

/** A public certificate as ECK would publish it (`ca.crt`; no key). */
const eckCa = (serial: string) => `-----BEGIN CERTIFICATE-----\nMIIBeckCA${serial}\n-----END CERTIFICATE-----\n`;

/** One offline deployment: a session, its world, and the stacks as synthesized from `overrides`. */
class Deployment {
  readonly root = mkdtempSync(join(tmpdir(), 'secrets-in-state-'));
  readonly world = join(this.root, 'world');
  readonly session = new OfflineTerraform({ world: this.world, computed: 'placeholder' });
  readonly plans = new Map<string, TerraformPlan>();
  stacks: StackDir[];
  cfg: MonitoringConfig;

  constructor(readonly overrides: Record<string, unknown>) {
    this.cfg = config(overrides);
    this.stacks = stacksOf(outdirOf(build(this.cfg)));
    this.publishEckCa('1');
  }

  /** Puts ECK's public certificate Secret into the fake cluster, as the operator does. */
  publishEckCa(serial: string): void {
    const dir = join(this.world, 'kubernetes_secret_v1', this.cfg.namespaces.elasticsearch);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${ELASTICSEARCH_HTTP_PUBLIC_CERTS_SECRET}.json`), JSON.stringify({ cluster_data: { 'ca.crt': eckCa(serial), 'tls.crt': eckCa(`${serial}leaf`) } }));
  }

  /** Re-synthesizes with more overrides (e.g. a rotation). */
  reconfigure(more: Record<string, unknown>): void {
    this.cfg = config({ ...this.overrides, elasticsearch: { ...(this.overrides.elasticsearch as object), ...more } });
    this.stacks = stacksOf(outdirOf(build(this.cfg)));
  }

  stack(name: string): StackDir {
    return this.stacks.find((s) => s.name === name)!;
  }

  /** Plans every stack and keeps `terraform show -json` of each saved plan. */
  async planAll(): Promise<Record<string, string[]>> {
    const changes: Record<string, string[]> = {};
    for (const s of this.stacks) {
      const plan = await this.session.planStack(s);
      this.plans.set(s.name, plan);
      changes[s.name] = (plan.resource_changes ?? []).filter((c) => !c.change.actions.every((a) => a === 'no-op' || a === 'read')).map((c) => `${c.address}: ${c.change.actions.join(',')}`);
    }
    return changes;
  }

  /** Every state, backup, saved plan and output of every stack. */
  async artefacts(): Promise<ScanInput[]> {
    const inputs: ScanInput[] = [];
    for (const s of this.stacks) {
      const state = this.session.stateFile(s);
      for (const file of [state, `${state}.backup`]) if (existsSync(file)) inputs.push(file);
      const plan = this.plans.get(s.name);
      if (plan) inputs.push({ file: `${s.name}: terraform show -json <saved plan>`, json: plan });
      inputs.push({ file: `${s.name}: terraform output -json`, json: await this.session.outputs(s) });
    }
    return inputs;
  }

  /** The Secrets Terraform wrote (not ECK's). */
  secrets(): WorldObject[] {
    return readWorld(this.world).filter((o) => o.type === 'kubernetes_secret_v1' && o.name !== ELASTICSEARCH_HTTP_PUBLIC_CERTS_SECRET);
  }

  /** The password each copy of each user holds in the cluster, by `namespace/name`. */
  passwords(): Map<string, string> {
    return new Map(this.secrets().filter((s) => s.clusterData?.password !== undefined).map((s) => [`${s.namespace}/${s.name}`, s.clusterData!.password]));
  }

  dispose(): void {
    this.session.dispose();
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** The user's two copies: the file-realm Secret in Elasticsearch's namespace and the client copy (none for the gate's user). */
function copiesOf(d: Deployment, username: string): { fileRealm: string; client?: string } {
  const esNamespace = d.cfg.namespaces.elasticsearch;
  const fileRealm = `${esNamespace}/${fileRealmSecretName(username)}`;
  const client = [...d.passwords().keys()].find((k) => k.endsWith(`/elasticsearch-${username}-credentials`));
  return { fileRealm, client };
}

/** Checks every user has its copies in the cluster, equal, and returns the passwords as named secrets. */
function clusterPasswords(d: Deployment): NamedSecret[] {
  const passwords = d.passwords();
  const found: NamedSecret[] = [];
  for (const user of elasticsearchUsers(d.cfg)) {
    const { fileRealm, client } = copiesOf(d, user.username);
    const realmPassword = passwords.get(fileRealm);
    expect({ user: user.username, fileRealm: typeof realmPassword }).toEqual({ user: user.username, fileRealm: 'string' });
    expect(realmPassword).toMatch(/^[A-Za-z0-9]{32}$/);
    if (user.owner !== 'elasticsearch') {
      expect({ user: user.username, client: client && passwords.get(client) }).toEqual({ user: user.username, client: realmPassword });
    }
    found.push({ name: `${user.username} password`, value: realmPassword! });
  }
  // One password per user, each different.
  expect(new Set(found.map((f) => f.value)).size).toBe(found.length);
  return found;
}

/** The Secret names pod specs and Helm values refer to, as Terraform applied them. */
function secretsReadByPods(d: Deployment): Set<string> {
  const text = d.stacks.map((s) => readFileSync(d.session.stateFile(s), 'utf8')).join('\n');
  const names = new Set<string>();
  for (const m of text.matchAll(/elasticsearch-[a-z-]+-(?:credentials|user)/g)) names.add(m[0]);
  return names;
}

async function expectNoLeak(d: Deployment, secrets: NamedSecret[]): Promise<void> {
  const findings = scanForSecrets(secrets, await d.artefacts());
  expect(formatFindings(findings)).toBe(formatFindings([]));
}

describe.each(PROFILES)('$name', ({ overrides }) => {
  const d = new Deployment(overrides);
  let first: NamedSecret[];
  afterAll(() => d.dispose());

  it('deploys; every user has its password in both Secrets, the pods read them, and no state, backup, plan or output holds one (or a private key)', async () => {
    await d.session.applyStacks(d.stacks);
    // A second apply, so every stack also has a .backup to scan.
    await d.session.applyStacks(d.stacks);
    // The states scanned below are the engine's own (OpenTofu's in the OpenTofu leg).
    const { version } = d.session.engine();
    for (const s of d.stacks) expect({ stack: s.name, writtenBy: JSON.parse(readFileSync(d.session.stateFile(s), 'utf8')).terraform_version }).toEqual({ stack: s.name, writtenBy: version });
    first = clusterPasswords(d);
    const readByPods = secretsReadByPods(d);
    for (const user of elasticsearchUsers(d.cfg)) {
      const { fileRealm, client } = copiesOf(d, user.username);
      // The gate reads its file-realm Secret itself; every other user's pods read the client copy.
      expect(readByPods).toContain((client ?? fileRealm).split('/')[1]);
    }
    // TLS: every client namespace holds exactly ECK's public CA, nothing else of its certificate.
    const caCopies = d.secrets().filter((s) => s.name === 'elasticsearch-ca');
    expect(caCopies.length).toBeGreaterThanOrEqual(2);
    for (const ca of caCopies) expect(ca.clusterData).toEqual({ 'ca.crt': eckCa('1') });
    expect(await d.planAll()).toEqual(Object.fromEntries(d.stacks.map((s) => [s.name, []])));
    await expectNoLeak(d, first);
  });

  it("a CA renewed by ECK reaches the client copies and rolls their readers on the next deploy, and nothing else changes", async () => {
    d.publishEckCa('2');
    const changes = await d.planAll();
    const all = Object.values(changes).flat();
    expect(all.filter((c) => c.startsWith('kubernetes_secret_v1.')).every((c) => /_ca_[0-9A-F]+: update$/.test(c))).toBe(true);
    expect(all).toEqual(expect.arrayContaining([expect.stringMatching(/^kubernetes_daemon_set_v1\..*: update$/)]));
    await d.session.applyStacks(d.stacks);
    for (const ca of d.secrets().filter((s) => s.name === 'elasticsearch-ca')) expect(ca.clusterData).toEqual({ 'ca.crt': eckCa('2') });
  });

  it('rotates every password with credentialsRevision: both copies rewritten in place, readers rolled, old and new values nowhere in state', async () => {
    const annotationsBefore = readWorld(d.world).filter((o) => o.type === 'kubernetes_daemon_set_v1').map((o) => JSON.stringify(o.config));
    d.reconfigure({ credentialsRevision: 2 });
    const changes = await d.planAll();
    for (const [stack, list] of Object.entries(changes)) {
      // Updates only: no Secret, workload or release is replaced.
      for (const change of list) expect(`${stack} ${change}`).toMatch(/: update$/);
    }
    await d.session.applyStacks(d.stacks);
    const rotated = clusterPasswords(d);
    for (const r of rotated) expect(first.map((f) => f.value)).not.toContain(r.value);
    const annotationsAfter = readWorld(d.world).filter((o) => o.type === 'kubernetes_daemon_set_v1').map((o) => JSON.stringify(o.config));
    expect(annotationsAfter).not.toEqual(annotationsBefore); // Fluentd rolled (checksum/elasticsearch-client)
    expect(await d.planAll()).toEqual(Object.fromEntries(d.stacks.map((s) => [s.name, []])));
    // The .backup files now hold the state from before the rotation: still no value of either generation.
    await expectNoLeak(d, [...first, ...rotated.map((r) => ({ ...r, name: `${r.name} (rotated)` }))]);
    first = rotated;
  });

  it('destroys everything it wrote', async () => {
    await d.session.destroyStacks(d.stacks);
    expect(d.secrets().map((s) => `${s.namespace}/${s.name}`)).toEqual([]);
  });
});

describe('the two copies of a password cannot drift apart (dev, kind)', () => {
  const d = new Deployment({});
  const logWriter = () => copiesOf(d, 'log-writer');
  afterAll(() => d.dispose());
  beforeAll(async () => {
    await d.session.applyStacks(d.stacks);
  });

  it('recreating the client copy (deleted behind Terraform\'s back) rewrites the file-realm copy in the same apply', async () => {
    const before = d.passwords().get(logWriter().fileRealm)!;
    const [ns, name] = logWriter().client!.split('/');
    deleteFromWorld(d.world, 'kubernetes_secret_v1', name, ns);
    const changes = await d.planAll();
    expect(changes.logging.filter((c) => c.startsWith('kubernetes_secret_v1.es-writer'))).toEqual([
      expect.stringMatching(/^kubernetes_secret_v1\.es-writer_client-copy_[0-9A-F]+: create$/),
      expect.stringMatching(/^kubernetes_secret_v1\.es-writer_file-realm_user_[0-9A-F]+: update$/),
    ]);
    await d.session.applyStacks(d.stacks);
    const after = d.passwords();
    expect(after.get(logWriter().client!)).toBe(after.get(logWriter().fileRealm));
    expect(after.get(logWriter().fileRealm)).not.toBe(before);
  });

  it("recreating Elasticsearch's namespace (which takes the file-realm copies with it) rewrites every client copy with its new file-realm copy", async () => {
    const es = d.cfg.namespaces.elasticsearch;
    for (const o of readWorld(d.world)) if (o.namespace === es) deleteFromWorld(d.world, o.type, o.name, o.namespace);
    deleteFromWorld(d.world, 'kubernetes_namespace_v1', es);
    d.publishEckCa('renewed'); // ECK issues a new CA in the new namespace
    await d.session.applyStacks(d.stacks);
    clusterPasswords(d); // every user: both copies equal again
    expect(await d.planAll()).toEqual(Object.fromEntries(d.stacks.map((s) => [s.name, []])));
  });
});

/**
 * Removes the write-only argument of the log writer's client copy in the synthesized logging
 * stack: `data` becomes what `toData` returns (it may also edit the stack JSON).
 */
function withoutWriteOnly(d: Deployment, toData: (secret: any, json: any, id: string) => Record<string, string>): StackDir {
  const logging = d.stack('logging');
  const file = join(logging.dir, 'cdk.tf.json');
  const json = JSON.parse(readFileSync(file, 'utf8'));
  const [id, secret] = Object.entries<any>(json.resource.kubernetes_secret_v1).find(([, s]) => s.metadata.name === 'elasticsearch-log-writer-credentials')!;
  secret.data = toData(secret, json, id);
  delete secret.data_wo;
  delete secret.data_wo_revision;
  writeFileSync(file, JSON.stringify(json, null, 2));
  return logging;
}

describe('the scan catches a password stored the old way', () => {
  it('the engine itself refuses the ephemeral password in a stored argument (`data` instead of `data_wo`)', async () => {
    const d = new Deployment({});
    try {
      const logging = withoutWriteOnly(d, (secret) => secret.data_wo);
      await expect(d.session.validate([logging])).resolves.toEqual([expect.objectContaining({ valid: false })]);
      const [result] = await d.session.validate([logging]);
      // Each engine in its own words.
      const refusal = { Terraform: 'Invalid use of ephemeral value', OpenTofu: 'Ephemeral value used in non-ephemeral context' }[d.session.engine().engine];
      expect(result.errors.map((e) => e.line)).toEqual([expect.stringMatching(new RegExp(`kubernetes_secret_v1\\.es-writer_client-copy_[0-9A-F]+: data: ${refusal}`))]);
    } finally {
      d.dispose();
    }
  });

  it('names the resource and the attribute when one Secret takes its password through `data` (a managed random_password) instead of `data_wo`', async () => {
    const d = new Deployment({});
    try {
      let id = '';
      let ephemeral = '';
      // The password goes to `data`, from a managed (stored) random_password.
      withoutWriteOnly(d, (secret, json, address) => {
        id = address;
        ephemeral = /^\$\{ephemeral\.random_password\.([^.]+)\.result\}$/.exec(secret.data_wo.password)![1];
        json.resource.random_password = { [ephemeral]: json.ephemeral.random_password[ephemeral] };
        return { ...secret.data_wo, password: `\${random_password.${ephemeral}.result}` };
      });

      await d.session.applyStacks(d.stacks);
      const password = d.passwords().get(`${d.cfg.namespaces.logging}/elasticsearch-log-writer-credentials`)!;
      expect(password).toBeTruthy(); // the stand-in's value of a managed random_password
      const findings = scanForSecrets([{ name: 'log-writer password', value: password }], await d.artefacts());
      const lines = formatFindings(findings);
      expect(lines).toContain(`kubernetes_secret_v1.${id}`);
      expect(lines).toMatch(new RegExp(`kubernetes_secret_v1\\.${id}.*data\\.password`));
      expect(lines).toContain(`random_password.${ephemeral}`);
    } finally {
      d.dispose();
    }
  });
});

describe('the cloud backend (Terraform Cloud workspaces, remote runs)', () => {
  // Not applied offline (no Terraform Cloud here): the synthesized stacks are the same resources
  // with a `cloud` block, so what their state versions can hold is decided by the same JSON.
  const stacks = readStacks(outdirOf(build(config({ profile: 'production', cluster: { mode: 'environment', name: 'prod' }, sampleApp: { image: 'ghcr.io/acme/sample-app:1.0.0' }, backend: { type: 'cloud', organization: 'acme' } }))));

  it.each(Object.keys(stacks))('%s: no stored password or key, no output built from a secret; passwords only in data_wo', (name) => {
    const json = stacks[name] as any;
    expect(json.terraform.cloud.organization).toBe('acme');
    expect(Object.keys(json.resource ?? {}).filter((t) => t === 'random_password' || t.startsWith('tls_'))).toEqual([]);
    // Outputs (cdktf marks its cross-stack ones sensitive) carry names, endpoints and uids only.
    const secretSources = /\$\{[^}]*(ephemeral\.|random_password|tls_|\.data\b|data_wo|client_key|client_certificate|\.kubeconfig\b)/;
    expect(Object.entries<any>(json.output ?? {}).filter(([, o]) => secretSources.test(JSON.stringify(o.value))).map(([n]) => n)).toEqual([]);
    for (const [id, secret] of Object.entries<any>(json.resource?.kubernetes_secret_v1 ?? {})) {
      expect({ id, data: JSON.stringify(secret.data ?? {}) }).toEqual({ id, data: expect.not.stringMatching(/password|ephemeral|random_password/) });
      if (secret.data_wo) expect({ id, revision: typeof secret.data_wo_revision }).toEqual({ id, revision: expect.stringMatching(/number|string/) });
    }
  });
});
