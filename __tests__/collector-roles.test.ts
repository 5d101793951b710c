import Ajv from 'ajv';
import { TerraformStack, Testing } from 'cdktf';
import {
  AGENT_RBAC_RULES,
  CLUSTER_RBAC_RULES,
  EVENTS_RBAC_RULE,
  OtelCollectorAddOn,
  OtelCollectorAddOnProps,
  PolicyRule,
} from '../constructs/addons/otel-collector';
import {
  AGENT_EXPORTER, AGENT_NODE_LABEL, AGENT_QUEUE, AGENT_RETRY, AGENT_SELF_SCRAPE_JOB, buildCollectorConfig, clusterWideCollectors, CollectorConfig, CollectorConfigOptions, CollectorRole, componentsInUse, EXPORT_RETRY, MEMORY_QUEUE_LIMITS,
  QUEUE_DIRECTORY, QUEUE_LIMITS, QUEUE_STORAGE, SELF_SCRAPE_JOB,
} from '../constructs/otel/collector-config';
import { AGENT_SERVICE, CLUSTER_COLLECTOR_SERVICE, COLLECTOR_SERVICE } from '../constructs/otel/names';
import { helmValueDocuments } from '../ops/terraform-json';
import { chartDataFile } from './helpers';

const CHART_VERSION = '0.170.0';
const events = { endpoint: 'https://es-es-http.elasticsearch.svc:9200', index: 'k8s-events', caFile: '/etc/elasticsearch-ca/ca.crt' };
const base = { profile: 'kubernetes', clusterName: 'c', environment: 'e' } as const;
const jaegerOtlpEndpoint = 'jaeger.jaeger.svc.cluster.local:4317';

const gatewayOtlpEndpoint = 'otel-collector.observability.svc.cluster.local:4317';

const configs: Record<CollectorRole, CollectorConfig> = {
  agent: buildCollectorConfig({ ...base, role: 'agent', gatewayOtlpEndpoint }),
  'all-in-one': buildCollectorConfig({ ...base, jaegerOtlpEndpoint, events }),
  gateway: buildCollectorConfig({ ...base, role: 'gateway', jaegerOtlpEndpoint }),
  cluster: buildCollectorConfig({ ...base, role: 'cluster', events }),
};
const es = { credentialsSecret: 'es-writer', caSecret: 'es-ca', checksum: 'abc', caMountPath: '/etc/elasticsearch-ca' };

/** The add-on in a stack of its own, synthesized; its values as Helm gets them, and the construct. */
function addOn(role: CollectorRole, extra: Partial<OtelCollectorAddOnProps> = {}): { values: any; addon: OtelCollectorAddOn; release: any } {
  const app = Testing.app();
  const stack = new TerraformStack(app, 'roles');
  const addon = new OtelCollectorAddOn(stack, 'collector', {
    namespace: 'observability',
    role,
    config: configs[role],
    chartVersion: CHART_VERSION,
    imageTag: '0.158.0',
    resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } },
    ...(role === 'gateway' || role === 'agent' ? {} : { elasticsearch: es }),
    ...extra,
  });
  const json = JSON.parse(Testing.synth(stack));
  const release = Object.values(json.resource.helm_release as Record<string, any>)[0];
  return { values: helmValueDocuments(json, release)[0], addon, release };
}

const ids = (c: CollectorConfig) => ({
  receivers: Object.keys(c.receivers),
  processors: Object.keys(c.processors),
  exporters: Object.keys(c.exporters),
  extensions: Object.keys(c.extensions),
  pipelines: Object.keys(c.service.pipelines),
});
const union = (...xs: string[][]) => [...new Set(xs.flat())].sort();

/** What a collector collects by itself: receivers other than OTLP, a Prometheus receiver as its scrape jobs. */
function collectingSources(c: CollectorConfig): string[] {
  return Object.entries(c.receivers).flatMap(([id, r]) => {
    if (id === 'otlp') return [];
    if (id === 'prometheus') return ((r as any).config.scrape_configs as any[]).map((j) => `prometheus job ${j.job_name}`);
    return [id];
  });
}

