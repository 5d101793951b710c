import { parse } from 'yaml';
import { OfflineTerraform, PlannedResourceChange, stacksOf, StackDir, TerraformPlan, TerraformState } from '../checks/terraform-offline';
import { build, config, outdirOf } from './helpers';

/**
 * The production profile, deployed by the real Terraform offline (stand-in providers with the
 * real schemas): switching a dev deployment to production changes resources in place (no
 * namespace or release is replaced), the production deployment applies and redeploys with no
 * change, and what Terraform hands Helm is what Jaeger needs.
 */
jest.setTimeout(300_000);

const environment = { cluster: { mode: 'environment', name: 'prod' }, sampleApp: { image: 'ghcr.io/acme/sample-app:1.0.0' } };
const devStacks = stacksOf(outdirOf(build(config(environment))));
const prodStacks = stacksOf(outdirOf(build(config({ ...environment, profile: 'production' }))));
const stack = (name: string, from: StackDir[]) => from.find((s) => s.name === name)!;
const session = new OfflineTerraform({ computed: 'placeholder' });
afterAll(() => session.dispose());

type Resource = { address: string; type: string; values: Record<string, any> };
const resourcesIn = (state: TerraformState): Resource[] => (state.values?.root_module?.resources ?? []) as unknown as Resource[];
const changed = (plan: TerraformPlan): PlannedResourceChange[] => (plan.resource_changes ?? []).filter((c) => !c.change.actions.every((a) => a === 'no-op' || a === 'read'));
const jaegerValues = async () => resourcesIn(await session.showState(stack('jaeger', prodStacks))).find((r) => r.type === 'helm_release')!.values.values as string[];

beforeAll(async () => {
  await session.applyStacks(devStacks);
});

describe('dev → production on the same cluster, deployed stack by stack in dependency order', () => {
  // As `npm run deploy` runs it: each stack is planned against the dev state after the stacks
  // it reads have been deployed (the jaeger stack reads an output the elasticsearch stack adds).
  const plans: Record<string, TerraformPlan> = {};
  beforeAll(async () => {
    for (const s of prodStacks) {
      plans[s.name] = await session.planStack(s);
      await session.applyStacks([s]);
    }
  });

  it.each(['elasticsearch', 'jaeger', 'otel-collector', 'logging', 'sample-app'])('%s: replaces and deletes nothing', (name) => {
    const destructive = changed(plans[name]).filter((c) => c.change.actions.includes('delete'));
    expect(destructive.map((c) => `${c.address}: ${c.change.actions.join(',')}`)).toEqual([]);
    // Namespaces already carry the Pod Security labels in dev: no change at all. Policies whose
    // peers differ (the scraper becomes the cluster collector, Jaeger reaches Elasticsearch)
    // change in place.
    expect(changed(plans[name]).filter((c) => c.type === 'kubernetes_namespace_v1').map((c) => c.address)).toEqual([]);
    for (const c of changed(plans[name]).filter((c) => c.type === 'kubernetes_network_policy_v1')) expect([c.address, c.change.actions]).toEqual([c.address, expect.arrayContaining([expect.stringMatching(/^(update|create)$/)])]);
  });

  it('kibana: a second replica and its PDB; the data-view Job unchanged (dev has the spans view too)', () => {
    const plan = plans.kibana;
    expect(changed(plan).filter((c) => c.change.actions.includes('delete')).map((c) => c.address)).toEqual([]);
    expect(changed(plan).filter((c) => c.type === 'kubernetes_job_v1' || c.type === 'kubernetes_config_map_v1')).toEqual([]);
    expect(changed(plan).filter((c) => c.change.actions.join() === 'create').map((c) => c.type)).toEqual(['kubernetes_pod_disruption_budget_v1']);
    const release = changed(plan).find((c) => c.type === 'helm_release')!;
    expect(release.change.actions).toEqual(['update']);
    expect(parse((release.change.after as any).values[0]).count).toBe(2);
  });

  it("what is added: Jaeger's PDB (its user and client Secrets exist in dev already), the cluster collector", () => {
    const created = (name: string) => changed(plans[name]).filter((c) => c.change.actions.join() === 'create').map((c) => c.type);
    expect(created('jaeger')).toEqual(['kubernetes_pod_disruption_budget_v1']);
    expect(created('otel-collector').filter((t) => t === 'helm_release')).toHaveLength(1);
    // Jaeger keeps its storage: the same Elasticsearch backend and metric backend, now with 2 replicas and index replicas 1.
    const release = changed(plans.jaeger).find((c) => c.type === 'helm_release')!;
    const storage = (v: any) => parse(v.values[0]).userconfig.extensions.jaeger_storage;
    expect(Object.keys(storage(release.change.before).backends)).toEqual(['es']);
    expect(storage(release.change.after).backends.es.elasticsearch.indices.spans.replicas).toBe(1);
    expect(Object.values(plans).flatMap((p) => changed(p)).filter((c) => c.type === 'random_password')).toEqual([]);
  });
});

describe('production deploy', () => {
  it.each(prodStacks.map((s) => s.name))('%s: a second deploy plans no change', async (name) => {
    expect(changed(await session.planStack(stack(name, prodStacks))).map((c) => `${c.address}: ${c.change.actions.join(',')}`)).toEqual([]);
  });

  it("Helm gets Jaeger's Elasticsearch storage with the URL and user resolved, and a checksum of its client", async () => {
    const [values, rollout] = (await jaegerValues()).map((v) => parse(v));
    const es = values.userconfig.extensions.jaeger_storage.backends.es.elasticsearch;
    expect(es.server_urls).toEqual(['https://elasticsearch.elasticsearch.svc:9200']);
    expect(es.auth.basic.username).toBe('jaeger');
    const env = Object.fromEntries(rollout.jaeger.extraEnv.map((e: any) => [e.name, e.value]));
    expect(env.CONFIG_SHA256).toMatch(/^[0-9a-f]{64}$/);
    expect(env.ES_CLIENT_SHA256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('a rotated Jaeger password (credentialsRevision) rolls Jaeger (ES_CLIENT_SHA256)', async () => {
    const rotated = stacksOf(outdirOf(build(config({ ...environment, profile: 'production', elasticsearch: { credentialsRevision: 2 } }))));
    const plan = await session.planStack(stack('jaeger', rotated));
    const release = (plan.resource_changes ?? []).find((c) => c.type === 'helm_release')!;
    const env = (v: any) => Object.fromEntries(parse(v.values[1]).jaeger.extraEnv.map((e: any) => [e.name, e.value]));
    expect(env(release.change.after).ES_CLIENT_SHA256).toMatch(/^[0-9a-f]{64}$/);
    expect(env(release.change.after).ES_CLIENT_SHA256).not.toBe(env(release.change.before).ES_CLIENT_SHA256);
  });
});
