import { TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import type { MonitoringConfig } from '../config/schema';
import { ElasticsearchClientSecrets } from '../constructs/elasticsearch/client-secrets';
import { EVENTS_INDEX_PREFIX, EVENTS_WRITER_USER } from '../constructs/elasticsearch/names';
import { elasticsearchUser } from '../constructs/elasticsearch/users';
import { OtelCollectorAddOn } from '../constructs/addons/otel-collector';
import { ClusterConnection, KubernetesProviders } from '../constructs/k8s/cluster-connection';
import { SecureNamespace } from '../constructs/k8s/namespace';
import { CollectorIngress } from '../constructs/network/flows';
import { resourceRequirements } from '../constructs/k8s/resources';
import { buildCollectorConfig, QUEUE_DIRECTORY } from '../constructs/otel/collector-config';
import { ElasticsearchStack } from './elasticsearch-stack';
import { JaegerStack } from './jaeger-stack';
import { MonitoringStack } from './monitoring-stack';

const ES_CA_MOUNT = '/etc/elasticsearch-ca';

/**
 * The OpenTelemetry Collector: traces → Jaeger, metrics → Prometheus endpoint, events → ES.
 * In both layouts apps send OTLP to the node agent on their own node (a DaemonSet behind a
 * Service with internalTrafficPolicy Local: docs/agent.md), which forwards to:
 * `single` layout (dev): one collector doing everything else. `gateway` layout (production): an
 * autoscaled OTLP gateway (PDB, HPA), plus one cluster collector for cluster stats,
 * annotated-pod scrapes and events.
 */
export class OtelCollectorStack extends MonitoringStack {
  /** OTLP/HTTP base URL for SDKs (OTEL_EXPORTER_OTLP_ENDPOINT): the agent of the app's node. */
  readonly otlpHttpEndpoint: string;

  constructor(scope: Construct, config: MonitoringConfig, connection: ClusterConnection, jaeger: JaegerStack, elasticsearch: ElasticsearchStack) {
    super(scope, 'otel-collector', config);
    new KubernetesProviders(this, 'providers', { connection });
    const ns = config.namespaces.collector;
    const namespace = new SecureNamespace(this, 'namespace', { name: ns, denyIngressByDefault: config.networkPolicies.enabled });
    if (config.networkPolicies.enabled) new CollectorIngress(this, 'ingress', { config, namespace: namespace.metadata.name });
    const es = new ElasticsearchClientSecrets(this, 'es-writer', {
      namespace: namespace.metadata.name,
      elasticsearch: elasticsearch.refs,
      user: elasticsearchUser(config, EVENTS_WRITER_USER),
      credentialsRevision: config.elasticsearch.credentialsRevision,
    });
    const clusterName = config.cluster.mode === 'existing' ? config.cluster.context : config.cluster.name;
    const c = config.collector;
    const common = { profile: 'kubernetes', clusterName, environment: config.environment, prometheusPort: c.prometheusPort, statsIntervalSeconds: c.statsIntervalSeconds } as const;
    const events = { endpoint: elasticsearch.url, index: EVENTS_INDEX_PREFIX, caFile: `${ES_CA_MOUNT}/ca.crt` };
    const esClient = { credentialsSecret: es.credentialsSecret, caSecret: es.caSecret, checksum: es.checksum, caMountPath: ES_CA_MOUNT };
    const chart = {
      namespace: namespace.metadata.name, chartVersion: c.chartVersion, imageTag: c.imageTag, prometheusPort: c.prometheusPort, dependsOn: es.secrets,
      queueVolume: { size: c.queue.size, storageClass: c.queue.storageClass },
    };
    const persistentQueue = { directory: QUEUE_DIRECTORY, spans: c.queue.spans, events: c.queue.events };
    const gatewayLayout = c.layout === 'gateway';

    // The collector apps send OTLP to: the dev all-in-one, or the scalable gateway.
    const collector = new OtelCollectorAddOn(this, 'collector', {
      ...chart,
      role: gatewayLayout ? 'gateway' : 'all-in-one',
      config: buildCollectorConfig({ ...common, persistentQueue, role: gatewayLayout ? 'gateway' : 'all-in-one', jaegerOtlpEndpoint: jaeger.otlpGrpcEndpoint, events: gatewayLayout ? undefined : events }),
      resources: resourceRequirements(c.resources),
      replicas: gatewayLayout ? { min: c.gateway.minReplicas, max: c.gateway.maxReplicas, targetCpuUtilization: c.gateway.targetCpuUtilization } : undefined,
      elasticsearch: gatewayLayout ? undefined : esClient,
    });
    // Gateway layout: one replica collects the cluster-level data, so nothing is collected twice.
    const clusterCollector = gatewayLayout
      ? new OtelCollectorAddOn(this, 'cluster-collector', {
          ...chart,
          role: 'cluster',
          config: buildCollectorConfig({ ...common, persistentQueue, role: 'cluster', events }),
          resources: resourceRequirements(c.clusterResources),
          elasticsearch: esClient,
        })
      : undefined;

    // The node agents, in front of the collector above: apps reach the one on their own node.
    const collectorSvc = `${collector.release.name}.${collector.release.namespace}.svc.cluster.local`;
    const agent = new OtelCollectorAddOn(this, 'agent', {
      namespace: namespace.metadata.name,
      chartVersion: c.chartVersion,
      imageTag: c.imageTag,
      role: 'agent',
      config: buildCollectorConfig({ ...common, role: 'agent', gatewayOtlpEndpoint: `${collectorSvc}:4317` }),
      resources: resourceRequirements(c.agent.resources),
      // After the collector it forwards to, so the agents find it answering.
      dependsOn: [collector.release],
    });

    // From the release's attributes, so the sample-app stack reads it through remote state.
    const svc = `${agent.release.name}.${agent.release.namespace}.svc.cluster.local`;
    this.otlpHttpEndpoint = `http://${svc}:4318`;
    new TerraformOutput(this, 'otlp_http_endpoint', { value: this.otlpHttpEndpoint, description: "the node agent's Service (internalTrafficPolicy Local): each pod reaches the agent of its own node" });
    new TerraformOutput(this, 'otlp_grpc_endpoint', { value: `${svc}:4317`, description: "the node agent's Service (internalTrafficPolicy Local)" });
    const prometheus = collectorSvc;
    new TerraformOutput(this, 'prometheus_endpoint', { value: `http://${prometheus}:${config.collector.prometheusPort}/metrics` });
    if (clusterCollector) {
      const clusterSvc = `${clusterCollector.release.name}.${clusterCollector.release.namespace}.svc.cluster.local`;
      new TerraformOutput(this, 'cluster_prometheus_endpoint', { value: `http://${clusterSvc}:${config.collector.prometheusPort}/metrics`, description: 'kubelet/cluster stats and scraped pods (gateway layout); the gateway endpoint has the OTLP metrics, per replica' });
    }
    new TerraformOutput(this, 'layout', { value: c.layout });
    new TerraformOutput(this, 'port_forward', {
      value: `kubectl -n ${ns} port-forward svc/${collector.serviceName} ${config.collector.prometheusPort}:${config.collector.prometheusPort}   # then http://localhost:${config.collector.prometheusPort}/metrics`,
    });
  }
}
