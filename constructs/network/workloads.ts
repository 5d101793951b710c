import type { MonitoringConfig } from '../../config/schema';
import { SAMPLE_APP_BACKEND_SERVICE, SAMPLE_APP_SERVICE } from '../app/names';
import { ELASTICSEARCH_CLUSTER, INDEX_RETENTION_JOB, READINESS_JOB } from '../elasticsearch/names';
import { FLUENTD_DAEMONSET } from '../fluentd/names';
import { JAEGER_RELEASE } from '../jaeger/names';
import { DATA_VIEWS_JOB, kibanaPodLabels } from '../kibana/names';
import { Workload } from '../k8s/network-policy';
import { AGENT_SERVICE, CLUSTER_COLLECTOR_SERVICE, COLLECTOR_SERVICE, collectorPodLabels } from '../otel/names';

/** Pod labels of our raw workloads (SecureDeployment/DaemonSet/Job/CronJob set `app.kubernetes.io/name`). */
const named = (name: string) => ({ 'app.kubernetes.io/name': name });

/**
 * Every workload the stacks deploy, as NetworkPolicy selectors: namespace + pod labels. One
 * place, read by the policies (constructs/network/flows.ts) and by the tests that evaluate
 * them against the pod labels the stacks and charts really render.
 */
export function workloads(config: MonitoringConfig) {
  const ns = config.namespaces;
  const gatewayLayout = config.collector.layout === 'gateway';
  const w = (namespace: string, pods: Record<string, string>): Workload => ({ namespace, pods });
  const otlpCollector = w(ns.collector, collectorPodLabels(COLLECTOR_SERVICE));
  // In the gateway layout, the cluster collector scrapes annotated pods and ships events.
  const clusterCollector = gatewayLayout ? w(ns.collector, collectorPodLabels(CLUSTER_COLLECTOR_SERVICE)) : otlpCollector;
  return {
    elasticsearchNodes: w(ns.elasticsearch, { 'elasticsearch.k8s.elastic.co/cluster-name': ELASTICSEARCH_CLUSTER }),
    readinessGate: w(ns.elasticsearch, named(READINESS_JOB)),
    // eck-operator chart: nameOverride elastic-operator, release eck-operator.
    eckOperator: w(ns.eckOperator, { 'app.kubernetes.io/name': 'elastic-operator', 'app.kubernetes.io/instance': 'eck-operator' }),
    jaeger: w(ns.jaeger, { 'app.kubernetes.io/name': 'jaeger', 'app.kubernetes.io/instance': JAEGER_RELEASE, 'app.kubernetes.io/component': 'all-in-one' }),
    /** The node agents (DaemonSet): receive the apps' OTLP, forward it to otlpCollector. */
    otlpAgent: w(ns.collector, collectorPodLabels(AGENT_SERVICE, 'daemonset')),
    /** Receives the agents' OTLP (the single collector, or the gateway). */
    otlpCollector,
    /** Scrapes `prometheus.io/scrape` pods, kubelets and the API; sends events to Elasticsearch. */
    clusterCollector,
    fluentd: w(ns.logging, named(FLUENTD_DAEMONSET)),
    indexRetention: w(ns.logging, named(INDEX_RETENTION_JOB)),
    sampleAppFront: w(ns.app, named(SAMPLE_APP_SERVICE)),
    sampleAppBackend: w(ns.app, named(SAMPLE_APP_BACKEND_SERVICE)),
    /** Kibana's pods as ECK labels them. */
    kibana: w(ns.kibana, kibanaPodLabels()),
    kibanaDataViews: w(ns.kibana, named(DATA_VIEWS_JOB)),
  };
}

export type Workloads = ReturnType<typeof workloads>;
