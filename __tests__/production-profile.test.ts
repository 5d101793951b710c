/**
 * The production profile, read from what the stacks synthesize: Elasticsearch replicated on
 * claims, Jaeger on Elasticsearch as its own user, retention of every index family, Pod
 * Security labels. (The collectors' split: collector-roles.test.ts; the network flows:
 * network-isolation.test.ts; Terraform's verdict: terraform-validate-stacks.test.ts.)
 */
import { parse } from 'yaml';
import { JAEGER_INDEX_FAMILIES } from '../constructs/jaeger/names';
import { helmValueDocuments } from '../ops/terraform-json';
import { build, config, helmRelease, helmValues, resourcesOf, synth, TfJson } from './helpers';

const EXISTING = { mode: 'existing', kubeconfigPath: '/dev/null', context: 'prod' };
const production = config({ profile: 'production', cluster: EXISTING, sampleApp: { image: 'ghcr.io/acme/sample-app:1.0.0' } });
const prod = build(production);
const dev = build(config());
const json = (app: typeof prod) => ({
  elasticsearch: synth(app.elasticsearch),
  jaeger: synth(app.jaeger),
  collector: synth(app.collector),
  logging: synth(app.logging),
  sampleApp: synth(app.sampleApp),
});
const p = json(prod);
const d = json(dev);

/** roles.yml of a file-realm user's role Secret (data maps `roles.yml`). */
function roleOf(es: TfJson, role: string): any {
  const secret = resourcesOf(es, 'kubernetes_secret_v1').find((s) => typeof s.data?.['roles.yml'] === 'string' && s.data['roles.yml'].startsWith(`${role}:`));
  if (!secret) throw new Error(`no roles.yml for ${role}`);
  return parse(secret.data['roles.yml'])[role];
}

