/**
 * The network flows the architecture needs, one construct per destination namespace. With
 * each namespace's default-deny ingress policy (SecureNamespace) these are the only flows
 * that reach our pods. Egress stays open. Ports are the listeners' own constants.
 */
import { Construct } from 'constructs';
import type { MonitoringConfig } from '../../config/schema';
import { ELASTICSEARCH_PORT } from '../elasticsearch/names';
import { FLUENTD_METRICS_PORT } from '../fluentd/fluent-conf';
import { JAEGER_PORTS } from '../jaeger/jaeger-config';
import { IngressPeer, IngressPolicy, Workload } from '../k8s/network-policy';
import { KIBANA_PORT } from '../kibana/names';
import { DEFAULT_COLLECTOR_PORTS } from '../otel/collector-config';
import { workloads } from './workloads';

/** Elasticsearch transport (node ↔ node). */
export const ELASTICSEARCH_TRANSPORT_PORT = 9300;

interface FlowsProps {
  readonly config: MonitoringConfig;
  /** The destination namespace as a reference to its resource, so policies follow it. */
  readonly namespace: string;
}

/** The same workload, selected in the namespace resource (an implicit dependency on it). */
const inNamespace = (workload: Workload, namespace: string): Workload => ({ namespace, pods: workload.pods });

/** Elasticsearch: its clients on 9200, the nodes among themselves on 9300. */
export class ElasticsearchIngress extends Construct {
  constructor(scope: Construct, id: string, props: FlowsProps) {
    super(scope, id);
    const w = workloads(props.config);
    const nodes = inNamespace(w.elasticsearchNodes, props.namespace);
    const clients: IngressPeer[] = [
      w.fluentd,
      w.clusterCollector, // Kubernetes events
      w.eckOperator, // health, settings, rolling upgrades
      w.readinessGate, // health + index templates
      ...(props.config.elasticsearch.retentionDays > 0 ? [w.indexRetention] : []),
      ...(props.config.jaeger.storage === 'elasticsearch' ? [w.jaeger] : []),
      ...(props.config.kibana.enabled ? [w.kibana] : []), // its saved objects, and every query users run
    ];
    new IngressPolicy(this, 'http', { name: 'elasticsearch-http-clients', to: nodes, ports: [ELASTICSEARCH_PORT], from: clients });
    new IngressPolicy(this, 'transport', { name: 'elasticsearch-transport', to: nodes, ports: [ELASTICSEARCH_TRANSPORT_PORT], from: [w.elasticsearchNodes] });
  }
}

/** Jaeger: OTLP from the collector only; the UI/API for anyone in the cluster; metrics for the scraper. */
export class JaegerIngress extends Construct {
  constructor(scope: Construct, id: string, props: FlowsProps) {
    super(scope, id);
    const w = workloads(props.config);
    const jaeger = inNamespace(w.jaeger, props.namespace);
    new IngressPolicy(this, 'otlp', { name: 'jaeger-otlp-from-collector', to: jaeger, ports: [JAEGER_PORTS.otlpGrpc], from: [w.otlpCollector] });
    new IngressPolicy(this, 'ui', { name: 'jaeger-query-ui', to: jaeger, ports: [JAEGER_PORTS.queryHttp], from: ['any-pod'] });
    // The chart annotates Jaeger's pods prometheus.io/scrape on its metrics port.
    new IngressPolicy(this, 'metrics', { name: 'jaeger-metrics-scrape', to: jaeger, ports: [JAEGER_PORTS.metrics], from: [w.clusterCollector] });
  }
}

/**
 * Collectors: OTLP from the app namespaces to the node agents, from the agents to the collector
 * (all-in-one or gateway) and from nothing else; the Prometheus endpoint for anyone, self-scrapes.
 */
export class CollectorIngress extends Construct {
  constructor(scope: Construct, id: string, props: FlowsProps) {
    super(scope, id);
    const config = props.config;
    const w = workloads(config);
    const otlp = inNamespace(w.otlpCollector, props.namespace);
    const agent = inNamespace(w.otlpAgent, props.namespace);
    const appNamespaces = [...new Set([config.namespaces.app, ...config.networkPolicies.otlpClientNamespaces])];
    new IngressPolicy(this, 'agent-otlp', {
      name: 'agent-otlp-from-apps',
      to: agent,
      ports: [DEFAULT_COLLECTOR_PORTS.otlpGrpc, DEFAULT_COLLECTOR_PORTS.otlpHttp],
      from: appNamespaces.map((namespace) => ({ namespace })),
    });
    // The agents forward over OTLP gRPC; apps no longer reach the collector directly.
    new IngressPolicy(this, 'otlp', { name: 'collector-otlp-from-agents', to: otlp, ports: [DEFAULT_COLLECTOR_PORTS.otlpGrpc], from: [w.otlpAgent] });
    new IngressPolicy(this, 'agent-self-scrape', { name: 'agent-self-scrape', to: agent, ports: [DEFAULT_COLLECTOR_PORTS.telemetry], from: [{ namespace: config.namespaces.collector, pods: agent.pods }] });
    const collectors = config.collector.layout === 'gateway' ? [otlp, inNamespace(w.clusterCollector, props.namespace)] : [otlp];
    collectors.forEach((collector, i) => {
      const role = i === 0 ? 'collector' : 'cluster-collector';
      new IngressPolicy(this, `${role}-prometheus`, { name: `${role}-prometheus-endpoint`, to: collector, ports: [config.collector.prometheusPort], from: ['any-pod'] });
      // Each collector scrapes its own telemetry on its pod IP.
      new IngressPolicy(this, `${role}-self-scrape`, { name: `${role}-self-scrape`, to: collector, ports: [DEFAULT_COLLECTOR_PORTS.telemetry], from: [{ namespace: config.namespaces.collector, pods: collector.pods }] });
    });
  }
}

/** Logging: Fluentd's Prometheus metrics for the scraping collector (nothing else listens). */
export class LoggingIngress extends Construct {
  constructor(scope: Construct, id: string, props: FlowsProps) {
    super(scope, id);
    const w = workloads(props.config);
    new IngressPolicy(this, 'metrics', { name: 'fluentd-metrics-scrape', to: inNamespace(w.fluentd, props.namespace), ports: [FLUENTD_METRICS_PORT], from: [w.clusterCollector] });
  }
}

/** Sample app: the front is the app's entry point; the backend only takes calls from the front. */
export class SampleAppIngress extends Construct {
  constructor(scope: Construct, id: string, props: FlowsProps) {
    super(scope, id);
    const w = workloads(props.config);
    const port = props.config.sampleApp.port;
    new IngressPolicy(this, 'front', { name: 'sample-app-front', to: inNamespace(w.sampleAppFront, props.namespace), ports: [port], from: ['any-pod'] });
    new IngressPolicy(this, 'backend', { name: 'sample-app-backend-from-front', to: inNamespace(w.sampleAppBackend, props.namespace), ports: [port], from: [w.sampleAppFront] });
  }
}

/**
 * Kibana: its UI/API on 5601 for anyone in the cluster, like Jaeger's UI (users arrive through
 * `kubectl port-forward`, which NetworkPolicy does not see, or an in-cluster proxy; Kibana asks
 * for a login). The data-view Job is one of those clients.
 */
export class KibanaIngress extends Construct {
  constructor(scope: Construct, id: string, props: FlowsProps) {
    super(scope, id);
    const w = workloads(props.config);
    new IngressPolicy(this, 'ui', { name: 'kibana-ui', to: inNamespace(w.kibana, props.namespace), ports: [KIBANA_PORT], from: ['any-pod'] });
  }
}
