import { SecretV1 } from '@cdktf/provider-kubernetes/lib/secret-v1';
import { ServiceV1 } from '@cdktf/provider-kubernetes/lib/service-v1';
import { RandomProvider } from '@cdktf/provider-random/lib/provider';
import { TlsProvider } from '@cdktf/provider-tls/lib/provider';
import { TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import type { MonitoringConfig } from '../config/schema';
import { EckElasticsearchAddOn } from '../constructs/addons/eck-elasticsearch';
import { EckOperatorAddOn } from '../constructs/addons/eck-operator';
import { ElasticsearchClientSecrets } from '../constructs/elasticsearch/client-secrets';
import { eventsIndexTemplate, logsIndexTemplate } from '../constructs/elasticsearch/index-templates';
import {
  ELASTIC_USER_SECRET,
  ELASTICSEARCH_CLUSTER,
  ELASTICSEARCH_HTTP_CERT_SECRET,
  ELASTICSEARCH_PORT,
  ELASTICSEARCH_SERVICE,
  dailyIndexFamilies,
  EVENTS_INDEX_PREFIX,
  INDEX_JANITOR_USER,
  LOG_WRITER_USER,
} from '../constructs/elasticsearch/names';
import { ElasticsearchReadinessGate } from '../constructs/elasticsearch/readiness-gate';
import { ElasticsearchTls } from '../constructs/elasticsearch/tls';
import { ElasticsearchUser } from '../constructs/elasticsearch/user';
import { JAEGER_ES_USER, jaegerElasticsearchRole } from '../constructs/jaeger/names';
import { kibanaDataViewsRole } from '../constructs/kibana/data-views';
import { DATA_VIEWS_USER } from '../constructs/kibana/names';
import { ClusterConnection, KubernetesProviders } from '../constructs/k8s/cluster-connection';
import { SecureNamespace } from '../constructs/k8s/namespace';
import { ElasticsearchIngress } from '../constructs/network/flows';
import { resourceRequirements } from '../constructs/k8s/resources';
import { MonitoringStack } from './monitoring-stack';

/**
 * Elasticsearch through ECK (operator + cluster), our CA and HTTP certificate, file-realm
 * users, and a readiness gate: the apply finishes only once Elasticsearch reports green or
 * yellow health and the index templates of every daily index family are in place.
 */
export class ElasticsearchStack extends MonitoringStack {
  /** Host name Fluentd/collector use; covered by the certificate. */
  readonly host: string;
  readonly url: string;
  readonly caCertPem: string;
  readonly writerUsername = LOG_WRITER_USER;
  readonly writerPassword: string;
  readonly janitorUsername = INDEX_JANITOR_USER;
  readonly janitorPassword: string;
  /** Jaeger's own user, when Jaeger stores traces here (jaeger.storage: elasticsearch). */
  readonly jaegerUser?: { readonly username: string; readonly password: string };
  /** The Kibana data-view Job's own user (kibana.enabled). */
  readonly dataViewsUser?: { readonly username: string; readonly password: string };
  /** The ECK Elasticsearch resource (Kibana's elasticsearchRef), namespace read from the stack. */
  readonly cluster: { readonly name: string; readonly namespace: string };

  constructor(scope: Construct, config: MonitoringConfig, connection: ClusterConnection) {
    super(scope, 'elasticsearch', config);
    new KubernetesProviders(this, 'providers', { connection });
    new RandomProvider(this, 'random');
    new TlsProvider(this, 'tls');

    const es = config.elasticsearch;
    // Both namespaces are Terraform resources, so a destroy removes them (Helm never does).
    const isolate = config.networkPolicies.enabled;
    const namespace = new SecureNamespace(this, 'namespace', { name: config.namespaces.elasticsearch, denyIngressByDefault: isolate });
    // The operator needs no ingress: its validating webhook is off.
    const operatorNamespace = new SecureNamespace(this, 'operator-namespace', { name: config.namespaces.eckOperator, denyIngressByDefault: isolate });
    const ns = namespace.metadata.name;
    if (isolate) new ElasticsearchIngress(this, 'ingress', { config, namespace: ns });
    const serviceHost = `${ELASTICSEARCH_SERVICE}.${config.namespaces.elasticsearch}.svc`;

    const tls = new ElasticsearchTls(this, 'http-tls', {
      dnsNames: [
        ELASTICSEARCH_SERVICE,
        `${ELASTICSEARCH_SERVICE}.${config.namespaces.elasticsearch}`,
        serviceHost,
        `${serviceHost}.cluster.local`,
        `${ELASTICSEARCH_CLUSTER}-es-http.${config.namespaces.elasticsearch}.svc`,
        `${ELASTICSEARCH_CLUSTER}-es-http.${config.namespaces.elasticsearch}.svc.cluster.local`,
        'localhost', // kubectl port-forward
      ],
    });
    this.caCertPem = tls.caCertPem;
    const httpCert = new SecretV1(this, 'http-certificate', {
      metadata: { name: ELASTICSEARCH_HTTP_CERT_SECRET, namespace: ns },
      type: 'kubernetes.io/tls',
      data: { 'tls.crt': tls.certPem, 'tls.key': tls.keyPem, 'ca.crt': tls.caCertPem },
    });

    const dailyIndices = [`${config.fluentd.indexPrefix}-*`, `${EVENTS_INDEX_PREFIX}-*`];
    const jaegerOnElasticsearch = config.jaeger.storage === 'elasticsearch';
    const writer = new ElasticsearchUser(this, 'log-writer', {
      namespace: ns,
      username: LOG_WRITER_USER,
      roleName: 'log_writer',
      // Write-only on our daily indices: create them and index documents.
      role: { cluster: ['monitor'], indices: [{ names: dailyIndices, privileges: ['create_index', 'create_doc', 'write', 'view_index_metadata', 'auto_configure'] }] },
    });
    const janitor = new ElasticsearchUser(this, 'index-janitor', {
      namespace: ns,
      username: INDEX_JANITOR_USER,
      roleName: 'index_janitor',
      // Our own housekeeping: health, index templates, listing and deleting expired indices.
      role: { cluster: ['monitor', 'manage_index_templates'], indices: [{ names: dailyIndexFamilies(config).map((family) => `${family}-*`), privileges: ['monitor', 'view_index_metadata', 'delete_index'] }] },
    });
    const jaegerUser = jaegerOnElasticsearch
      ? new ElasticsearchUser(this, 'jaeger-user', { namespace: ns, username: JAEGER_ES_USER, roleName: 'jaeger_storage', role: jaegerElasticsearchRole() })
      : undefined;
    this.jaegerUser = jaegerUser && { username: jaegerUser.username, password: jaegerUser.password };
    const dataViewsUser = config.kibana.enabled
      ? new ElasticsearchUser(this, 'kibana-data-views-user', { namespace: ns, username: DATA_VIEWS_USER, roleName: 'kibana_data_views', role: kibanaDataViewsRole() })
      : undefined;
    this.dataViewsUser = dataViewsUser && { username: dataViewsUser.username, password: dataViewsUser.password };
    const users = [writer, janitor, ...(jaegerUser ? [jaegerUser] : []), ...(dataViewsUser ? [dataViewsUser] : [])];
    this.writerPassword = writer.password;
    this.janitorPassword = janitor.password;

    const operator = new EckOperatorAddOn(this, 'eck-operator', {
      namespace: operatorNamespace.metadata.name,
      version: es.operatorChartVersion,
      // Kibana lives in its own namespace; its elasticsearchRef points here (ECK resolves it across namespaces).
      managedNamespaces: [config.namespaces.elasticsearch, ...(config.kibana.enabled ? [config.namespaces.kibana] : [])],
    });
    const cluster = new EckElasticsearchAddOn(this, 'eck-elasticsearch', {
      namespace: ns,
      name: ELASTICSEARCH_CLUSTER,
      chartVersion: es.chartVersion,
      elasticsearchVersion: es.version,
      nodes: es.nodes,
      heapMb: es.heapMb,
      resources: resourceRequirements(es.resources),
      zoneAwareness: es.zoneAwareness,
      persistence: es.persistence.enabled && es.persistence.size ? { size: es.persistence.size, storageClass: es.persistence.storageClass } : undefined,
      httpCertificateSecret: httpCert.metadata.name,
      fileRealmSecrets: users.map((u) => u.userSecretName),
      roleSecrets: users.map((u) => u.roleSecretName),
      dependsOn: [operator.release],
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
    this.cluster = { name: cluster.clusterName, namespace: ns };
    this.url = `https://${this.host}:${ELASTICSEARCH_PORT}`;

    const gateClient = new ElasticsearchClientSecrets(this, 'gate-client', {
      namespace: ns,
      name: 'elasticsearch-gate',
      username: janitor.username,
      password: janitor.password,
      caCertPem: tls.caCertPem,
    });
    new ElasticsearchReadinessGate(this, 'ready', {
      namespace: ns,
      elasticsearchUrl: this.url,
      credentialsSecret: gateClient.credentialsSecret,
      caSecret: gateClient.caSecret,
      image: es.jobImage,
      timeoutSeconds: es.readyTimeoutSeconds,
      indexTemplates: {
        [config.fluentd.indexPrefix]: logsIndexTemplate(config.fluentd.indexPrefix, es.indexReplicas),
        [EVENTS_INDEX_PREFIX]: eventsIndexTemplate(EVENTS_INDEX_PREFIX, es.indexReplicas),
      },
      dependsOn: [cluster.release, service, ...gateClient.secrets],
    });

    new TerraformOutput(this, 'url', { value: this.url, description: 'in-cluster HTTPS endpoint' });
    new TerraformOutput(this, 'elasticsearch_namespace', { value: ns });
    new TerraformOutput(this, 'ca_certificate', { value: tls.caCertPem, sensitive: true, description: 'CA that signs the HTTP certificate' });
    new TerraformOutput(this, 'elastic_password_command', {
      value: `kubectl -n ${config.namespaces.elasticsearch} get secret ${ELASTIC_USER_SECRET} -o go-template='{{.data.elastic | base64decode}}'`,
      description: 'prints the elastic superuser password (kept in a Kubernetes Secret only)',
    });
    new TerraformOutput(this, 'log_writer_password', { value: writer.password, sensitive: true });
    new TerraformOutput(this, 'index_janitor_password', { value: janitor.password, sensitive: true });
    if (jaegerUser) new TerraformOutput(this, 'jaeger_password', { value: jaegerUser.password, sensitive: true });
    if (dataViewsUser) new TerraformOutput(this, 'kibana_data_views_password', { value: dataViewsUser.password, sensitive: true });
    new TerraformOutput(this, 'port_forward', {
      value: `kubectl -n ${config.namespaces.elasticsearch} port-forward svc/${ELASTICSEARCH_SERVICE} ${ELASTICSEARCH_PORT}:${ELASTICSEARCH_PORT}   # then https://localhost:${ELASTICSEARCH_PORT}`,
    });
  }
}
