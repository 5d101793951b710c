import { TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import type { MonitoringConfig } from '../config/schema';
import { EckKibanaAddOn } from '../constructs/addons/eck-kibana';
import { dataViewRequests } from '../constructs/kibana/data-views';
import { KibanaDataViewsJob } from '../constructs/kibana/data-views-job';
import { ElasticsearchClientSecrets } from '../constructs/elasticsearch/client-secrets';
import { elasticsearchUser } from '../constructs/elasticsearch/users';
import { DATA_VIEWS_USER, KIBANA_PORT, KIBANA_SERVICE } from '../constructs/kibana/names';
import { ClusterConnection, KubernetesProviders } from '../constructs/k8s/cluster-connection';
import { SecureNamespace } from '../constructs/k8s/namespace';
import { resourceRequirements } from '../constructs/k8s/resources';
import { KibanaIngress } from '../constructs/network/flows';
import { ElasticsearchStack } from './elasticsearch-stack';
import { MonitoringStack } from './monitoring-stack';

/**
 * Kibana (managed by the ECK operator of the elasticsearch stack) in its own namespace, and the
 * data views Terraform keeps in it: logs (trace ids link to Jaeger), Kubernetes events and, with
 * Jaeger on Elasticsearch, spans. The apply ends once Kibana answers and the views are in place.
 * Absent when kibana.enabled is false.
 */
export class KibanaStack extends MonitoringStack {
  constructor(scope: Construct, config: MonitoringConfig, connection: ClusterConnection, elasticsearch: ElasticsearchStack) {
    super(scope, 'kibana', config);
    new KubernetesProviders(this, 'providers', { connection });
    // A Terraform resource, so a destroy removes it (Helm never deletes namespaces).
    const namespace = new SecureNamespace(this, 'namespace', { name: config.namespaces.kibana, denyIngressByDefault: config.networkPolicies.enabled });
    const ns = namespace.metadata.name;
    if (config.networkPolicies.enabled) new KibanaIngress(this, 'ingress', { config, namespace: ns });

    const kibana = new EckKibanaAddOn(this, 'eck-kibana', {
      namespace: ns,
      chartVersion: config.kibana.chartVersion,
      version: config.kibana.version,
      elasticsearch: elasticsearch.cluster,
      replicas: config.kibana.replicas,
      resources: resourceRequirements(config.kibana.resources),
      publicUrl: config.kibana.publicUrl,
    });

    // The Job's own user, born here: its Secret in this namespace and its file-realm user.
    const credentials = new ElasticsearchClientSecrets(this, 'data-views-credentials', {
      namespace: ns,
      elasticsearch: elasticsearch.refs,
      user: elasticsearchUser(config, DATA_VIEWS_USER),
      credentialsRevision: config.elasticsearch.credentialsRevision,
      ca: 'none', // the Job talks to Kibana, not to Elasticsearch
    });
    const kibanaUrl = `http://${KIBANA_SERVICE}.${ns}.svc:${KIBANA_PORT}`;
    new KibanaDataViewsJob(this, 'data-views', {
      namespace: ns,
      kibanaUrl,
      credentialsSecret: credentials.credentialsSecret,
      requests: dataViewRequests(config),
      image: config.elasticsearch.jobImage,
      dependsOn: [kibana.release, ...credentials.secrets],
    });

    new TerraformOutput(this, 'url', { value: kibanaUrl, description: 'in-cluster HTTP endpoint' });
    new TerraformOutput(this, 'public_url', { value: config.kibana.publicUrl });
    new TerraformOutput(this, 'port_forward', {
      value: `kubectl -n ${config.namespaces.kibana} port-forward svc/${KIBANA_SERVICE} ${KIBANA_PORT}:${KIBANA_PORT}   # then http://localhost:${KIBANA_PORT} (log in as elastic: see the elasticsearch stack's elastic_password_command)`,
    });
  }
}