describe('collector roles: the gateway and the cluster collector split the all-in-one', () => {
  it('nothing is lost: gateway ∪ cluster components = all-in-one components, kind by kind', () => {
    const [all, gw, cl] = [ids(configs['all-in-one']), ids(configs.gateway), ids(configs.cluster)];
    for (const kind of ['receivers', 'processors', 'exporters', 'extensions', 'pipelines'] as const) {
      expect([kind, union(gw[kind], cl[kind])]).toEqual([kind, [...all[kind]].sort()]);
    }
    const used = (c: CollectorConfig) => componentsInUse(c);
    const [ua, ug, uc] = [used(configs['all-in-one']), used(configs.gateway), used(configs.cluster)];
    for (const kind of ['receivers', 'processors', 'exporters', 'extensions'] as const) expect(union(ug[kind], uc[kind])).toEqual(ua[kind]);
    // Every all-in-one scrape job survives in one of the two.
    expect(union(collectingSources(configs.gateway), collectingSources(configs.cluster))).toEqual(union(collectingSources(configs['all-in-one'])));
  });

  it('nothing is collected twice: the only source both run is each pod scraping its own telemetry', () => {
    const shared = collectingSources(configs.gateway).filter((s) => collectingSources(configs.cluster).includes(s));
    expect(shared).toEqual([`prometheus job ${SELF_SCRAPE_JOB}`]);
    for (const role of ['gateway', 'cluster'] as const) {
      const self = (configs[role].receivers.prometheus as any).config.scrape_configs.find((j: any) => j.job_name === SELF_SCRAPE_JOB);
      // Its own pod IP and telemetry port: each replica scrapes itself, never a Service.
      expect(self.static_configs).toEqual([{ targets: ['${env:MY_POD_IP}:8888'] }]);
      expect(self.kubernetes_sd_configs).toBeUndefined();
    }
    expect(clusterWideCollectors(configs.gateway)).toEqual([]);
    expect(clusterWideCollectors(configs.cluster).sort()).toEqual(['k8s_cluster', 'k8sobjects', 'prometheus job kubernetes-pods']);
    // Each agent collects its own node only: its kubelet, its own telemetry.
    expect(clusterWideCollectors(configs.agent)).toEqual([]);
    expect(collectingSources(configs.agent)).toEqual([`prometheus job ${AGENT_SELF_SCRAPE_JOB}`, 'kubelet_stats']);
    expect((configs.agent.receivers.kubelet_stats as any).endpoint).toBe('https://${env:K8S_NODE_IP}:10250');
    for (const role of ['all-in-one', 'gateway', 'cluster'] as const) expect(collectingSources(configs[role])).not.toContain('kubelet_stats');
    expect(clusterWideCollectors(configs['all-in-one']).sort()).toEqual(clusterWideCollectors(configs.cluster).sort());
  });

  it('gateway: OTLP in (from the agents, which added the k8s attributes), traces to Jaeger and metrics to its endpoint; no observer or cluster receivers', () => {
    const gw = configs.gateway;
    expect(ids(gw)).toEqual({
      receivers: ['otlp', 'prometheus'],
      processors: ['memory_limiter', 'resource', 'batch'],
      exporters: ['otlp/jaeger', 'prometheus', 'debug'],
      extensions: ['health_check', 'file_storage/queue'],
      pipelines: ['traces', 'metrics'],
    });
    expect(gw.service.pipelines.traces.exporters).toEqual(['otlp/jaeger', 'debug']);
    expect(gw.service.pipelines.metrics).toEqual({ receivers: ['otlp', 'prometheus'], processors: ['memory_limiter', 'resource', 'batch'], exporters: ['prometheus', 'debug'] });
    expect((gw.receivers.otlp as any).protocols).toEqual({ grpc: { endpoint: '${env:MY_POD_IP}:4317' }, http: { endpoint: '${env:MY_POD_IP}:4318' } });
  });

  it('cluster: k8s_cluster, annotated pods and events; no kubelet stats (the agents), no OTLP receiver, no k8s_attributes, no Jaeger', () => {
    const cl = configs.cluster;
    expect(ids(cl)).toEqual({
      receivers: ['prometheus', 'k8s_cluster', 'k8sobjects'],
      processors: ['memory_limiter', 'resource', 'batch'],
      exporters: ['prometheus', 'debug', 'elasticsearch/events'],
      extensions: ['health_check', 'file_storage/queue'],
      pipelines: ['metrics', 'logs/events'],
    });
    expect(cl.service.pipelines.metrics.receivers).toEqual(['prometheus', 'k8s_cluster']);
    expect(cl.service.pipelines['logs/events'].exporters).toEqual(['elasticsearch/events']);
    // Without events: no k8sobjects, no Elasticsearch.
    const noEvents = buildCollectorConfig({ ...base, role: 'cluster' });
    expect(Object.keys(noEvents.receivers)).not.toContain('k8sobjects');
    expect(Object.keys(noEvents.exporters)).toEqual(['prometheus', 'debug']);
  });

  it('agent: OTLP in, k8s attributes of its node, kubelet stats of its node, resource detection, all forwarded to the gateway', () => {
    const ag = configs.agent;
    expect(ids(ag)).toEqual({
      receivers: ['otlp', 'prometheus', 'kubelet_stats'],
      processors: ['memory_limiter', 'resource', 'k8s_attributes', 'resource_detection'],
      exporters: [AGENT_EXPORTER],
      extensions: ['health_check'],
      pipelines: ['traces', 'metrics'],
    });
    const processors = ['memory_limiter', 'k8s_attributes', 'resource_detection', 'resource'];
    expect(ag.service.pipelines.traces).toEqual({ receivers: ['otlp'], processors, exporters: [AGENT_EXPORTER] });
    expect(ag.service.pipelines.metrics).toEqual({ receivers: ['otlp', 'prometheus', 'kubelet_stats'], processors, exporters: [AGENT_EXPORTER] });
    expect((ag.processors.k8s_attributes as any).filter).toEqual({ node_from_env_var: 'K8S_NODE_NAME' });
    expect(ag.processors.resource_detection).toEqual({ detectors: ['env', 'k8s_api'], override: false, k8s_api: { node_from_env_var: 'K8S_NODE_NAME', resource_attributes: { 'k8s.cluster.uid': { enabled: false } } } });
    // Its own telemetry, labelled with its node, goes to the gateway's endpoint (verify reads the agent hop there).
    const self = (ag.receivers.prometheus as any).config.scrape_configs;
    expect(self).toEqual([{ job_name: AGENT_SELF_SCRAPE_JOB, scrape_interval: '15s', static_configs: [{ targets: ['${env:MY_POD_IP}:8888'], labels: { [AGENT_NODE_LABEL]: '${env:K8S_NODE_NAME}' } }] }]);
  });

  it('agent: answers the app only once the gateway took the batch (no batch processor, no persistent queue), retries briefly', () => {
    const ag = configs.agent;
    expect(ag.processors.batch).toBeUndefined();
    expect(ag.extensions[QUEUE_STORAGE]).toBeUndefined();
    const exporter = ag.exporters[AGENT_EXPORTER] as any;
    expect(exporter).toEqual({
      endpoint: gatewayOtlpEndpoint,
      tls: { insecure: true },
      timeout: '3s',
      sending_queue: { enabled: true, wait_for_result: true, block_on_overflow: false, num_consumers: 4, sizer: 'items', queue_size: AGENT_QUEUE.items, batch: AGENT_QUEUE.batch },
      retry_on_failure: AGENT_RETRY,
    });
    // Retries + one attempt stay inside the OTLP SDKs' default 10 s export timeout, so the app is still waiting for the answer.
    const s = (d: string) => Number(d.replace(/ms$/, 'e-3').replace(/s$/, ''));
    expect(s(AGENT_RETRY.max_elapsed_time) + s(exporter.timeout)).toBeLessThan(10);
    // The exporterhelper refuses a batch min_size above the queue size (same sizer).
    expect(AGENT_QUEUE.batch.min_size).toBeLessThanOrEqual(AGENT_QUEUE.items);
  });

  it('agent: needs the gateway endpoint, refuses a persistent queue and a Jaeger endpoint', () => {
    const agentWith = (o: Partial<CollectorConfigOptions>) => () => buildCollectorConfig({ ...base, role: 'agent', ...o } as CollectorConfigOptions);
    expect(agentWith({})).toThrow(/agent forwards to the gateway .* needs gatewayOtlpEndpoint/);
    expect(agentWith({ gatewayOtlpEndpoint: 'http://gw:4317' })).toThrow(/must be host:port/);
    expect(agentWith({ gatewayOtlpEndpoint, persistentQueue: { directory: '/q' } })).toThrow(/no persistent queue.*wait_for_result/);
    expect(agentWith({ gatewayOtlpEndpoint, jaegerOtlpEndpoint })).toThrow(/does not export to Jaeger/);
    expect(() => buildCollectorConfig({ ...base, role: 'gateway', jaegerOtlpEndpoint, gatewayOtlpEndpoint })).toThrow(/gatewayOtlpEndpoint is for the agent/);
    // The local profile (the e2e's agent): the same minus what needs the Kubernetes API.
    const local = buildCollectorConfig({ profile: 'local', role: 'agent', gatewayOtlpEndpoint: '127.0.0.1:4317', clusterName: 'c', environment: 'e' });
    expect(ids(local)).toEqual({ receivers: ['otlp', 'prometheus'], processors: ['memory_limiter', 'resource'], exporters: [AGENT_EXPORTER], extensions: ['health_check'], pipelines: ['traces', 'metrics'] });
  });

  it.each(['all-in-one', 'gateway', 'cluster'] as CollectorRole[])('%s: every pipeline runs memory_limiter first and batch last', (role) => {
    for (const [name, p] of Object.entries(configs[role].service.pipelines)) {
      expect([name, p.processors[0], p.processors[p.processors.length - 1]]).toEqual([name, 'memory_limiter', 'batch']);
      expect(p.processors.every((id) => id in configs[role].processors)).toBe(true);
    }
  });

  it('the local profile: gateway is what the off-cluster e2e runs; cluster has none', () => {
    const local = buildCollectorConfig({ profile: 'local', role: 'gateway', jaegerOtlpEndpoint: '127.0.0.1:4317', clusterName: 'c', environment: 'e' });
    expect(ids(local)).toEqual({ receivers: ['otlp', 'prometheus'], processors: ['memory_limiter', 'resource', 'batch'], exporters: ['otlp/jaeger', 'prometheus', 'debug'], extensions: ['health_check'], pipelines: ['traces', 'metrics'] });
    expect(JSON.stringify(local)).not.toContain('MY_POD_IP');
    expect(() => buildCollectorConfig({ profile: 'local', role: 'cluster', clusterName: 'c', environment: 'e' })).toThrow(/cluster role collects from the Kubernetes API .* no local profile/);
  });

  it('jaegerOtlpEndpoint: required (clear error) for all-in-one and gateway, not needed by cluster', () => {
    const noJaeger = (role: CollectorRole) => () => buildCollectorConfig({ ...base, role } as CollectorConfigOptions);
    expect(noJaeger('all-in-one')).toThrow('collector: role "all-in-one" exports traces to Jaeger and needs jaegerOtlpEndpoint');
    expect(noJaeger('gateway')).toThrow('collector: role "gateway" exports traces to Jaeger and needs jaegerOtlpEndpoint');
    expect(noJaeger('cluster')).not.toThrow();
    expect(() => buildCollectorConfig({ ...base, role: 'gateway', jaegerOtlpEndpoint, events })).toThrow(/role "gateway" runs no events pipeline/);
  });
});

