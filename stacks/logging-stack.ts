import { TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import type { MonitoringConfig } from '../config/schema';
import { ElasticsearchClientSecrets } from '../constructs/elasticsearch/client-secrets';
import { IndexRetention } from '../constructs/elasticsearch/index-retention';
import { dailyIndexFamilies, INDEX_JANITOR_USER, LOG_WRITER_USER } from '../constructs/elasticsearch/names';
import { elasticsearchUser } from '../constructs/elasticsearch/users';
import { Fluentd } from '../constructs/fluentd/fluentd';
import { ClusterConnection, KubernetesProviders } from '../constructs/k8s/cluster-connection';
import { SecureNamespace } from '../constructs/k8s/namespace';
import { LoggingIngress } from '../constructs/network/flows';
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
    const namespace = new SecureNamespace(this, 'namespace', {
      name: ns,
      // Fluentd mounts the node's /var/log and its state directory (hostPath volumes): only the
      // privileged level admits hostPath; baseline already refuses it. Its container still
      // drops every capability and runs with a read-only root filesystem.
      podSecurity: { level: 'privileged', reason: 'Fluentd reads the node logs through hostPath volumes (/var/log), which only the privileged level admits' },
      denyIngressByDefault: config.networkPolicies.enabled,
    });
    if (config.networkPolicies.enabled) new LoggingIngress(this, 'ingress', { config, namespace: namespace.metadata.name });
    const client = { elasticsearch: elasticsearch.refs, credentialsRevision: config.elasticsearch.credentialsRevision };
    const writer = new ElasticsearchClientSecrets(this, 'es-writer', {
      ...client,
      namespace: namespace.metadata.name,
      user: elasticsearchUser(config, LOG_WRITER_USER),
    });
    this.fluentd = new Fluentd(this, 'fluentd', {
      namespace: namespace.metadata.name,
      imageTag: config.fluentd.imageTag,
      indexPrefix: config.fluentd.indexPrefix,
      elasticsearchHost: elasticsearch.host,
      elasticsearch: writer,
      bufferLimit: config.fluentd.bufferLimit,
      resources: resourceRequirements(config.fluentd.resources),
    });
    if (config.elasticsearch.retentionDays > 0) {
      const janitor = new ElasticsearchClientSecrets(this, 'es-janitor', {
        ...client,
        namespace: namespace.metadata.name,
        user: elasticsearchUser(config, INDEX_JANITOR_USER),
        ca: { existingSecret: writer.caSecret },
      });
      new IndexRetention(this, 'retention', {
        namespace: namespace.metadata.name,
        indexPrefixes: dailyIndexFamilies(config),
        retentionDays: config.elasticsearch.retentionDays,
        elasticsearchUrl: elasticsearch.url,
        credentialsSecret: janitor.credentialsSecret,
        caSecret: janitor.caSecret,
        image: config.elasticsearch.jobImage,
      });
    }
    new TerraformOutput(this, 'index_pattern', { value: `${config.fluentd.indexPrefix}-*` });
    new TerraformOutput(this, 'logs_command', { value: `kubectl -n ${ns} logs ds/fluentd` });
  }
}
