import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1';
import { TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import type { MonitoringConfig } from '../config/schema';
import { ElasticsearchClientSecrets } from '../constructs/elasticsearch/client-secrets';
import { EVENTS_INDEX_PREFIX } from '../constructs/elasticsearch/names';
import { OtelCollectorAddOn } from '../constructs/addons/otel-collector';
import { ClusterConnection, KubernetesProviders } from '../constructs/k8s/cluster-connection';
import { resourceRequirements } from '../constructs/k8s/resources';
import { buildCollectorConfig } from '../constructs/otel/collector-config';
import { ElasticsearchStack } from './elasticsearch-stack';
import { JaegerStack } from './jaeger-stack';
import { MonitoringStack } from './monitoring-stack';

const ES_CA_MOUNT = '/etc/elasticsearch-ca';

/** The OpenTelemetry Collector gateway: traces → Jaeger, metrics → Prometheus endpoint, events → ES. */
export class OtelCollectorStack extends MonitoringStack {
  /** OTLP/HTTP base URL for SDKs (OTEL_EXPORTER_OTLP_ENDPOINT). */
  readonly otlpHttpEndpoint: string;

  constructor(scope: Construct, config: MonitoringConfig, connection: ClusterConnection, jaeger: JaegerStack, elasticsearch: ElasticsearchStack) {
    super(scope, 'otel-collector', config);
    new KubernetesProviders(this, 'providers', { connection });
    const ns = config.namespaces.collector;
    const namespace = new NamespaceV1(this, 'namespace', { metadata: { name: ns } });
    const es = new ElasticsearchClientSecrets(this, 'es-writer', {
      namespace: namespace.metadata.name,
      username: elasticsearch.writerUsername,
      password: elasticsearch.writerPassword,
      caCertPem: elasticsearch.caCertPem,
    });
    const clusterName = config.cluster.mode === 'existing' ? config.cluster.context : config.cluster.name;
    const collectorConfig = buildCollectorConfig({
      profile: 'kubernetes',
      jaegerOtlpEndpoint: jaeger.otlpGrpcEndpoint,
      prometheusPort: config.collector.prometheusPort,
      clusterName,
      environment: config.environment,
      statsIntervalSeconds: config.collector.statsIntervalSeconds,
      events: { endpoint: elasticsearch.url, index: EVENTS_INDEX_PREFIX, caFile: `${ES_CA_MOUNT}/ca.crt` },
    });
    const collector = new OtelCollectorAddOn(this, 'collector', {
      namespace: namespace.metadata.name,
      config: collectorConfig,
      chartVersion: config.collector.chartVersion,
      imageTag: config.collector.imageTag,
      resources: resourceRequirements(config.collector.resources),
      prometheusPort: config.collector.prometheusPort,
      elasticsearch: { credentialsSecret: es.credentialsSecret, caSecret: es.caSecret, checksum: es.checksum, caMountPath: ES_CA_MOUNT },
      dependsOn: es.secrets,
    });

    // From the release's attributes, so the sample-app stack reads it through remote state.
    const svc = `${collector.release.name}.${collector.release.namespace}.svc.cluster.local`;
    this.otlpHttpEndpoint = `http://${svc}:4318`;
    new TerraformOutput(this, 'otlp_http_endpoint', { value: this.otlpHttpEndpoint });
    new TerraformOutput(this, 'otlp_grpc_endpoint', { value: `${svc}:4317` });
    new TerraformOutput(this, 'prometheus_endpoint', { value: `http://${svc}:${config.collector.prometheusPort}/metrics` });
    new TerraformOutput(this, 'port_forward', {
      value: `kubectl -n ${ns} port-forward svc/${collector.serviceName} ${config.collector.prometheusPort}:${config.collector.prometheusPort}   # then http://localhost:${config.collector.prometheusPort}/metrics`,
    });
  }
}
