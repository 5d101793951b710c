/**
 * Network isolation, evaluated: the NetworkPolicies the stacks synthesize are read back as
 * Kubernetes would apply them (checks/network-policies.ts) and asked "can pod A reach pod B on
 * port P" for the flows of the architecture, in both profiles. The pods carry the labels the
 * stacks really render (raw workloads: their synthesized pod templates) or the charts and ECK
 * put on them (read at the pinned versions), not the selectors the policies use.
 */
import { canReach, NamespaceModel, NetworkPolicy, PodModel, policiesFromOutdir } from '../checks/network-policies';
import type { MonitoringConfig } from '../config/schema';
import { AGENT_SERVICE, CLUSTER_COLLECTOR_SERVICE, COLLECTOR_SERVICE } from '../constructs/otel/names';
import { build, config, outdirOf, podTemplatesOf } from './helpers';

const EXISTING = { mode: 'existing', kubeconfigPath: '/dev/null', context: 'prod' };
const PROFILES = {
  dev: config(),
  // Jaeger in memory: no flow to Elasticsearch.
  'dev, jaeger.storage memory': config({ jaeger: { storage: 'memory' } }),
  production: config({ profile: 'production', cluster: EXISTING, sampleApp: { image: 'ghcr.io/acme/sample-app:1.0.0' }, networkPolicies: { otlpClientNamespaces: ['payments'] } }),
};

/** Pods of our raw workloads, with the labels and namespace of their synthesized pod templates. */
const renderedPods = (outdir: string): PodModel[] => podTemplatesOf(outdir).map((t) => ({ name: t.labels['app.kubernetes.io/name'], namespace: t.namespace, labels: t.labels }));

/** Pods the charts and ECK create, with the labels their templates give them at our pins. */
function chartPods(cfg: MonitoringConfig): PodModel[] {
  const ns = cfg.namespaces;
  const helm = (release: string, extra: Record<string, string>) => ({ 'app.kubernetes.io/instance': release, 'app.kubernetes.io/managed-by': 'Helm', ...extra });
  const pods: PodModel[] = [
    // ECK 3.5.0 pkg/controller/elasticsearch/label: cluster-name, statefulset-name, node roles.
    { name: 'elasticsearch', namespace: ns.elasticsearch, labels: { 'common.k8s.elastic.co/type': 'elasticsearch', 'elasticsearch.k8s.elastic.co/cluster-name': 'elasticsearch', 'elasticsearch.k8s.elastic.co/statefulset-name': 'elasticsearch-es-default' } },
    // eck-operator 3.5.0 templates/statefulset.yaml: eck-operator.labels (nameOverride elastic-operator).
    { name: 'eck-operator', namespace: ns.eckOperator, labels: helm('eck-operator', { 'app.kubernetes.io/name': 'elastic-operator', 'helm.sh/chart': 'eck-operator-3.5.0' }) },
    // jaeger 4.11.1 jaeger-deploy.yaml: selector labels + component all-in-one.
    { name: 'jaeger', namespace: ns.jaeger, labels: helm('jaeger', { 'app.kubernetes.io/name': 'jaeger', 'app.kubernetes.io/component': 'all-in-one' }) },
    // opentelemetry-collector 0.170.0 _pod labels: selectorLabels + component.
    { name: COLLECTOR_SERVICE, namespace: ns.collector, labels: collectorChartLabels(COLLECTOR_SERVICE) },
    // Same chart, daemonset mode: component agent-collector.
    { name: AGENT_SERVICE, namespace: ns.collector, labels: { ...collectorChartLabels(AGENT_SERVICE), component: 'agent-collector' } },
  ];
  if (cfg.collector.layout === 'gateway') pods.push({ name: CLUSTER_COLLECTOR_SERVICE, namespace: ns.collector, labels: collectorChartLabels(CLUSTER_COLLECTOR_SERVICE) });
  // ECK 3.5.0 pkg/apis/kibana/v1/labels.go GetIdentityLabels + pkg/controller/kibana/pod.go version label.
  if (cfg.kibana.enabled) pods.push({ name: 'kibana', namespace: ns.kibana, labels: { 'common.k8s.elastic.co/type': 'kibana', 'kibana.k8s.elastic.co/name': 'kibana', 'kibana.k8s.elastic.co/version': cfg.kibana.version } });
  return pods;
}

/** opentelemetry-collector 0.170.0 _helpers.tpl selectorLabels + component (statefulset mode). */
const collectorChartLabels = (release: string) => ({ 'app.kubernetes.io/name': 'opentelemetry-collector', 'app.kubernetes.io/instance': release, component: 'statefulset-collector', 'app.kubernetes.io/managed-by': 'Helm' });