describe('Elasticsearch, production', () => {
  const values = helmValues(p.elasticsearch, 'eck-elasticsearch');
  const nodeSet = values.nodeSets[0];

  it('3 master-eligible nodes with a claim each (size and class from config)', () => {
    expect(nodeSet.count).toBe(3);
    expect(nodeSet.volumeClaimTemplates).toEqual([{ metadata: { name: 'elasticsearch-data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '30Gi' } } } }]);
    expect(nodeSet.podTemplate.spec.volumes).toBeUndefined(); // no emptyDir over the claim
    const withClass = helmValues(synth(build(config({ profile: 'production', cluster: EXISTING, sampleApp: { image: 'a/b:1.0.0' }, elasticsearch: { persistence: { storageClass: 'fast-ssd', size: '100Gi' } } })).elasticsearch), 'eck-elasticsearch');
    expect(withClass.nodeSets[0].volumeClaimTemplates[0].spec).toMatchObject({ storageClassName: 'fast-ssd', resources: { requests: { storage: '100Gi' } } });
  });

  it('heap is half the memory limit; disk watermarks stay on with claims', () => {
    const es = nodeSet.podTemplate.spec.containers[0];
    expect(es.resources.limits.memory).toBe('4Gi');
    expect(es.env).toContainEqual({ name: 'ES_JAVA_OPTS', value: '-Xms2048m -Xmx2048m' });
    expect(nodeSet.config['cluster.routing.allocation.disk.threshold_enabled']).toBeUndefined();
  });

  it("spreads nodes over hosts and (softly) zones, and keeps ECK's own PodDisruptionBudget", () => {
    const spread = nodeSet.podTemplate.spec.topologySpreadConstraints;
    const selector = { matchLabels: { 'elasticsearch.k8s.elastic.co/cluster-name': 'elasticsearch' } };
    expect(spread).toEqual([
      { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', nodeTaintsPolicy: 'Honor', labelSelector: selector },
      { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: selector },
    ]);
    expect(values).not.toHaveProperty('podDisruptionBudget'); // ECK's default PDB: no disruption unless green
    expect(nodeSet.zoneAwareness).toBeUndefined();
  });

  it("zoneAwareness: true hands the zone spread to ECK (hard spread + shard allocation awareness)", () => {
    const v = helmValues(synth(build(config({ profile: 'production', cluster: EXISTING, sampleApp: { image: 'a/b:1.0.0' }, elasticsearch: { zoneAwareness: true } })).elasticsearch), 'eck-elasticsearch');
    expect(v.nodeSets[0].zoneAwareness).toEqual({});
    expect(v.nodeSets[0].podTemplate.spec.topologySpreadConstraints.map((c: any) => c.topologyKey)).toEqual(['kubernetes.io/hostname']);
  });

  it('index templates carry one replica', () => {
    const templates = resourcesOf(p.elasticsearch, 'kubernetes_config_map_v1').find((c) => c.metadata.name === 'elasticsearch-index-templates');
    for (const body of Object.values<string>(templates.data)) expect(JSON.parse(body).template.settings).toMatchObject({ number_of_replicas: 1 });
  });

  it('the claims nodeSet has another name than the emptyDir one, so ECK migrates a dev cluster instead of refusing the volume change', () => {
    expect(nodeSet.name).toBe('data');
    expect(helmValues(d.elasticsearch, 'eck-elasticsearch').nodeSets[0].name).toBe('default');
  });

  it('dev keeps one node on emptyDir without spread constraints', () => {
    const v = helmValues(d.elasticsearch, 'eck-elasticsearch').nodeSets[0];
    expect(v.count).toBe(1);
    expect(v.volumeClaimTemplates).toBeUndefined();
    expect(v.podTemplate.spec.volumes).toEqual([{ name: 'elasticsearch-data', emptyDir: {} }]);
    expect(v.podTemplate.spec.topologySpreadConstraints).toBeUndefined();
  });
});

describe('Jaeger on Elasticsearch, production', () => {
  const release = helmRelease(p.jaeger, 'jaeger');
  const [values, rollout] = helmValueDocuments(p.jaeger, release);
  const backend = values.userconfig.extensions.jaeger_storage.backends;

  it('stores traces in the same Elasticsearch, over TLS verified with our CA, as its own user', () => {
    const [name] = Object.keys(backend);
    const es = backend[name].elasticsearch;
    // The elasticsearch stack's Service, read through its outputs.
    expect(es.server_urls).toHaveLength(1);
    expect(es.server_urls[0]).toMatch(/^https:\/\/\$\{data\.terraform_remote_state\.cross-stack-reference-input-elasticsearch\.outputs\.[^}]+\}\.\$\{[^}]+\}\.svc:9200$/);
    expect(es.tls.insecure).toBeUndefined();
    expect(es.tls.ca_file).toMatch(/ca\.crt$/);
    expect(es.auth.basic.username).toBe('jaeger');
    expect(es.auth.basic.password_file).toBeDefined();
    expect(es.auth.basic.password).toBeUndefined();
    expect(values.userconfig.extensions.jaeger_query.storage.traces).toBe(name);
    expect(values.userconfig.exporters.jaeger_storage_exporter.trace_storage).toBe(name);
    expect(JSON.stringify(values.userconfig)).not.toContain('memstore');
  });

  it('mounts the CA and password from Secrets in its namespace, and rolls when they change', () => {
    const mounts = values.jaeger.extraVolumeMounts.map((m: any) => m.mountPath);
    const es = Object.values<any>(backend)[0].elasticsearch;
    expect(mounts.some((m: string) => es.auth.basic.password_file.startsWith(m))).toBe(true);
    expect(mounts.some((m: string) => es.tls.ca_file.startsWith(m))).toBe(true);
    // Each volume names a Secret of this stack (by reference, so the release waits for it).
    const secretIds = Object.keys(p.jaeger.resource?.kubernetes_secret_v1 ?? {});
    for (const v of values.jaeger.extraVolumes) {
      const id = /^\$\{kubernetes_secret_v1\.([\w-]+)\.metadata\[0\]\.name\}$/.exec(v.secret.secretName)?.[1];
      expect(secretIds).toContain(id);
    }
    expect(rollout.jaeger.extraEnv.map((e: any) => e.name).sort()).toEqual(['CONFIG_SHA256', 'ES_CLIENT_SHA256']);
  });

  it('runs 2 replicas, rolling, with a PodDisruptionBudget', () => {
    expect(values.jaeger.replicas).toBe(2);
    expect(values.jaeger.strategy.type).toBe('RollingUpdate');
    const pdb = resourcesOf(p.jaeger, 'kubernetes_pod_disruption_budget_v1');
    expect(pdb).toHaveLength(1);
    expect(pdb[0].spec.min_available ?? pdb[0].spec.minAvailable).toBe('1');
  });

  it("Jaeger's user may touch only Jaeger's indices; the janitor may delete them; retention covers them", () => {
    // Each client stack carries its own user's role (Secrets in Elasticsearch's namespace).
    const role = roleOf(p.jaeger, 'jaeger_storage');
    expect(role.indices.flatMap((i: any) => i.names).every((n: string) => n.startsWith('jaeger-'))).toBe(true);
    expect(role.cluster).not.toContain('all');
    expect(role.cluster).not.toContain('manage');
    const janitor = roleOf(p.logging, 'index_janitor');
    expect(janitor.indices[0].names).toEqual(expect.arrayContaining(JAEGER_INDEX_FAMILIES.map((f) => `${f}-*`)));
    const retention = resourcesOf(p.logging, 'kubernetes_cron_job_v1')[0];
    const script = retention.spec.job_template.spec.template.spec.container[0].command.join(' ');
    expect(script).toContain(`for prefix in fluentd fluentd-rejected k8s-events ${JAEGER_INDEX_FAMILIES.join(' ')}; do`);
  });

  it("production reads the Monitor tab's metrics from the same span indices, as the same user", () => {
    const storage = values.userconfig.extensions.jaeger_storage;
    expect(Object.keys(storage.metric_backends)).toEqual(['es-metrics']);
    expect(storage.metric_backends['es-metrics'].elasticsearch).toEqual(backend.es.elasticsearch);
    expect(values.userconfig.extensions.jaeger_query.storage).toEqual({ traces: 'es', metrics: 'es-metrics' });
  });

  it('dev stores traces in its one Elasticsearch node too: one Jaeger, no index replica, its own user, the Monitor tab, retention of its indices', () => {
    const v = helmValues(d.jaeger, 'jaeger');
    const storage = v.userconfig.extensions.jaeger_storage;
    expect(Object.keys(storage.backends)).toEqual(['es']);
    // One node: a replica could never be placed (the indices would stay yellow).
    expect(storage.backends.es.elasticsearch.indices.spans).toEqual({ shards: 1, replicas: 0, rollover_frequency: 'day' });
    expect(storage.metric_backends['es-metrics'].elasticsearch).toEqual(storage.backends.es.elasticsearch);
    expect(v.userconfig.extensions.jaeger_query.storage).toEqual({ traces: 'es', metrics: 'es-metrics' });
    expect(v.jaeger.replicas).toBe(1);
    expect(resourcesOf(d.jaeger, 'kubernetes_pod_disruption_budget_v1')).toEqual([]);
    expect(roleOf(d.jaeger, 'jaeger_storage')).toEqual(roleOf(p.jaeger, 'jaeger_storage'));
    const script = resourcesOf(d.logging, 'kubernetes_cron_job_v1')[0].spec.job_template.spec.template.spec.container[0].command.join(' ');
    expect(script).toContain(`for prefix in fluentd fluentd-rejected k8s-events ${JAEGER_INDEX_FAMILIES.join(' ')}; do`);
    expect(roleOf(d.logging, 'index_janitor').indices[0].names).toEqual(expect.arrayContaining(JAEGER_INDEX_FAMILIES.map((f) => `${f}-*`)));
  });

  it("dev's Jaeger config is production's but for the index replicas: the e2e's run of production's on OpenSearch covers both", () => {
    const userconfig = (stacks: typeof d) => helmValues(stacks.jaeger, 'jaeger').userconfig;
    const withoutReplicas = (c: any) => JSON.parse(JSON.stringify(c), (key, value) => (key === 'replicas' ? undefined : value));
    expect(withoutReplicas(userconfig(d))).toEqual(withoutReplicas(userconfig(p)));
    expect(JSON.stringify(userconfig(d))).not.toEqual(JSON.stringify(userconfig(p)));
  });

  it('jaeger.storage "memory" (dev) keeps one in-memory Jaeger: no Elasticsearch user, no metric backend, no Jaeger indices to prune', () => {
    const m = json(build(config({ jaeger: { storage: 'memory' } })));
    const v = helmValues(m.jaeger, 'jaeger');
    expect(v.userconfig.extensions.jaeger_storage).toEqual({ backends: { memstore: { memory: { max_traces: 50000 } } } });
    expect(v.userconfig.extensions.jaeger_query.storage).toEqual({ traces: 'memstore' });
    expect(v.jaeger.replicas).toBeUndefined();
    expect(() => roleOf(m.jaeger, 'jaeger_storage')).toThrow('no roles.yml');
    const script = resourcesOf(m.logging, 'kubernetes_cron_job_v1')[0].spec.job_template.spec.template.spec.container[0].command.join(' ');
    expect(script).toContain('for prefix in fluentd fluentd-rejected k8s-events; do');
  });
});

describe('Pod Security Admission labels', () => {
  it.each([
    ['dev', d],
    ['production', p],
  ])('%s: restricted everywhere except logging (privileged, with the reason)', (_name, stacks) => {
    const namespaces = Object.values(stacks).flatMap((s) => resourcesOf(s, 'kubernetes_namespace_v1'));
    expect(namespaces.map((n) => n.metadata.name).sort()).toEqual(['elastic-system', 'elasticsearch', 'jaeger', 'logging', 'observability', 'sample-app']);
    for (const n of namespaces) {
      const level = n.metadata.name === 'logging' ? 'privileged' : 'restricted';
      expect({ ns: n.metadata.name, labels: n.metadata.labels }).toEqual({
        ns: n.metadata.name,
        labels: { 'pod-security.kubernetes.io/enforce': level, 'pod-security.kubernetes.io/enforce-version': 'latest', 'pod-security.kubernetes.io/warn': level, 'pod-security.kubernetes.io/audit': level },
      });
    }
    const logging = namespaces.find((n) => n.metadata.name === 'logging');
    expect(logging.metadata.annotations['monitoring-stack/pod-security-reason']).toMatch(/hostPath/);
  });

  it("the ECK operator's pod gets the seccomp profile the restricted level requires", () => {
    expect(helmValues(p.elasticsearch, 'eck-operator').podSecurityContext).toEqual({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
  });
});

describe('collectors, production (gateway layout)', () => {
  const releases = resourcesOf(p.collector, 'helm_release');
  const valuesOf = (name: string) => helmValueDocuments(p.collector, releases.find((r) => r.name === name))[0];

  it('an autoscaled OTLP gateway (HPA on CPU, PDB, ≥2 replicas) and one cluster collector', () => {
    expect(releases.map((r) => r.name).sort()).toEqual(['otel-agent', 'otel-collector', 'otel-collector-cluster']);
    const gateway = valuesOf('otel-collector');
    expect(gateway.autoscaling).toEqual({ enabled: true, minReplicas: 2, maxReplicas: 6, targetCPUUtilizationPercentage: 80 });
    expect(gateway.podDisruptionBudget).toEqual({ enabled: true, minAvailable: 1 });
    const cluster = valuesOf('otel-collector-cluster');
    expect(cluster.replicaCount).toBe(1);
    expect(cluster.autoscaling?.enabled ?? false).toBe(false);
    // A one-pod StatefulSet: its rolling update deletes the pod before starting the next (two never run at once).
    expect([cluster.mode, cluster.rollout]).toEqual(['statefulset', undefined]);
    // Each collector pod keeps its persistent queue on a volume of its own.
    for (const v of [gateway, cluster]) expect(v.statefulset.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('1Gi');
  });

  it('nothing is collected twice: cluster-level receivers only in the cluster collector, OTLP only in the gateway', () => {
    const gateway = valuesOf('otel-collector').config;
    const cluster = valuesOf('otel-collector-cluster').config;
    const live = (c: any) => Object.entries(c.receivers).filter(([, v]) => v !== null).map(([k]) => k).sort();
    expect(live(gateway)).toEqual(['otlp', 'prometheus']);
    expect(live(cluster)).toEqual(['k8s_cluster', 'k8sobjects', 'prometheus']);
    // Kubelet stats: every node's agent, its own kubelet.
    expect(live(valuesOf('otel-agent').config)).toEqual(['kubelet_stats', 'otlp', 'prometheus']);
    expect(gateway.receivers.prometheus.config.scrape_configs.map((j: any) => j.job_name)).toEqual(['otel-collector']);
    expect(cluster.exporters).toHaveProperty(['elasticsearch/events']);
    expect(gateway.exporters).not.toHaveProperty(['elasticsearch/events']);
  });

  it('apps keep one OTLP endpoint: the node agents\' Service, as in dev', () => {
    expect(p.collector.output!.otlp_http_endpoint.value).toBe(d.collector.output!.otlp_http_endpoint.value);
    expect(p.sampleApp.resource!.kubernetes_deployment_v1).toBeDefined();
    expect(p.collector.output).toHaveProperty('cluster_prometheus_endpoint');
    expect(d.collector.output).not.toHaveProperty('cluster_prometheus_endpoint');
  });

  it('dev keeps one collector doing everything the agents do not', () => {
    const dev = resourcesOf(d.collector, 'helm_release');
    expect(dev.map((r) => r.name).sort()).toEqual(['otel-agent', 'otel-collector']);
    expect(helmValueDocuments(d.collector, dev.find((r) => r.name === 'otel-collector'))[0].autoscaling).toBeUndefined();
    // The same agent in both profiles, forwarding to the all-in-one here, to the gateway there.
    const agentOf = (json: typeof d.collector) => helmValueDocuments(json, resourcesOf(json, 'helm_release').find((r) => r.name === 'otel-agent'))[0];
    const withoutClusterName = (v: any) => JSON.parse(JSON.stringify(v).replace(/("k8s\.cluster\.name","value":)"[^"]+"/, '$1"<cluster>"'));
    expect(withoutClusterName(agentOf(d.collector))).toEqual(withoutClusterName(agentOf(p.collector)));
  });
});
