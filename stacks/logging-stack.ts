import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1';
import { TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import type { MonitoringConfig } from '../config/schema';
import { ElasticsearchClientSecrets } from '../constructs/addons/elasticsearch-client-secrets';
import { Fluentd } from '../constructs/fluentd/fluentd';
import { IndexRetention } from '../constructs/fluentd/index-retention';
import { ClusterConnection, KubernetesProviders } from '../constructs/k8s/cluster-connection';
import { resourceRequirements } from '../constructs/k8s/resources';
import { ElasticsearchStack, EVENTS_INDEX } from './elasticsearch-stack';
import { MonitoringStack } from './monitoring-stack';

/** Fluentd on every node: container logs (CRI) + kubelet/containerd journal → Elasticsearch. */
export class LoggingStack extends MonitoringStack {
  readonly fluentd: Fluentd;

  constructor(scope: Construct, config: MonitoringConfig, connection: ClusterConnection, elasticsearch: ElasticsearchStack) {
    super(scope, 'logging', config);
    new KubernetesProviders(this, 'providers', { connection, helm: false });
    const ns = config.namespaces.logging;
    const namespace = new NamespaceV1(this, 'namespace', { metadata: { name: ns } });
    const writer = new ElasticsearchClientSecrets(this, 'es-writer', {
      namespace: namespace.metadata.name,
      username: elasticsearch.writerUsername,
      password: elasticsearch.writerPassword,
      caCertPem: elasticsearch.caCertPem,
    });
    this.fluentd = new Fluentd(this, 'fluentd', {
      namespace: namespace.metadata.name,
      imageTag: config.fluentd.imageTag,
      indexPrefix: config.fluentd.indexPrefix,
      indexReplicas: config.elasticsearch.indexReplicas,
      elasticsearchHost: elasticsearch.host,
      credentialsSecret: writer.credentialsSecret,
      caSecret: writer.caSecret,
      bufferLimit: config.fluentd.bufferLimit,
      resources: resourceRequirements(config.fluentd.resources),
    });
    if (config.elasticsearch.retentionDays > 0) {
      const janitor = new ElasticsearchClientSecrets(this, 'es-janitor', {
        namespace: namespace.metadata.name,
        name: 'elasticsearch-retention',
        username: elasticsearch.janitorUsername,
        password: elasticsearch.janitorPassword,
        caCertPem: elasticsearch.caCertPem,
        existingCaSecret: writer.caSecret,
      });
      new IndexRetention(this, 'retention', {
        namespace: namespace.metadata.name,
        indexPrefixes: [config.fluentd.indexPrefix, EVENTS_INDEX],
        retentionDays: config.elasticsearch.retentionDays,
        elasticsearchUrl: elasticsearch.url,
        credentialsSecret: janitor.credentialsSecret,
        caSecret: janitor.caSecret,
      });
    }
    new TerraformOutput(this, 'index_pattern', { value: `${config.fluentd.indexPrefix}-*` });
    new TerraformOutput(this, 'logs_command', { value: `kubectl -n ${ns} logs ds/fluentd` });
  }
}