interface World {
  cfg: MonitoringConfig;
  policies: NetworkPolicy[];
  namespaces: NamespaceModel[];
  pod: (name: string) => PodModel;
}

function world(cfg: MonitoringConfig): World {
  const outdir = outdirOf(build(cfg));
  const strangers: PodModel[] = [
    { name: 'stranger', namespace: 'default', labels: { app: 'debug' } },
    { name: 'payments-api', namespace: 'payments', labels: { app: 'payments' } },
  ];
  const pods = [...renderedPods(outdir), ...chartPods(cfg), ...strangers];
  const namespaces = [...new Set([...Object.values(cfg.namespaces), 'default', 'payments'])].map((name) => ({ name, labels: {} }));
  return {
    cfg,
    policies: policiesFromOutdir(outdir),
    namespaces,
    pod: (name) => {
      const found = pods.filter((p) => p.name === name);
      if (found.length !== 1) throw new Error(`pod model: ${found.length} pods named ${name} (have: ${pods.map((p) => p.name).join(', ')})`);
      return found[0];
    },
  };
}

type Flow = [from: string, to: string, port: number];

/** The table of flows: what the architecture needs (allowed) and what it must not allow (denied). */
function flowTable(cfg: MonitoringConfig): { allowed: Flow[]; denied: Flow[] } {
  const gateway = cfg.collector.layout === 'gateway';
  const scraper = gateway ? CLUSTER_COLLECTOR_SERVICE : COLLECTOR_SERVICE;
  const prom = cfg.collector.prometheusPort;
  const app = cfg.sampleApp.port;
  const allowed: Flow[] = [
    ['fluentd', 'elasticsearch', 9200],
    ['index-retention', 'elasticsearch', 9200],
    ['elasticsearch-ready', 'elasticsearch', 9200],
    ['eck-operator', 'elasticsearch', 9200],
    ['elasticsearch', 'elasticsearch', 9300],
    [scraper, 'elasticsearch', 9200], // Kubernetes events
    // The apps send to the agent of their node; the agents forward to the collector (dev) / gateway.
    ['sample-app', AGENT_SERVICE, 4317],
    ['sample-app', AGENT_SERVICE, 4318],
    ['sample-app-backend', AGENT_SERVICE, 4318],
    [AGENT_SERVICE, COLLECTOR_SERVICE, 4317],
    [AGENT_SERVICE, AGENT_SERVICE, 8888],
    [COLLECTOR_SERVICE, 'jaeger', 4317],
    ['stranger', COLLECTOR_SERVICE, prom],
    ['stranger', 'jaeger', 16686],
    [scraper, 'fluentd', 24231],
    [scraper, 'jaeger', 8888],
    [COLLECTOR_SERVICE, COLLECTOR_SERVICE, 8888],
    ['sample-app', 'sample-app-backend', app],
    ['stranger', 'sample-app', app],
  ];
  const denied: Flow[] = [
    ['sample-app', 'elasticsearch', 9200],
    ['sample-app', 'jaeger', 4317],
    ['sample-app', 'jaeger', 4318],
    ['stranger', 'elasticsearch', 9200],
    ['stranger', 'elasticsearch', 9300],
    ['fluentd', 'elasticsearch', 9300],
    ['stranger', COLLECTOR_SERVICE, 4317],
    // Nothing new besides app → agent → collector: no app past the agent, no agent past the collector.
    ['sample-app', COLLECTOR_SERVICE, 4317],
    ['sample-app', COLLECTOR_SERVICE, 4318],
    ['stranger', AGENT_SERVICE, 4317],
    ['stranger', AGENT_SERVICE, 4318],
    [AGENT_SERVICE, COLLECTOR_SERVICE, 4318],
    [AGENT_SERVICE, 'jaeger', 4317],
    [AGENT_SERVICE, 'elasticsearch', 9200],
    ['sample-app', AGENT_SERVICE, 8888],
    ['stranger', 'jaeger', 4317],
    ['stranger', 'jaeger', 8888],
    ['stranger', 'fluentd', 24231],
    ['stranger', 'sample-app-backend', app],
    ['sample-app', 'fluentd', 24231],
    ['fluentd', 'jaeger', 16685],
    ['stranger', 'eck-operator', 9443],
  ];
  if (cfg.kibana.enabled) {
    allowed.push(
      ['kibana', 'elasticsearch', 9200], // its saved objects and the users' queries
      ['kibana-data-views', 'kibana', 5601], // the data-view Job
      ['stranger', 'kibana', 5601], // users (through an in-cluster proxy; port-forward bypasses policies)
    );
    denied.push(['kibana', 'elasticsearch', 9300], ['kibana-data-views', 'elasticsearch', 9200], ['stranger', 'kibana', 5602], ['kibana', 'jaeger', 4317]);
  }
  // Jaeger stores its traces (and reads the Monitor tab's metrics) in Elasticsearch, in both profiles.
  if (cfg.jaeger.storage === 'elasticsearch') allowed.push(['jaeger', 'elasticsearch', 9200]);
  else denied.push(['jaeger', 'elasticsearch', 9200]);
  if (gateway) {
    allowed.push(['stranger', CLUSTER_COLLECTOR_SERVICE, prom], [CLUSTER_COLLECTOR_SERVICE, CLUSTER_COLLECTOR_SERVICE, 8888], ['payments-api', AGENT_SERVICE, 4317]);
    denied.push(
      ['payments-api', COLLECTOR_SERVICE, 4317], // otlpClientNamespaces reach the agents, like the app
      [AGENT_SERVICE, CLUSTER_COLLECTOR_SERVICE, 4317],
      [COLLECTOR_SERVICE, 'elasticsearch', 9200], // only the cluster collector ships events
      [CLUSTER_COLLECTOR_SERVICE, 'jaeger', 4317], // it sends no traces
      ['sample-app', CLUSTER_COLLECTOR_SERVICE, 4317], // nor receives OTLP
      [COLLECTOR_SERVICE, 'fluentd', 24231], // the gateway does not scrape pods
    );
  } else {
    denied.push(['payments-api', COLLECTOR_SERVICE, 4317], ['payments-api', AGENT_SERVICE, 4317]);
  }
  return { allowed, denied };
}

