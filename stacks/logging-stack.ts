import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1';
import { SecretV1 } from '@cdktf/provider-kubernetes/lib/secret-v1';
import { TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import type { MonitoringConfig } from '../config/schema';
import { Fluentd } from '../constructs/fluentd/fluentd';
import { ClusterConnection, KubernetesProviders } from '../constructs/k8s/cluster-connection';
import { resourceRequirements } from '../constructs/k8s/resources';
import { ElasticsearchStack } from './elasticsearch-stack';
import { MonitoringStack } from './monitoring-stack';

/** Fluentd on every node: container logs (CRI) + kubelet/containerd journal → Elasticsearch. */
export class LoggingStack extends MonitoringStack {
  readonly fluentd: Fluentd;

  constructor(scope: Construct, config: MonitoringConfig, connection: ClusterConnection, elasticsearch: ElasticsearchStack) {
    super(scope, 'logging', config);
    new KubernetesProviders(this, 'providers', { connection, helm: false });
    const ns = config.namespaces.logging;
    const namespace = new NamespaceV1(this, 'namespace', { metadata: { name: ns } });
    const credentials = new SecretV1(this, 'es-credentials', {
      metadata: { name: 'elasticsearch-log-writer', namespace: namespace.metadata.name },
      type: 'kubernetes.io/basic-auth',
      data: { username: elasticsearch.writerUsername, password: elasticsearch.writerPassword },
    });
    const ca = new SecretV1(this, 'es-ca', {
      metadata: { name: 'elasticsearch-ca', namespace: namespace.metadata.name },
      data: { 'ca.crt': elasticsearch.caCertPem },
    });
    this.fluentd = new Fluentd(this, 'fluentd', {
      namespace: namespace.metadata.name,
      imageTag: config.fluentd.imageTag,
      indexPrefix: config.fluentd.indexPrefix,
      indexReplicas: config.elasticsearch.indexReplicas,
      elasticsearchHost: elasticsearch.host,
      credentialsSecret: credentials.metadata.name,
      caSecret: ca.metadata.name,
      bufferLimit: config.fluentd.bufferLimit,
      resources: resourceRequirements(config.fluentd.resources),
    });
    new TerraformOutput(this, 'index_pattern', { value: `${config.fluentd.indexPrefix}-*` });
    new TerraformOutput(this, 'logs_command', { value: `kubectl -n ${ns} logs ds/fluentd` });
  }
}
