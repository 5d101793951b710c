import { ServiceV1 } from '@cdktf/provider-kubernetes/lib/service-v1';
import { TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import type { MonitoringConfig } from '../config/schema';
import { EckElasticsearchAddOn } from '../constructs/addons/eck-elasticsearch';
import { EckOperatorAddOn } from '../constructs/addons/eck-operator';
import type { ElasticsearchRefs } from '../constructs/elasticsearch/client-secrets';
import { eventsIndexTemplate, logsIndexTemplate, rejectedLogsIndexTemplate } from '../constructs/elasticsearch/index-templates';
import { REJECTED_MARKER, rejectedIndexPrefix } from '../constructs/fluentd/names';
import {
  ELASTIC_USER_SECRET,
  ELASTICSEARCH_CLUSTER,
  ELASTICSEARCH_HTTP_PUBLIC_CERTS_SECRET,
  ELASTICSEARCH_PORT,
  ELASTICSEARCH_SERVICE,
  EVENTS_INDEX_PREFIX,
  INDEX_TEMPLATES_USER,
} from '../constructs/elasticsearch/names';
import { ElasticsearchReadinessGate } from '../constructs/elasticsearch/readiness-gate';
import { ElasticsearchFileRealmUser } from '../constructs/elasticsearch/user';
import { elasticsearchUser, elasticsearchUsers, fileRealmSecretName, roleSecretName } from '../constructs/elasticsearch/users';
import { EphemeralRandomPassword } from '../constructs/terraform/ephemeral-random-password';
import { ClusterConnection, KubernetesProviders } from '../constructs/k8s/cluster-connection';
import { SecureNamespace } from '../constructs/k8s/namespace';
import { ElasticsearchIngress } from '../constructs/network/flows';
import { resourceRequirements } from '../constructs/k8s/resources';
import { MonitoringStack } from './monitoring-stack';

/**
 * Elasticsearch through ECK (operator + cluster, ECK-issued HTTP certificate), the list of
 * file-realm users (each client stack creates its own), and a readiness gate: the apply
 * finishes only once Elasticsearch reports green or yellow health and the index templates of
 * every daily index family are in place. No secret in its state or outputs.
 */
export class ElasticsearchStack extends MonitoringStack {
  /** Host name Fluentd/collector use; covered by ECK's certificate. */
  readonly host: string;
  readonly url: string;
  /** Names and identities clients build their own credentials and CA copy from; no secret. */
  readonly refs: ElasticsearchRefs;
  /** The ECK Elasticsearch resource (Kibana's elasticsearchRef), namespace read from the stack. */
  readonly cluster: { readonly name: string; readonly namespace: string };

  constructor(scope: Construct, config: MonitoringConfig, connection: ClusterConnection) {
    super(scope, 'elasticsearch', config);
    new KubernetesProviders(this, 'providers', { connection });

    const es = config.elasticsearch;
    // Both namespaces are Terraform resources, so a destroy removes them (Helm never does).
    const isolate = config.networkPolicies.enabled;
    const namespace = new SecureNamespace(this, 'namespace', { name: config.namespaces.elasticsearch, denyIngressByDefault: isolate });
    // The operator needs no ingress: its validating webhook is off.
    const operatorNamespace = new SecureNamespace(this, 'operator-namespace', { name: config.namespaces.eckOperator, denyIngressByDefault: isolate });
    const ns = namespace.metadata.name;
    if (isolate) new ElasticsearchIngress(this, 'ingress', { config, namespace: ns });
    const serviceHost = `${ELASTICSEARCH_SERVICE}.${config.namespaces.elasticsearch}.svc`;

    // Only the readiness gate's user is born here: every client stack creates its own (users.ts).
    const gateUser = new ElasticsearchFileRealmUser(this, 'index-templates-user', {
      elasticsearchNamespace: ns,
      user: elasticsearchUser(config, INDEX_TEMPLATES_USER),
      password: new EphemeralRandomPassword(this, 'index-templates-password').result,
      // One copy (the gate reads the file-realm Secret itself): nothing to keep in step.
      revision: es.credentialsRevision,
    });
    const users = elasticsearchUsers(config);

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
      // ECK's self-signed CA issues and rotates the certificate; these are our Service's names.
      httpCertificateNames: {
        dns: [ELASTICSEARCH_SERVICE, `${ELASTICSEARCH_SERVICE}.${config.namespaces.elasticsearch}`, serviceHost, `${serviceHost}.cluster.local`, 'localhost'],
        ips: ['127.0.0.1'], // kubectl port-forward
      },
      // Names only: ECK skips a user's Secrets until its client stack has created them.
      fileRealmSecrets: users.map((u) => fileRealmSecretName(u.username)),
      roleSecrets: users.map((u) => roleSecretName(u.username)),
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
    this.refs = { namespace: ns, namespaceUid: namespace.metadata.uid };

    new ElasticsearchReadinessGate(this, 'ready', {
      namespace: ns,
      elasticsearchUrl: this.url,
      // Same namespace: the gate reads its file-realm Secret and ECK's public CA directly.
      credentialsSecret: gateUser.secret.metadata.name,
      caSecret: ELASTICSEARCH_HTTP_PUBLIC_CERTS_SECRET,
      image: es.jobImage,
      timeoutSeconds: es.readyTimeoutSeconds,
      indexTemplates: {
        [config.fluentd.indexPrefix]: logsIndexTemplate(config.fluentd.indexPrefix, es.indexReplicas),
        [rejectedIndexPrefix(config.fluentd.indexPrefix)]: rejectedLogsIndexTemplate(rejectedIndexPrefix(config.fluentd.indexPrefix), es.indexReplicas, REJECTED_MARKER),
        [EVENTS_INDEX_PREFIX]: eventsIndexTemplate(EVENTS_INDEX_PREFIX, es.indexReplicas),
      },
      dependsOn: [cluster.release, service, gateUser.secret, gateUser.roleSecret],
    });

    new TerraformOutput(this, 'url', { value: this.url, description: 'in-cluster HTTPS endpoint' });
    new TerraformOutput(this, 'elasticsearch_namespace', { value: ns });
    new TerraformOutput(this, 'ca_certificate_command', {
      value: `kubectl -n ${config.namespaces.elasticsearch} get secret ${ELASTICSEARCH_HTTP_PUBLIC_CERTS_SECRET} -o go-template='{{index .data "ca.crt" | base64decode}}'`,
      description: "prints the public CA of ECK's HTTP certificate (ECK issues and rotates it in the cluster)",
    });
    new TerraformOutput(this, 'elastic_password_command', {
      value: `kubectl -n ${config.namespaces.elasticsearch} get secret ${ELASTIC_USER_SECRET} -o go-template='{{.data.elastic | base64decode}}'`,
      description: 'prints the elastic superuser password (kept in a Kubernetes Secret only)',
    });
    new TerraformOutput(this, 'port_forward', {
      value: `kubectl -n ${config.namespaces.elasticsearch} port-forward svc/${ELASTICSEARCH_SERVICE} ${ELASTICSEARCH_PORT}:${ELASTICSEARCH_PORT}   # then https://localhost:${ELASTICSEARCH_PORT}`,
    });
  }
}
