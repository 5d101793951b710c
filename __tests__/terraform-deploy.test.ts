import fs from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { OfflineTerraform, PlannedResourceChange, stacksOf, StackDir, TerraformPlan, TerraformState } from '../checks/terraform-offline';
import { OtelCollectorAddOn } from '../constructs/addons/otel-collector';
import { retentionScript } from '../constructs/elasticsearch/index-retention';
import { JAEGER_CONFIG_CHECKSUM_ENV, JAEGER_ES_CLIENT_CHECKSUM_ENV } from '../constructs/addons/jaeger';
import { JAEGER_INDEX_FAMILIES } from '../constructs/jaeger/names';
import { FLUENTD_PLUGIN_FILES, FLUENTD_PLUGIN_SOURCE_DIR } from '../constructs/fluentd/fluent-conf';
import { dataViewRequests } from '../constructs/kibana/data-views';
import { build, config, outdirOf } from './helpers';

/**
 * Deploy, redeploy, change and destroy, run by the real Terraform offline: stand-in providers
 * serve the real schemas and echo the plan; what is only known after apply gets typed
 * placeholders. What Terraform computes here (template escapes, references, sha256 of resolved
 * values, remote state between stacks) is exactly what it computes against a cluster.
 */
jest.setTimeout(300_000);

const base = build();
const stacks = stacksOf(outdirOf(base));
const stack = (name: string, from: StackDir[] = stacks) => from.find((s) => s.name === name)!;
const session = new OfflineTerraform({ computed: 'placeholder' });
afterAll(() => session.dispose());

type Resource = { address: string; type: string; values: Record<string, any> };
const resourcesIn = (state: TerraformState): Resource[] => (state.values?.root_module?.resources ?? []) as unknown as Resource[];
const changed = (plan: TerraformPlan): PlannedResourceChange[] => (plan.resource_changes ?? []).filter((c) => !c.change.actions.every((a) => a === 'no-op' || a === 'read'));

/** Escapes a literal for a RegExp. */
const literal = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

beforeAll(async () => {
  await session.applyStacks(stacks);
});

describe('first deploy', () => {
  it('Terraform makes the retention script byte-identical to what the code wrote', async () => {
    const logging = resourcesIn(await session.showState(stack('logging')));
    const cron = logging.find((r) => r.type === 'kubernetes_cron_job_v1')!;
    expect(cron.values.spec[0].job_template[0].spec[0].template[0].spec[0].container[0].command[2]).toBe(retentionScript(['fluentd', 'fluentd-rejected', 'k8s-events', ...JAEGER_INDEX_FAMILIES], 7));
  });

  it('Terraform gives Fluentd our plugins byte for byte, mounted beside the image\'s plugins (FLUENTD_OPT -p)', async () => {
    const logging = resourcesIn(await session.showState(stack('logging')));
    const plugins = logging.find((r) => r.type === 'kubernetes_config_map_v1' && r.values.metadata[0].name === 'fluentd-plugins')!;
    expect(plugins.values.data).toEqual(Object.fromEntries(FLUENTD_PLUGIN_FILES.map((f) => [f, fs.readFileSync(join(FLUENTD_PLUGIN_SOURCE_DIR, f), 'utf8')])));
    const pod = logging.find((r) => r.type === 'kubernetes_daemon_set_v1')!.values.spec[0].template[0].spec[0];
    const volume = pod.volume.find((v: any) => v.config_map?.[0]?.name === 'fluentd-plugins');
    const [container] = pod.container;
    expect(container.volume_mount.filter((m: any) => m.name === volume.name).map((m: any) => [m.mount_path, m.read_only])).toEqual([['/fluentd/plugins-app', true]]);
    // The image's own plugins stay where its entrypoint loads them (-p /fluentd/plugins): nothing mounted over them.
    expect(container.volume_mount.map((m: any) => m.mount_path)).not.toContain('/fluentd/plugins');
    expect(container.env.find((e: any) => e.name === 'FLUENTD_OPT').value).toBe('-p /fluentd/plugins-app');
  });

  it("Terraform gives the data-view Job the request bodies the code wrote, and Helm Kibana's elasticsearchRef resolved", async () => {
    const kibana = resourcesIn(await session.showState(stack('kibana')));
    const requests = kibana.find((r) => r.type === 'kubernetes_config_map_v1' && r.values.metadata[0].name === 'kibana-data-view-requests')!;
    expect(requests.values.data).toEqual(Object.fromEntries(dataViewRequests(config()).map((r) => [`${r.name}.json`, JSON.stringify(r.body, null, 2)])));
    const release = kibana.find((r) => r.type === 'helm_release')!;
    expect(parse(release.values.values[0]).elasticsearchRef).toEqual({ name: 'elasticsearch', namespace: 'elasticsearch' });
    const job = kibana.find((r) => r.type === 'kubernetes_job_v1')!;
    expect(job.values.spec[0].template[0].metadata[0].annotations['checksum/requests']).toMatch(/^[0-9a-f]{64}$/);
  });

  it("Terraform gives Helm the collector's values byte-identical to the code's YAML, with ${env:…} intact", async () => {
    const collector = resourcesIn(await session.showState(stack('otel-collector'))).find((r) => r.type === 'helm_release' && r.values.name === 'otel-collector')!;
    const applied: string = collector.values.values[0];
    const addon = base.collector.node.findChild('collector') as OtelCollectorAddOn;
    // Every literal byte as written; each token became some resolved value.
    const pattern = addon.valuesYaml.split(/\$\{TfToken\[[^\]]+\]\}/).map(literal).join('(.+?)');
    expect(applied).toMatch(new RegExp(`^${pattern}$`, 's'));
    expect(applied).toContain('endpoint: ${env:MY_POD_IP}:4317');
    expect(applied).toContain('password: ${env:ES_PASSWORD}');
    expect(parse(applied).config.exporters['otlp/jaeger'].endpoint).toBe('jaeger.jaeger.svc.cluster.local:4317');
  });
});

