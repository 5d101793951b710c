import { ClusterRoleBindingV1 } from '@cdktf/provider-kubernetes/lib/cluster-role-binding-v1';
import { ClusterRoleV1 } from '@cdktf/provider-kubernetes/lib/cluster-role-v1';
import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import { ServiceAccountV1 } from '@cdktf/provider-kubernetes/lib/service-account-v1';
import { Fn } from 'cdktf';
import { Construct } from 'constructs';
import { ElasticsearchClient } from '../elasticsearch/client-secrets';
import { ResourceRequirements } from '../k8s/resources';
import { SecureDaemonSet } from '../k8s/secure-daemonset';
import { rootContainerSecurity } from '../k8s/security';
import { terraformLiterals } from '../terraform/literal';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildFluentDirectives, FLUENTD_METRICS_PORT, FLUENTD_MONITOR_PORT, FLUENTD_PLUGIN_FILES, FLUENTD_PLUGIN_SOURCE_DIR, renderDirectives, toFluentSize } from './fluent-conf';
import { FLUENTD_DAEMONSET, rejectedIndexPrefix } from './names';

export const FLUENTD_IMAGE_REPOSITORY = 'fluent/fluentd-kubernetes-daemonset';

export interface FluentdProps {
  readonly namespace: string;
  /** Exact tag of fluent/fluentd-kubernetes-daemonset, flavour matching the ES major. */
  readonly imageTag: string;
  readonly indexPrefix: string;
  /** Elasticsearch host the certificate covers, e.g. elasticsearch.elasticsearch.svc */
  readonly elasticsearchHost: string;
  /** @default 9200 */
  readonly elasticsearchPort?: number;
  /** Credentials and CA Secrets in `namespace`. */
  readonly elasticsearch: ElasticsearchClient;
  /** Kubernetes quantity, e.g. 512Mi. */
  readonly bufferLimit: string;
  readonly resources: ResourceRequirements;
}

/** What the kubernetes_metadata filter reads: pods and namespaces, read-only. */
export const FLUENTD_RBAC_RULES = [{ apiGroups: [''], resources: ['pods', 'namespaces'], verbs: ['get', 'list', 'watch'] }];

const STATE_DIR = '/var/log/fluentd';
const CONFIG_DIR = '/fluentd/etc';
const CA_DIR = '/fluentd/es-ca';
/** Our plugins, beside the image's /fluentd/plugins (which a mount there would hide). */
const PLUGIN_DIR = '/fluentd/plugins-app';

/** The Ruby sources of our Fluentd plugins, by file name, as the DaemonSet mounts them. */
export function fluentdPluginSources(): Record<string, string> {
  return Object.fromEntries(FLUENTD_PLUGIN_FILES.map((file) => [file, readFileSync(join(FLUENTD_PLUGIN_SOURCE_DIR, file), 'utf8')]));
}

/** Fluentd DaemonSet on every node (control-plane too) shipping logs to Elasticsearch. */
export class Fluentd extends Construct {
  readonly configMap: ConfigMapV1;
  readonly pluginsConfigMap: ConfigMapV1;
  readonly fluentConf: string;
  readonly daemonSet: SecureDaemonSet;

  constructor(scope: Construct, id: string, props: FluentdProps) {
    super(scope, id);
    const name = FLUENTD_DAEMONSET;
    const serviceAccount = new ServiceAccountV1(this, 'service-account', { metadata: { name, namespace: props.namespace } });
    const role = new ClusterRoleV1(this, 'cluster-role', { metadata: { name }, rule: FLUENTD_RBAC_RULES });
    new ClusterRoleBindingV1(this, 'cluster-role-binding', {
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.metadata.name },
      subject: [{ kind: 'ServiceAccount', name: serviceAccount.metadata.name, namespace: props.namespace }],
    });

