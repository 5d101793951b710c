import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readWorld } from '../checks/standin-world';
import { formatFindings, scanForSecrets } from '../checks/state-secrets';
import { OfflineTerraform, PlannedResourceChange, StackDir, stacksOf } from '../checks/terraform-offline';
import { elasticsearchUsers, fileRealmSecretName } from '../constructs/elasticsearch/users';
import { build, config, outdirOf, resourcesOf, synth } from './helpers';

/**
 * Upgrading a deployment made by main before issue #18 (its synthesized stacks are the fixture)
 * with today's stacks, offline with the real Terraform 1.11.4 and the stand-ins' fake cluster,
 * stack by stack in dependency order as `npm run deploy` does: the stored secrets leave the
 * state, every password is rewritten (write-only), the readers roll once, nothing else is
 * replaced, and a redeploy plans nothing.
 */
jest.setTimeout(600_000);

const FIXTURE = join(__dirname, 'fixtures', 'upgrade-from-d5f4a41');
const root = mkdtempSync(join(tmpdir(), 'secrets-upgrade-'));
const world = join(root, 'world');
const session = new OfflineTerraform({ world, computed: 'placeholder' });
const app = build();
const cfg = config();
const today = stacksOf(outdirOf(app));

/** The fixture, with the project directory (as a stack directory sees it) that today's build uses. */
function oldStacks(): StackDir[] {
  const kubeconfig: string = resourcesOf(synth(app.cluster), 'kind_cluster')[0].kubeconfig_path;
  const project = kubeconfig.slice(0, -'/.kind/monitoring/kubeconfig'.length);
  const dir = join(root, 'old');
  cpSync(FIXTURE, dir, { recursive: true });
  for (const stack of readdirSync(join(dir, 'stacks'))) {
    const file = join(dir, 'stacks', stack, 'cdk.tf.json');
    writeFileSync(file, readFileSync(file, 'utf8').replaceAll('@@PROJECT@@', project));
  }
  return stacksOf(dir);
}

/** What the stand-ins hand back for the old layout's stored secrets (a managed random_password's result, a tls key). */
const OLD_SECRETS = [
  { name: 'old random_password result', value: 'standin:random_password.result' },
  { name: 'old tls private key', value: 'standin:tls_private_key.private_key_pem' },
];
const stateFiles = () => today.map((s) => session.stateFile(s)).filter(existsSync);
const backups = () => today.map((s) => `${session.stateFile(s)}.backup`).filter(existsSync);
const changed = (changes: PlannedResourceChange[]) => changes.filter((c) => !c.change.actions.every((a) => a === 'no-op' || a === 'read'));

afterAll(() => {
  session.dispose();
  rmSync(root, { recursive: true, force: true });
});

describe('upgrade from the stored-secrets layout', () => {
  const plans: Record<string, PlannedResourceChange[]> = {};

  beforeAll(async () => {
    await session.applyStacks(oldStacks());
  });

  it('the old deployment held its secrets in state (what the upgrade must remove)', () => {
    const findings = scanForSecrets(OLD_SECRETS, stateFiles());
    expect(findings.map((f) => f.address?.split('.')[0])).toEqual(expect.arrayContaining(['random_password', 'tls_private_key', 'kubernetes_secret_v1']));
  });

  it('plans, stack by stack, to replace only the credential Secrets and the Jobs that read them, and to drop random_password and tls_*', async () => {
    const kept = /^(kubernetes_namespace_v1|kubernetes_network_policy_v1|helm_release|kubernetes_daemon_set_v1|kubernetes_deployment_v1|kubernetes_service_v1|kind_cluster|docker_container|kubernetes_cron_job_v1|kubernetes_config_map_v1)$/;
    for (const s of today) {
      const plan = await session.planStack(s);
      plans[s.name] = changed(plan.resource_changes ?? []);
      for (const c of plans[s.name]) {
        const destructive = c.change.actions.includes('delete');
        const what = `${s.name} ${c.address}: ${c.change.actions.join(',')}`;
        // Nothing users run on is destroyed: those resources only change in place.
        if (kept.test(c.type)) expect({ what, destructive }).toEqual({ what, destructive: false });
        if (destructive) expect(c.type).toMatch(/^(kubernetes_secret_v1|kubernetes_job_v1|random_password|tls_private_key|tls_self_signed_cert|tls_cert_request|tls_locally_signed_cert)$/);
      }
      await session.applyStacks([s]);
    }
    const removed = Object.values(plans).flat().filter((c) => c.change.actions.join() === 'delete').map((c) => c.type);
    expect(removed).toEqual(expect.arrayContaining(['random_password', 'tls_private_key', 'tls_self_signed_cert', 'tls_locally_signed_cert']));
    // The readers roll once: Fluentd's pod template changes in place.
    expect(plans.logging.find((c) => c.type === 'kubernetes_daemon_set_v1')?.change.actions).toEqual(['update']);
    // Jaeger moves from memory to Elasticsearch storage (docs/production.md, Upgrades): its release
    // changes in place, and the jaeger stack creates its user (client copy, CA copy, file-realm user, role).
    expect(plans.jaeger.find((c) => c.type === 'helm_release')?.change.actions).toEqual(['update']);
    expect(plans.jaeger.filter((c) => c.type === 'kubernetes_secret_v1' && c.change.actions.join() === 'create')).toHaveLength(4);
  });

  it('leaves every user with one new password in both Secrets, and no old or new secret in any state or output', async () => {
    const secrets = readWorld(world).filter((o) => o.type === 'kubernetes_secret_v1');
    const password = (ns: string, name: string) => secrets.find((o) => o.namespace === ns && o.name === name)?.clusterData?.password;
    const current = elasticsearchUsers(cfg).map((u) => ({ name: `${u.username} password`, value: password(cfg.namespaces.elasticsearch, fileRealmSecretName(u.username))! }));
    for (const p of current) expect(p.value).toMatch(/^[A-Za-z0-9]{32}$/);
    const outputs = await Promise.all(today.map(async (s) => ({ file: `${s.name}: output -json`, json: await session.outputs(s) })));
    expect(formatFindings(scanForSecrets([...OLD_SECRETS, ...current], [...stateFiles(), ...outputs]))).toBe('');
  });

  it('the local backups still hold the pre-upgrade state (dead values) until removed as docs/secrets.md says', () => {
    expect(scanForSecrets(OLD_SECRETS, backups()).length).toBeGreaterThan(0);
    for (const backup of backups()) rmSync(backup); // rm -f terraform.*.tfstate.backup
    expect(scanForSecrets(OLD_SECRETS, [...stateFiles(), ...backups()])).toEqual([]);
  });

  it('a redeploy after the upgrade plans no change', async () => {
    for (const s of today) expect({ stack: s.name, changes: changed((await session.planStack(s)).resource_changes ?? []).map((c) => `${c.address}: ${c.change.actions.join(',')}`) }).toEqual({ stack: s.name, changes: [] });
  });
});
