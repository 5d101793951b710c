import { ServiceV1 } from '@cdktf/provider-kubernetes/lib/service-v1';
import { TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import type { MonitoringConfig } from '../config/schema';
import { JaegerAddOn, JaegerElasticsearchProps } from '../constructs/addons/jaeger';
import { ElasticsearchClientSecrets } from '../constructs/elasticsearch/client-secrets';
import { JAEGER_MAX_SPAN_AGE_DAYS_LIMIT, JAEGER_PORTS } from '../constructs/jaeger/jaeger-config';
import { elasticsearchUser } from '../constructs/elasticsearch/users';
import { JAEGER_ES_USER, JAEGER_QUERY_SERVICE } from '../constructs/jaeger/names';
import { buildJaegerUiConfig, JaegerUiConfig } from '../constructs/jaeger/ui-config';
import { DATA_VIEW_IDS } from '../constructs/kibana/names';
import { ClusterConnection, KubernetesProviders } from '../constructs/k8s/cluster-connection';
import { SecureNamespace } from '../constructs/k8s/namespace';
import { JaegerIngress } from '../constructs/network/flows';
import { resourceRequirements } from '../constructs/k8s/resources';
import { ElasticsearchStack } from './elasticsearch-stack';
import { MonitoringStack } from './monitoring-stack';

/**
 * Jaeger v2 all-in-one; OTLP in on 4317/4318, UI/API on 16686. Traces in the Elasticsearch
 * cluster as Jaeger's own user over verified TLS (both profiles; production with 2+ replicas),
 * read back by the Monitor tab's metric backend; or in memory (`jaeger.storage: memory`).
 */
export class JaegerStack extends MonitoringStack {
  /** host:port of Jaeger's OTLP gRPC receiver, for the collector's exporter. */
  readonly otlpGrpcEndpoint: string;

  constructor(scope: Construct, config: MonitoringConfig, connection: ClusterConnection, elasticsearch: ElasticsearchStack) {
    super(scope, 'jaeger', config);
    new KubernetesProviders(this, 'providers', { connection });
    const ns = config.namespaces.jaeger;
    const namespace = new SecureNamespace(this, 'namespace', { name: ns, denyIngressByDefault: config.networkPolicies.enabled });
    if (config.networkPolicies.enabled) new JaegerIngress(this, 'ingress', { config, namespace: namespace.metadata.name });
    const storage = this.elasticsearchStorage(config, namespace.metadata.name, elasticsearch);
    const jaeger = new JaegerAddOn(this, 'jaeger', {
      namespace: namespace.metadata.name,
      chartVersion: config.jaeger.chartVersion,
      imageTag: config.jaeger.imageTag,
      maxTraces: config.jaeger.maxTraces,
      resources: resourceRequirements(config.jaeger.resources),
      replicas: config.jaeger.replicas,
      elasticsearch: storage?.props,
      uiConfig: this.uiConfig(config),
    });
    for (const secret of storage?.secrets ?? []) jaeger.release.node.addDependency(secret);
    // The chart 4.x has one Service named after the release; users type svc/jaeger-query.
    new ServiceV1(this, 'query-service', {
      metadata: { name: JAEGER_QUERY_SERVICE, namespace: namespace.metadata.name, labels: { 'app.kubernetes.io/name': 'jaeger', 'app.kubernetes.io/component': 'query' } },
      spec: {
        type: 'ClusterIP',
        selector: jaeger.selector,
        port: [
          { name: 'http-query', port: JAEGER_PORTS.queryHttp, targetPort: String(JAEGER_PORTS.queryHttp), protocol: 'TCP' },
          { name: 'grpc-query', port: JAEGER_PORTS.queryGrpc, targetPort: String(JAEGER_PORTS.queryGrpc), protocol: 'TCP' },
        ],
      },
      dependsOn: [jaeger.release],
    });
    // From the release's attributes, so other stacks read it through remote state.
    this.otlpGrpcEndpoint = `${jaeger.release.name}.${jaeger.release.namespace}.svc.cluster.local:${JAEGER_PORTS.otlpGrpc}`;
    new TerraformOutput(this, 'otlp_grpc_endpoint', { value: this.otlpGrpcEndpoint });
    new TerraformOutput(this, 'query_url', { value: `http://${JAEGER_QUERY_SERVICE}.${ns}.svc.cluster.local:${JAEGER_PORTS.queryHttp}` });
    new TerraformOutput(this, 'port_forward', { value: `kubectl -n ${ns} port-forward svc/${JAEGER_QUERY_SERVICE} 16686:16686   # then http://localhost:16686` });
    new TerraformOutput(this, 'storage', { value: config.jaeger.storage });
  }

  /** With Kibana: "Logs for this trace" / "Logs for this span" links to its Discover, at the address users open. */
  private uiConfig(config: MonitoringConfig): JaegerUiConfig | undefined {
    if (!config.kibana.enabled) return undefined;
    const retention = config.elasticsearch.retentionDays;
    return buildJaegerUiConfig({
      kibanaUrl: config.kibana.publicUrl,
      logsDataViewId: DATA_VIEW_IDS.logs,
      // A span link searches the days logs are kept (a month when they are never deleted).
      spanLookbackDays: retention > 0 ? retention : 30,
    });
  }

  /** Jaeger's Elasticsearch client (its own user, our CA) when traces are stored there. */
  private elasticsearchStorage(config: MonitoringConfig, namespace: string, elasticsearch: ElasticsearchStack) {
    if (config.jaeger.storage !== 'elasticsearch') return undefined;
    const user = elasticsearchUser(config, JAEGER_ES_USER);
    const client = new ElasticsearchClientSecrets(this, 'es-client', { namespace, elasticsearch: elasticsearch.refs, user, credentialsRevision: config.elasticsearch.credentialsRevision });
    const es = config.elasticsearch;
    const props: JaegerElasticsearchProps = {
      url: elasticsearch.url,
      username: user.username,
      credentialsSecret: client.credentialsSecret,
      caSecret: client.caSecret,
      checksum: client.checksum,
      replicas: es.indexReplicas,
      // Queries look back as far as the retention job keeps indices, up to the limit at which
      // Jaeger's per-day index lists still fit Elasticsearch's URL length.
      maxSpanAgeDays: Math.min(es.retentionDays > 0 ? es.retentionDays : JAEGER_MAX_SPAN_AGE_DAYS_LIMIT, JAEGER_MAX_SPAN_AGE_DAYS_LIMIT),
      elasticsearchMajor: Number(es.version.split('.')[0]),
    };
    return { props, secrets: client.secrets };
  }
}
