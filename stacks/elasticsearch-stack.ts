import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1';
import { SecretV1 } from '@cdktf/provider-kubernetes/lib/secret-v1';
import { ServiceV1 } from '@cdktf/provider-kubernetes/lib/service-v1';
import { RandomProvider } from '@cdktf/provider-random/lib/provider';
import { TlsProvider } from '@cdktf/provider-tls/lib/provider';
import { TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import type { MonitoringConfig } from '../config/schema';
import { EckElasticsearchAddOn } from '../constructs/addons/eck-elasticsearch';
import { EckOperatorAddOn } from '../constructs/addons/eck-operator';
import { ElasticsearchTls } from '../constructs/addons/elasticsearch-tls';
import { ElasticsearchUser } from '../constructs/addons/elasticsearch-user';
import { ClusterConnection, KubernetesProviders } from '../constructs/k8s/cluster-connection';
import { resourceRequirements } from '../constructs/k8s/resources';
import { MonitoringStack } from './monitoring-stack';

/** The user Fluentd and the collector write with, and the one the retention job deletes with. */
export const LOG_WRITER_USER = 'log-writer';
export const INDEX_JANITOR_USER = 'index-janitor';
export const EVENTS_INDEX = 'k8s-events';
export const ELASTICSEARCH_SERVICE = 'elasticsearch';
export const ELASTICSEARCH_PORT = 9200;

/** Elasticsearch through ECK (operator + one-node cluster), TLS and a log-writer user. */
export class ElasticsearchStack extends MonitoringStack {
  readonly namespace: string;
  /** Host name Fluentd/collector use; covered by the certificate. */
  readonly host: string;
  readonly url: string;
  readonly caCertPem: string;
  readonly writerUsername = LOG_WRITER_USER;
  readonly writerPassword: string;
  readonly janitorUsername = INDEX_JANITOR_USER;
  readonly janitorPassword: string;

  constructor(scope: Construct, config: MonitoringConfig, connection: ClusterConnection) {
    super(scope, 'elasticsearch', config);
    new KubernetesProviders(this, 'providers', { connection });
    new RandomProvider(this, 'random');
    new TlsProvider(this, 'tls');

    const ns = config.namespaces.elasticsearch;
    const es = config.elasticsearch;
    this.namespace = ns;
    const serviceHost = `${ELASTICSEARCH_SERVICE}.${ns}.svc`;
    const namespace = new NamespaceV1(this, 'namespace', { metadata: { name: ns } });

    const tls = new ElasticsearchTls(this, 'http-tls', {
      dnsNames: [
        ELASTICSEARCH_SERVICE,
        `${ELASTICSEARCH_SERVICE}.${ns}`,
        serviceHost,
        `${serviceHost}.cluster.local`,
        `elasticsearch-es-http.${ns}.svc`,
        `elasticsearch-es-http.${ns}.svc.cluster.local`,
        'localhost', // kubectl port-forward
      ],
    });
    this.caCertPem = tls.caCertPem;
    const httpCert = new SecretV1(this, 'http-certificate', {
      metadata: { name: 'elasticsearch-http-certificate', namespace: namespace.metadata.name },
      type: 'kubernetes.io/tls',
      data: { 'tls.crt': tls.certPem, 'tls.key': tls.keyPem, 'ca.crt': tls.caCertPem },
    });

    const dailyIndices = [`${config.fluentd.indexPrefix}-*`, `${EVENTS_INDEX}-*`];
    const writer = new ElasticsearchUser(this, 'log-writer', {
      namespace: namespace.metadata.name,
      username: LOG_WRITER_USER,
      roleName: 'log_writer',
      // Write-only on our indices: create them, index documents, manage their template.
      role: { cluster: ['monitor', 'manage_index_templates'], indices: [{ names: dailyIndices, privileges: ['create_index', 'create_doc', 'write', 'view_index_metadata', 'auto_configure'] }] },
    });
    const janitor = new ElasticsearchUser(this, 'index-janitor', {
      namespace: namespace.metadata.name,
      username: INDEX_JANITOR_USER,
      roleName: 'index_janitor',
      // The retention job lists and deletes old daily indices, nothing else.
      role: { cluster: [], indices: [{ names: dailyIndices, privileges: ['monitor', 'view_index_metadata', 'delete_index'] }] },
    });
    this.writerPassword = writer.password;
    this.janitorPassword = janitor.password;

    const operator = new EckOperatorAddOn(this, 'eck-operator', {
      namespace: config.namespaces.eckOperator,
      version: es.operatorChartVersion,
      managedNamespaces: [ns],
    });
    const cluster = new EckElasticsearchAddOn(this, 'eck-elasticsearch', {
      namespace: ns,
      chartVersion: es.chartVersion,
      elasticsearchVersion: es.version,
      heapMb: es.heapMb,
      resources: resourceRequirements(es.resources),
      persistence: es.persistence.enabled ? { size: es.persistence.size, storageClass: es.persistence.storageClass } : undefined,
      httpCertificateSecret: httpCert.metadata.name,
      fileRealmSecrets: [writer.userSecretName, janitor.userSecretName],
      roleSecrets: [writer.roleSecretName, janitor.roleSecretName],
      dependsOn: [operator.release, namespace],
    });

    // The name users guess; ECK's own Service is elasticsearch-es-http.
    const service = new ServiceV1(this, 'service', {
      metadata: { name: ELASTICSEARCH_SERVICE, namespace: ns, labels: { 'app.kubernetes.io/name': 'elasticsearch' } },
      spec: {
        type: 'ClusterIP',
        selector: { 'elasticsearch.k8s.elastic.co/cluster-name': cluster.clusterName },
        port: [{ name: 'https', port: ELASTICSEARCH_PORT, targetPort: String(ELASTICSEARCH_PORT), protocol: 'TCP' }],
      },
      dependsOn: [cluster.release],
    });
    // From the Service's attributes, so other stacks read it through remote state.
    this.host = `${service.metadata.name}.${service.metadata.namespace}.svc`;
    this.url = `https://${this.host}:${ELASTICSEARCH_PORT}`;

    new TerraformOutput(this, 'url', { value: this.url, description: 'in-cluster HTTPS endpoint' });
    new TerraformOutput(this, 'elasticsearch_namespace', { value: ns });
    new TerraformOutput(this, 'ca_certificate', { value: tls.caCertPem, sensitive: true, description: 'CA that signs the HTTP certificate' });
    new TerraformOutput(this, 'elastic_password_command', {
      value: `kubectl -n ${ns} get secret ${cluster.clusterName}-es-elastic-user -o go-template='{{.data.elastic | base64decode}}'`,
      description: 'prints the elastic superuser password (kept in a Kubernetes Secret only)',
    });
    new TerraformOutput(this, 'log_writer_password', { value: writer.password, sensitive: true });
    new TerraformOutput(this, 'index_janitor_password', { value: janitor.password, sensitive: true });
    new TerraformOutput(this, 'port_forward', {
      value: `kubectl -n ${ns} port-forward svc/${ELASTICSEARCH_SERVICE} 9200:9200   # then https://localhost:9200`,
    });
  }
}