describe('collector add-on values per role', () => {
  const validate = new Ajv({ strict: false, allErrors: true }).compile(JSON.parse(chartDataFile('chart-schemas', 'opentelemetry-collector', `${CHART_VERSION}.json`)));
  const schemaErrors = (values: object) => (validate({ apiVersion: 'apps/v1', ...values }) ? [] : validate.errors);
  const gatewaySpec = { min: 2, max: 6, targetCpuUtilization: 70 };

  it.each([
    ['all-in-one', {}],
    ['gateway', { replicas: gatewaySpec }],
    ['gateway', { replicas: { min: 3 } }],
    ['gateway', { replicas: { min: 1, max: 4 } }],
    ['cluster', {}],
    ['agent', {}],
  ] as [CollectorRole, Partial<OtelCollectorAddOnProps>][])("%s %j passes the chart's values schema", (role, extra) => {
    expect(schemaErrors(addOn(role, extra).values)).toEqual([]);
  });

  it('the schema check has teeth: a misspelt top-level key or a bad strategy is rejected', () => {
    const { values } = addOn('cluster');
    expect(schemaErrors({ ...values, replicas: 2 })).not.toEqual([]);
    expect(schemaErrors({ ...values, rollout: { strategy: 'Blue-Green' } })).not.toEqual([]);
  });

  it('all-in-one: one replica, and none of the new keys (the dev values are unchanged)', () => {
    const { values, addon, release } = addOn('all-in-one');
    expect(values.fullnameOverride).toBe(COLLECTOR_SERVICE);
    expect(values.replicaCount).toBe(1);
    expect(Object.keys(values)).toEqual(['mode', 'statefulset', 'fullnameOverride', 'replicaCount', 'image', 'command', 'resources', 'podSecurityContext', 'securityContext', 'clusterRole', 'ports', 'enableConfigChecksumAnnotation', 'podAnnotations', 'extraEnvs', 'extraVolumes', 'extraVolumeMounts', 'config']);
    // It no longer scrapes kubelets (the agents do): the cluster collector's grants.
    expect(values.clusterRole.rules).toEqual([...CLUSTER_RBAC_RULES, EVENTS_RBAC_RULE]);
    expect(addon.serviceName).toBe(COLLECTOR_SERVICE);
    expect(release.name).toBe(COLLECTOR_SERVICE);
  });

  it('gateway: HPA on CPU between min and max, PDB keeping one, replicas spread softly over nodes', () => {
    const { values, addon } = addOn('gateway', { replicas: gatewaySpec });
    expect(values.replicaCount).toBe(2);
    expect(values.autoscaling).toEqual({ enabled: true, minReplicas: 2, maxReplicas: 6, targetCPUUtilizationPercentage: 70 });
    expect(values.podDisruptionBudget).toEqual({ enabled: true, minAvailable: 1 });
    expect(values.rollout).toBeUndefined(); // chart default RollingUpdate: one pod at a time, the others keep serving
    expect(values.topologySpreadConstraints).toEqual([
      { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: addon.podLabels } },
    ]);
    expect(addOn('gateway', { replicas: { min: 2, max: 3 } }).values.autoscaling.targetCPUUtilizationPercentage).toBe(80);
  });

  it('gateway: a fixed count has a PDB but no HPA; one replica that may scale has an HPA but no PDB', () => {
    const fixed = addOn('gateway', { replicas: { min: 3 } }).values;
    expect([fixed.replicaCount, fixed.autoscaling, fixed.podDisruptionBudget]).toEqual([3, undefined, { enabled: true, minAvailable: 1 }]);
    const scaling = addOn('gateway', { replicas: { min: 1, max: 4 } }).values;
    expect([scaling.replicaCount, scaling.autoscaling?.maxReplicas, scaling.podDisruptionBudget]).toEqual([1, 4, undefined]);
    expect(scaling.topologySpreadConstraints).toHaveLength(1);
    const single = addOn('gateway').values;
    expect([single.replicaCount, single.autoscaling, single.podDisruptionBudget, single.topologySpreadConstraints]).toEqual([1, undefined, undefined, undefined]);
  });

  it('cluster: exactly one replica, a StatefulSet (a pod is deleted before its successor starts: two never run at once), its own release', () => {
    const { values, addon, release } = addOn('cluster');
    expect(values.replicaCount).toBe(1);
    expect([values.mode, values.rollout]).toEqual(['statefulset', undefined]);
    expect([values.autoscaling, values.podDisruptionBudget, values.topologySpreadConstraints]).toEqual([undefined, undefined, undefined]);
    expect(values.fullnameOverride).toBe(CLUSTER_COLLECTOR_SERVICE);
    expect(release.name).toBe(CLUSTER_COLLECTOR_SERVICE);
    expect(addon.serviceName).toBe(CLUSTER_COLLECTOR_SERVICE);
    expect(() => addOn('cluster', { replicas: { min: 2 } })).toThrow(/cluster collector must run exactly one replica/);
    expect(() => addOn('cluster', { replicas: { min: 1, max: 2 } })).toThrow(/cluster collector must run exactly one replica/);
  });

  it('refuses replicas that would collect twice, bad bounds, and a config of another role', () => {
    expect(() => addOn('all-in-one', { replicas: { min: 2 } })).toThrow(/2 replicas would each collect k8s_cluster, k8sobjects, prometheus job kubernetes-pods/);
    expect(() => addOn('gateway', { replicas: { min: 3, max: 2 } })).toThrow(/replicas.max must be an integer ≥ replicas.min/);
    expect(() => addOn('gateway', { replicas: { min: 0 } })).toThrow(/replicas.min must be an integer ≥ 1/);
    expect(() => addOn('gateway', { replicas: { min: 2, max: 4, targetCpuUtilization: 150 } })).toThrow(/targetCpuUtilization/);
    expect(() => addOn('cluster', { config: configs.gateway })).toThrow(/role "cluster" exposes no OTLP but the config has an otlp receiver/);
    expect(() => addOn('gateway', { config: configs.cluster })).toThrow(/role "gateway" serves OTLP but the config has no otlp receiver/);
    expect(() => addOn('gateway', { elasticsearch: es })).toThrow(/no elasticsearch\/events exporter/);
  });

  it('ports: the cluster collector exposes only its telemetry (8888) and Prometheus endpoint, no OTLP', () => {
    const enabled = (values: any) => Object.entries(values.ports as Record<string, any>).filter(([, p]) => p.enabled).map(([name, p]) => `${name}:${p.containerPort}`);
    expect(enabled(addOn('cluster').values)).toEqual(['metrics:8888', 'prom-exporter:8889']);
    expect(enabled(addOn('gateway', { replicas: gatewaySpec }).values)).toEqual(['otlp:4317', 'otlp-http:4318', 'metrics:8888', 'prom-exporter:8889']);
    expect(enabled(addOn('all-in-one').values)).toEqual(['otlp:4317', 'otlp-http:4318', 'metrics:8888', 'prom-exporter:8889']);
  });

  it("the chart's default receivers and pipelines a role does not run are deleted (null), so none is merged back", () => {
    const cluster = addOn('cluster').values.config;
    expect([cluster.receivers.otlp, cluster.receivers.jaeger, cluster.receivers.zipkin]).toEqual([null, null, null]);
    expect([cluster.service.pipelines.traces, cluster.service.pipelines.logs]).toEqual([null, null]);
    const gateway = addOn('gateway').values.config;
    expect([gateway.receivers.jaeger, gateway.receivers.zipkin, gateway.service.pipelines.logs]).toEqual([null, null, null]);
    expect(gateway.receivers.otlp).not.toBeNull();
    expect(Object.keys(gateway.service.pipelines)).toEqual(['logs', 'traces', 'metrics']);
  });

  describe('RBAC per role, least privilege', () => {
    const grants = (rules: PolicyRule[]) => rules.flatMap((r) => r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${g || 'core'}/${res}:${v}`)))).sort();

    it('gateway: reads nothing from the API, so no ClusterRole at all', () => {
      expect(addOn('gateway').values.clusterRole).toEqual({ create: false });
      expect(configs.gateway.processors.k8s_attributes).toBeUndefined();
    });

    it('agent: pods (k8s_attributes, pin: a change to extract fails here), its node (k8s_api detector) and nodes/stats (kubelet_stats)', () => {
      expect(addOn('agent').values.clusterRole).toEqual({ create: true, rules: AGENT_RBAC_RULES });
      expect(grants(AGENT_RBAC_RULES)).toEqual(['core/nodes/stats:get', 'core/nodes:get', 'core/pods:get', 'core/pods:list', 'core/pods:watch']);
      // k8sattributesprocessor v0.158.0 starts more informers (and needs more RBAC) for labels or
      // annotations, workload/cluster/node uids, or deployment_name_from_replicaset: false.
      const k8sAttributes = configs.agent.processors.k8s_attributes as any;
      expect(k8sAttributes.extract).toEqual({ metadata: ['k8s.namespace.name', 'k8s.pod.name', 'k8s.pod.uid', 'k8s.deployment.name', 'k8s.node.name', 'k8s.pod.start_time'] });
    });

    it('cluster: what k8s_cluster, the pod discovery and k8sobjects read (no nodes/stats: the agents scrape the kubelets)', () => {
      const rules = addOn('cluster').values.clusterRole.rules;
      expect(rules).toEqual([...CLUSTER_RBAC_RULES, EVENTS_RBAC_RULE]);
      const g = grants(rules);
      for (const needed of ['core/pods:list', 'core/nodes:watch', 'core/namespaces:list', 'apps/replicasets:watch', 'autoscaling/horizontalpodautoscalers:list', 'events.k8s.io/events:watch']) expect(g).toContain(needed);
      expect(g).not.toContain('core/nodes/stats:get');
      expect(g).not.toContain('core/endpoints:list');
      expect(g).not.toContain('core/events:list');
      expect(g).not.toContain('core/nodes/proxy:get');
      // No events pipeline, no events grant.
      const app = Testing.app();
      const noEvents = new OtelCollectorAddOn(new TerraformStack(app, 's'), 'c', {
        namespace: 'n', role: 'cluster', config: buildCollectorConfig({ ...base, role: 'cluster' }), chartVersion: CHART_VERSION, imageTag: '0.158.0',
        resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } },
      });
      expect((noEvents.values.clusterRole as { rules: PolicyRule[] }).rules).toEqual(CLUSTER_RBAC_RULES);
    });

    it('every role is read-only', () => {
      for (const rules of [AGENT_RBAC_RULES, CLUSTER_RBAC_RULES, [EVENTS_RBAC_RULE]]) {
        expect(rules.flatMap((r) => r.verbs).filter((v) => !['get', 'list', 'watch'].includes(v))).toEqual([]);
      }
    });
  });

  it("podLabels are the chart's selector labels + component, per release", () => {
    expect(addOn('gateway').addon.podLabels).toEqual({ 'app.kubernetes.io/name': 'opentelemetry-collector', 'app.kubernetes.io/instance': COLLECTOR_SERVICE, component: 'statefulset-collector' });
    expect(addOn('cluster').addon.podLabels['app.kubernetes.io/instance']).toBe(CLUSTER_COLLECTOR_SERVICE);
    expect(addOn('gateway', { release: 'otlp-gw' }).addon.podLabels['app.kubernetes.io/instance']).toBe('otlp-gw');
    expect(addOn('gateway', { release: 'otlp-gw' }).values.fullnameOverride).toBe('otlp-gw');
  });

  describe('persistent sending queue (what a restart or an outage must not lose)', () => {
    const queued = (c: CollectorConfig) => Object.entries(c.exporters).filter(([, e]) => (e as any).sending_queue).map(([id, e]) => [id, (e as any).sending_queue]);

    it.each(['all-in-one', 'gateway', 'cluster'] as CollectorRole[])('%s: every exporter with a queue keeps it on disk, counted in items, within the limits', (role) => {
      const c = configs[role];
      expect(c.extensions[QUEUE_STORAGE]).toEqual({ directory: QUEUE_DIRECTORY, create_directory: true, timeout: '1s', compaction: { directory: QUEUE_DIRECTORY, on_start: true, on_rebound: true } });
      expect(c.service.extensions).toContain(QUEUE_STORAGE);
      const queues = queued(c);
      expect(queues.map(([id]) => id).sort()).toEqual(role === 'gateway' ? ['otlp/jaeger'] : role === 'cluster' ? ['elasticsearch/events'] : ['elasticsearch/events', 'otlp/jaeger']);
      for (const [id, q] of queues) expect(q).toMatchObject({ enabled: true, sizer: 'items', storage: QUEUE_STORAGE, queue_size: id === 'otlp/jaeger' ? QUEUE_LIMITS.spans : QUEUE_LIMITS.events });
    });

    it('retries a queued batch with no time limit (the queue size bounds the loss), the events exporter long enough for a 5-minute outage', () => {
      expect((configs.gateway.exporters['otlp/jaeger'] as any).retry_on_failure).toEqual(EXPORT_RETRY);
      expect(EXPORT_RETRY.max_elapsed_time).toBe('0s');
      const retry = (configs.cluster.exporters['elasticsearch/events'] as any).retry;
      // Backoff 1, 2, 4, 8, 16, then 30 s: the seconds the retries span before the batch is dropped.
      let waited = 0;
      for (let i = 0, d = 1; i < retry.max_retries; i++, d = Math.min(d * 2, 30)) waited += d;
      expect(waited).toBeGreaterThan(300);
    });

    it('takes the limits and directory it is given; false keeps in-memory queues (the local default)', () => {
      const custom = buildCollectorConfig({ ...base, role: 'all-in-one', jaegerOtlpEndpoint, events, persistentQueue: { directory: '/q', spans: 5000, events: 700 } });
      expect(Object.fromEntries(queued(custom).map(([id, q]) => [id, [q.queue_size, q.storage]]))).toEqual({ 'otlp/jaeger': [5000, QUEUE_STORAGE], 'elasticsearch/events': [700, QUEUE_STORAGE] });
      const memory = buildCollectorConfig({ ...base, role: 'gateway', jaegerOtlpEndpoint, persistentQueue: false });
      expect(memory.extensions[QUEUE_STORAGE]).toBeUndefined();
      expect((memory.exporters['otlp/jaeger'] as any).sending_queue).toEqual({ enabled: true, num_consumers: 4, sizer: 'items', queue_size: MEMORY_QUEUE_LIMITS.spans });
      const local = buildCollectorConfig({ profile: 'local', role: 'gateway', jaegerOtlpEndpoint: '127.0.0.1:4317', clusterName: 'c', environment: 'e' });
      expect(local.extensions[QUEUE_STORAGE]).toBeUndefined();
    });

    it.each(['all-in-one', 'gateway', 'cluster'] as CollectorRole[])('%s: a StatefulSet whose every pod mounts a queue volume of its own at the queue directory', (role) => {
      const { values } = addOn(role, { queueVolume: { size: '2Gi', storageClass: 'fast' } });
      expect(values.mode).toBe('statefulset');
      expect(values.statefulset).toEqual({
        volumeClaimTemplates: [{ metadata: { name: 'queue' }, spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'fast', resources: { requests: { storage: '2Gi' } } } }],
        podManagementPolicy: 'Parallel',
        persistentVolumeClaimRetentionPolicy: { enabled: true, whenDeleted: 'Delete', whenScaled: 'Retain' },
      });
      expect(values.extraVolumeMounts[0]).toEqual({ name: 'queue', mountPath: QUEUE_DIRECTORY });
      expect(values.config.extensions[QUEUE_STORAGE].directory).toBe(QUEUE_DIRECTORY);
      expect(addOn(role).values.statefulset.volumeClaimTemplates[0].spec).toEqual({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } });
    });

    it('refuses a config whose queue is not on the queue volume', () => {
      const inMemory = buildCollectorConfig({ ...base, role: 'gateway', jaegerOtlpEndpoint, persistentQueue: false });
      expect(() => addOn('gateway', { config: inMemory })).toThrow(/file_storage\/queue extension must keep its queue in \/var\/lib\/otelcol\/queue.*got no persistent queue/);
      const elsewhere = buildCollectorConfig({ ...base, role: 'gateway', jaegerOtlpEndpoint, persistentQueue: { directory: '/tmp/q' } });
      expect(() => addOn('gateway', { config: elsewhere })).toThrow(/got \/tmp\/q/);
    });
  });
});

describe('the agent add-on: a DaemonSet apps reach on their own node, Pod Security restricted', () => {
  it('daemonset mode, a Service with internalTrafficPolicy Local, no hostPort, a surging rolling update, no volume', () => {
    const { values, addon, release } = addOn('agent');
    expect([values.mode, values.fullnameOverride, release.name, addon.serviceName]).toEqual(['daemonset', AGENT_SERVICE, AGENT_SERVICE, AGENT_SERVICE]);
    expect(values.service).toEqual({ enabled: true, internalTrafficPolicy: 'Local' });
    expect(values.rollout).toEqual({ strategy: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    // Every node, control plane included (as Fluentd): the apps there need their agent too.
    expect(values.tolerations).toEqual([{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }]);
    // chart 0.170.0 renders hostPort for daemonset mode when truthy, and its defaults set 4317/4318.
    expect([values.ports.otlp.hostPort, values.ports['otlp-http'].hostPort]).toEqual([0, 0]);
    expect(JSON.stringify(values)).not.toMatch(/hostNetwork|hostPath|"hostPort":[1-9]/);
    expect([values.statefulset, values.replicaCount, values.extraVolumes, values.extraVolumeMounts]).toEqual([undefined, undefined, [], []]);
    const enabled = Object.entries(values.ports as Record<string, any>).filter(([, p]) => p.enabled).map(([name, p]) => `${name}:${p.containerPort}`);
    expect(enabled).toEqual(['otlp:4317', 'otlp-http:4318', 'metrics:8888']);
    expect(addon.podLabels).toEqual({ 'app.kubernetes.io/name': 'opentelemetry-collector', 'app.kubernetes.io/instance': AGENT_SERVICE, component: 'agent-collector' });
  });

  it("sets every environment variable its config reads (besides the chart's MY_POD_IP), from the downward API", () => {
    const { values } = addOn('agent');
    const read = [...JSON.stringify(configs.agent).matchAll(/\$\{env:([A-Z_]+)\}/g)].map((m) => m[1]);
    const nodeFrom = [(configs.agent.processors.k8s_attributes as any).filter.node_from_env_var, (configs.agent.processors.resource_detection as any).k8s_api.node_from_env_var];
    const set = Object.fromEntries(values.extraEnvs.map((e: any) => [e.name, e.valueFrom.fieldRef?.fieldPath]));
    expect(set).toEqual({ K8S_NODE_NAME: 'spec.nodeName', K8S_NODE_IP: 'status.hostIP' });
    for (const name of new Set([...read, ...nodeFrom])) expect([name, name === 'MY_POD_IP' || name in set]).toEqual([name, true]);
  });

  it('refuses replicas, a queue volume, or a config with a persistent queue', () => {
    expect(() => addOn('agent', { replicas: { min: 2 } })).toThrow(/one pod per node/);
    expect(() => addOn('agent', { queueVolume: { size: '1Gi' } })).toThrow(/without a queue volume/);
    expect(() => addOn('agent', { config: configs.gateway })).toThrow(/role "agent" serves OTLP|persistent queue/);
  });
});