describe('second deploy with no change', () => {
  it.each(stacks.map((s) => s.name))('%s plans no change', async (name) => {
    expect(changed(await session.planStack(stack(name))).map((c) => `${c.address}: ${c.change.actions.join(',')}`)).toEqual([]);
  });
});

/** Plans `stackName` as synthesized with `overrides` against the deployed state. */
async function planWith(overrides: Record<string, unknown>, stackName: string): Promise<TerraformPlan> {
  return session.planStack(stack(stackName, stacksOf(outdirOf(build(config(overrides))))));
}

function afterValue(plan: TerraformPlan, type: string, pick: (after: any) => unknown, name?: string): { before: unknown; after: unknown } {
  const c = (plan.resource_changes ?? []).find((r) => r.type === type && (name === undefined || (r.change.after as any)?.name === name))!;
  return { before: pick(c.change.before), after: pick(c.change.after) };
}

describe('a config change reaches the pods that read it (checksums computed by Terraform)', () => {
  const daemonSetAnnotations = (a: any) => a.spec[0].template[0].metadata[0].annotations;

  // The rollout document's env vars of Jaeger's pod template, by name.
  const jaegerEnv = (name: string) => (a: any) => parse(a.values[1]).jaeger.extraEnv.find((e: { name: string }) => e.name === name)?.value;

  it("elasticsearch.retentionDays rolls the Jaeger pod (its query lookback is in its config), not its client's checksum", async () => {
    const plan = await planWith({ elasticsearch: { retentionDays: 14 } }, 'jaeger');
    const { before, after } = afterValue(plan, 'helm_release', jaegerEnv(JAEGER_CONFIG_CHECKSUM_ENV));
    expect(before).toMatch(/^[0-9a-f]{64}$/);
    expect(after).toMatch(/^[0-9a-f]{64}$/);
    expect(after).not.toBe(before);
    const es = afterValue(plan, 'helm_release', (a) => parse(a.values[0]).userconfig.extensions.jaeger_storage);
    expect([(es.before as any).backends.es.elasticsearch.max_span_age, (es.after as any).backends.es.elasticsearch.max_span_age]).toEqual(['168h', '336h']);
    expect((es.after as any).metric_backends['es-metrics'].elasticsearch.max_span_age).toBe('336h');
    const client = afterValue(plan, 'helm_release', jaegerEnv(JAEGER_ES_CLIENT_CHECKSUM_ENV));
    expect(client.after).toBe(client.before);
  });

  it('kibana.publicUrl rolls the Jaeger pod: the UI config (link patterns) is part of its values', async () => {
    const plan = await planWith({ kibana: { publicUrl: 'https://kibana.example.com' } }, 'jaeger');
    const { before, after } = afterValue(plan, 'helm_release', jaegerEnv(JAEGER_CONFIG_CHECKSUM_ENV));
    expect(after).not.toBe(before);
    const links = afterValue(plan, 'helm_release', (a) => parse(a.values[0]).uiconfig.linkPatterns[0].url);
    expect(links.before).toMatch(/^http:\/\/localhost:5601\/app\/discover#/);
    expect(links.after).toMatch(/^https:\/\/kibana\.example\.com\/app\/discover#/);
  });

  it('fluentd.bufferLimit rolls Fluentd (checksum/config)', async () => {
    const plan = await planWith({ fluentd: { bufferLimit: '1Gi' } }, 'logging');
    const { before, after } = afterValue(plan, 'kubernetes_daemon_set_v1', (a) => daemonSetAnnotations(a)['checksum/config']);
    expect(after).not.toBe(before);
  });

  it('a changed plugin file rolls Fluentd (checksum/config): the plugins ConfigMap is part of it', async () => {
    const changedFile = join(FLUENTD_PLUGIN_SOURCE_DIR, FLUENTD_PLUGIN_FILES[0]);
    const readFileSync = fs.readFileSync;
    // The plugin as a developer would change it: the synth reads the file again.
    const spy = jest.spyOn(fs, 'readFileSync').mockImplementation(((path: fs.PathOrFileDescriptor, options?: any) => {
      const text = readFileSync(path, options);
      return path === changedFile ? `${text}# changed\n` : text;
    }) as typeof fs.readFileSync);
    let changed: StackDir[];
    try {
      changed = stacksOf(outdirOf(build()));
    } finally {
      spy.mockRestore();
    }
    const plan = await session.planStack(stack('logging', changed));
    const { before, after } = afterValue(plan, 'kubernetes_daemon_set_v1', (a) => daemonSetAnnotations(a)['checksum/config']);
    expect(before).toMatch(/^[0-9a-f]{64}$/);
    expect(after).not.toBe(before);
    const plugins = plan.resource_changes!.find((r) => r.type === 'kubernetes_config_map_v1' && (r.change.after as any).metadata[0].name === 'fluentd-plugins')!;
    expect(plugins.change.actions).toEqual(['update']);
    expect((plugins.change.after as any).data[FLUENTD_PLUGIN_FILES[0]].endsWith('# changed\n')).toBe(true);
  });

  it('elasticsearch.indexReplicas changes the index templates and re-runs the gate that applies them', async () => {
    const plan = await planWith({ elasticsearch: { nodes: 3, indexReplicas: 1 } }, 'elasticsearch');
    const { before, after } = afterValue(plan, 'kubernetes_job_v1', (a) => a.spec[0].template[0].metadata[0].annotations['checksum/index-templates']);
    expect(after).not.toBe(before);
    const templates = afterValue(plan, 'kubernetes_config_map_v1', (a) => JSON.parse(a.data['fluentd.json']).template.settings.number_of_replicas);
    expect(templates).toEqual({ before: 0, after: 1 });
  });

  it("jaeger.publicUrl changes the logs view's trace link and re-runs the data-view Job (checksum/requests)", async () => {
    const plan = await planWith({ jaeger: { publicUrl: 'https://jaeger.example.com' } }, 'kibana');
    const { before, after } = afterValue(plan, 'kubernetes_job_v1', (a) => a.spec[0].template[0].metadata[0].annotations['checksum/requests']);
    expect(after).not.toBe(before);
    // The pod template changes; the real provider marks job spec.template ForceNew
    // (terraform-provider-kubernetes kubernetes/schema_job_spec.go), so the Job is replaced and
    // runs again. The stand-in serves the schema JSON, which carries no ForceNew: it plans an update.
    const link = afterValue(plan, 'kubernetes_config_map_v1', (a) => JSON.parse(a.data['data-view-logs.json']).data_view.fieldFormats.trace_id.params.urlTemplate);
    expect(link).toEqual({ before: 'http://localhost:16686/trace/{{value}}', after: 'https://jaeger.example.com/trace/{{value}}' });
  });

  it('elasticsearch.credentialsRevision rewrites both copies of each password in place and rolls Fluentd and the collector (checksum/elasticsearch-client)', async () => {
    const logging = await planWith({ elasticsearch: { credentialsRevision: 2 } }, 'logging');
    const fluentd = afterValue(logging, 'kubernetes_daemon_set_v1', (a) => daemonSetAnnotations(a)['checksum/elasticsearch-client']);
    expect(fluentd.after).toMatch(/^[0-9a-f]{64}$/);
    expect(fluentd.after).not.toBe(fluentd.before);
    // Only what changed: the config checksum stays.
    const config = afterValue(logging, 'kubernetes_daemon_set_v1', (a) => daemonSetAnnotations(a)['checksum/config']);
    expect(config.after).toBe(config.before);
    // Every write-only Secret (client copy + file-realm copy, writer and janitor) gets a new revision, in place.
    const rewritten = changed(logging).filter((c) => c.type === 'kubernetes_secret_v1') as { change: { actions: string[]; before: any; after: any } }[];
    expect(rewritten.map((c) => c.change.before.metadata[0].name).sort()).toEqual([
      'elasticsearch-index-janitor-credentials', 'elasticsearch-index-janitor-user', 'elasticsearch-log-writer-credentials', 'elasticsearch-log-writer-user',
    ]);
    for (const c of rewritten) {
      expect(c.change.actions).toEqual(['update']);
      expect(c.change.after.data_wo_revision ?? 'unknown').not.toBe(c.change.before.data_wo_revision);
    }
    const collector = await planWith({ elasticsearch: { credentialsRevision: 2 } }, 'otel-collector');
    const annotation = afterValue(collector, 'helm_release', (a) => parse(a.values[0]).podAnnotations['checksum/elasticsearch-client'], 'otel-collector');
    expect(annotation.after).not.toBe(annotation.before);
  });
});

describe('destroy, then deploy again', () => {
  it('destroy leaves no resource in any stack (namespaces included), and a new deploy succeeds', async () => {
    await session.destroyStacks(stacks);
    for (const s of stacks) expect(resourcesIn(await session.showState(s)).filter((r) => !r.address.startsWith('data.'))).toEqual([]);
    await session.applyStacks(stacks);
    const namespaces = (await Promise.all(stacks.map((s) => session.showState(s)))).flatMap(resourcesIn).filter((r) => r.type === 'kubernetes_namespace_v1');
    expect(namespaces.map((n) => n.values.metadata[0].name).sort()).toEqual(['elastic-system', 'elasticsearch', 'jaeger', 'kibana', 'logging', 'observability', 'sample-app']);
  });
});