    this.fluentConf = renderDirectives(
      buildFluentDirectives({
        indexPrefix: props.indexPrefix,
        rejectedIndexPrefix: rejectedIndexPrefix(props.indexPrefix),
        elasticsearchHost: props.elasticsearchHost,
        elasticsearchPort: props.elasticsearchPort ?? 9200,
        caFile: `${CA_DIR}/ca.crt`,
        stateDir: STATE_DIR,
        bufferLimit: toFluentSize(props.bufferLimit),
        monitorPort: FLUENTD_MONITOR_PORT,
        metricsPort: FLUENTD_METRICS_PORT,
      }),
    );
    this.configMap = new ConfigMapV1(this, 'config', {
      metadata: { name: 'fluentd-config', namespace: props.namespace },
      data: terraformLiterals({ 'fluent.conf': this.fluentConf }),
    });
    this.pluginsConfigMap = new ConfigMapV1(this, 'plugins', {
      metadata: { name: 'fluentd-plugins', namespace: props.namespace },
      data: terraformLiterals(fluentdPluginSources()),
    });

    this.daemonSet = new SecureDaemonSet(this, 'daemonset', {
      name,
      namespace: props.namespace,
      serviceAccountName: serviceAccount.metadata.name,
      automountServiceAccountToken: true,
      includeControlPlane: true,
      terminationGracePeriodSeconds: 60,
      podSecurity: { runAsNonRoot: false, seccompProfile: { type: 'RuntimeDefault' } },
      podAnnotations: {
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': String(FLUENTD_METRICS_PORT),
        'prometheus.io/path': '/metrics',
        // Roll the pods when what they read at start changes: computed by Terraform from the
        // resolved ConfigMap and Secrets, so it is stable across synths and exact.
        'checksum/config': Fn.sha256(Fn.jsonencode([this.configMap.data, this.pluginsConfigMap.data])),
        'checksum/elasticsearch-client': props.elasticsearch.checksum,
      },
      containers: [
        {
          name,
          image: `${FLUENTD_IMAGE_REPOSITORY}:${props.imageTag}`,
          env: [
            { name: 'FLUENTD_CONF', value: 'fluent.conf' },
            // The image's entrypoint appends this to `fluentd -c … -p /fluentd/plugins`.
            { name: 'FLUENTD_OPT', value: `-p ${PLUGIN_DIR}` },
            { name: 'K8S_NODE_NAME', fieldPath: 'spec.nodeName' },
            { name: 'ES_USERNAME', secretName: props.elasticsearch.credentialsSecret, secretKey: 'username' },
            { name: 'ES_PASSWORD', secretName: props.elasticsearch.credentialsSecret, secretKey: 'password' },
          ],
          ports: [
            { name: 'monitor', containerPort: FLUENTD_MONITOR_PORT },
            { name: 'metrics', containerPort: FLUENTD_METRICS_PORT },
          ],
          resources: props.resources,
          readinessProbe: { httpGet: { path: '/api/plugins.json', port: FLUENTD_MONITOR_PORT }, initialDelaySeconds: 10 },
          livenessProbe: { httpGet: { path: '/api/plugins.json', port: FLUENTD_MONITOR_PORT }, initialDelaySeconds: 30, periodSeconds: 20, failureThreshold: 5 },
          security: rootContainerSecurity('reads root-owned container logs under /var/log and keeps buffers and position files on the host'),
          volumeMounts: [
            { name: 'config', mountPath: CONFIG_DIR },
            { name: 'plugins', mountPath: PLUGIN_DIR },
            { name: 'es-ca', mountPath: CA_DIR },
            { name: 'varlog', mountPath: '/var/log', readOnly: true },
            { name: 'state', mountPath: STATE_DIR, readOnly: false },
            { name: 'tmp', mountPath: '/tmp', readOnly: false },
          ],
        },
      ],
      volumes: [
        { name: 'config', configMap: this.configMap.metadata.name },
        { name: 'plugins', configMap: this.pluginsConfigMap.metadata.name },
        { name: 'es-ca', secret: props.elasticsearch.caSecret },
        { name: 'varlog', hostPath: '/var/log', type: 'Directory' },
        // Buffers and pos files live on the host so a restarted pod resumes where it stopped.
        { name: 'state', hostPath: STATE_DIR, type: 'DirectoryOrCreate' },
        { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
      ],
    });
  }
}