const verdict = (w: World, [from, to, port]: Flow, policies = w.policies) => canReach({ namespaces: w.namespaces, policies }, w.pod(from), w.pod(to), port);

describe.each(Object.entries(PROFILES))('network isolation, %s profile', (_profile, cfg) => {
  const w = world(cfg);
  const table = flowTable(cfg);

  it.each(table.allowed)('allows %s → %s:%d', (...flow) => {
    const v = verdict(w, flow);
    expect({ flow, ...v }).toEqual({ flow, allowed: true, reason: v.reason });
  });

  it.each(table.denied)('denies %s → %s:%d', (...flow) => {
    const v = verdict(w, flow);
    expect({ flow, ...v }).toEqual({ flow, allowed: false, reason: v.reason });
  });

  it('has a default-deny ingress policy in every namespace the stacks create', () => {
    const denyAll = w.policies.filter((p) => p.policyTypes.includes('Ingress') && p.ingress.length === 0 && Object.keys(p.podSelector.matchLabels ?? {}).length === 0 && !p.podSelector.matchExpressions?.length);
    expect(denyAll.map((p) => p.namespace).sort()).toEqual(Object.values(cfg.namespaces).sort());
  });

  it('needs every policy: removing any one rule denies a flow of the table', () => {
    const opening = w.policies.filter((p) => p.ingress.length > 0);
    expect(opening.length).toBeGreaterThan(5);
    for (const removed of opening) {
      const rest = w.policies.filter((p) => p !== removed);
      const broken = table.allowed.filter((flow) => !verdict(w, flow, rest).allowed);
      expect({ policy: `${removed.namespace}/${removed.name}`, breaks: broken.length > 0 }).toEqual({ policy: `${removed.namespace}/${removed.name}`, breaks: true });
    }
  });
});

describe('kibana.enabled: false', () => {
  it('renders no Kibana namespace or policy, and Kibana is no Elasticsearch client', () => {
    const cfg = config({ kibana: { enabled: false } });
    const w = world(cfg);
    expect(w.policies.filter((p) => p.namespace === cfg.namespaces.kibana)).toEqual([]);
    const clients = w.policies.find((p) => p.name === 'elasticsearch-http-clients')!;
    expect(JSON.stringify(clients.ingress)).not.toContain('kibana');
  });
});

describe('the switch', () => {
  it('networkPolicies.enabled: false renders no NetworkPolicy, so every flow is open', () => {
    const cfg = config({ networkPolicies: { enabled: false } });
    const w = world(cfg);
    expect(w.policies).toEqual([]);
    expect(verdict(w, ['sample-app', 'elasticsearch', 9200]).allowed).toBe(true);
  });
});
