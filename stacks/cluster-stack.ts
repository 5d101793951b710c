import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { Container } from '@cdktf/provider-docker/lib/container';
import { Image } from '@cdktf/provider-docker/lib/image';
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { File } from '@cdktf/provider-local/lib/file';
import { LocalProvider } from '@cdktf/provider-local/lib/provider';
import { TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import { resolve } from 'node:path';
import type { KindClusterConfig, MonitoringConfig } from '../config/schema';
import { KindCluster } from '../constructs/kind/cluster';
import { KindProvider } from '../constructs/kind/provider';
import type { ClusterConnection } from '../constructs/k8s/cluster-connection';
import { MonitoringStack } from './monitoring-stack';

/** kubectl context kind creates for a cluster. */
export function kindContext(clusterName: string): string {
  return `kind-${clusterName}`;
}

/** Where the kind cluster's kubeconfig is written (git-ignored). */
export function kindKubeconfigPath(clusterName: string, cwd = process.cwd()): string {
  return resolve(cwd, '.kind', clusterName, 'kubeconfig');
}

/** Registry container name and in-network port (kind's local-registry pattern). */
export const REGISTRY_CONTAINER = 'kind-registry';
export const REGISTRY_INTERNAL_PORT = 5000;

/**
 * The Kubernetes cluster. kind mode: a kind cluster plus a local registry that the nodes
 * pull from (no external registry needed). existing mode: no resources, only the
 * connection other stacks use.
 */
export class ClusterStack extends MonitoringStack {
  readonly connection: ClusterConnection;
  /** Registry host:port as seen from the Docker host and from the kind nodes. */
  readonly registry?: string;

  constructor(scope: Construct, config: MonitoringConfig) {
    super(scope, 'cluster', config);
    const cluster = config.cluster;
    if (cluster.mode === 'environment') {
      this.connection = { type: 'environment' };
      new TerraformOutput(this, 'kube_context', { value: cluster.kubeContext ?? '(current context)', description: 'providers use KUBE_* environment variables' });
      return;
    }
    if (cluster.mode === 'existing') {
      this.connection = { type: 'kubeconfig', configPath: cluster.kubeconfigPath, configContext: cluster.context };
      new TerraformOutput(this, 'kube_context', { value: cluster.context, description: 'kubectl context of the existing cluster' });
      return;
    }
    const kind = this.kindCluster(cluster);
    this.registry = `localhost:${cluster.registryPort}`;
    this.connection = {
      type: 'credentials',
      host: kind.endpoint,
      clientCertificate: kind.clientCertificate,
      clientKey: kind.clientKey,
      clusterCaCertificate: kind.clusterCaCertificate,
    };
    this.outputs(kind, cluster);
  }

  private kindCluster(cluster: KindClusterConfig): KindCluster {
    new KindProvider(this, 'kind');
    new LocalProvider(this, 'local');
    new DockerProvider(this, 'docker');

    // containerd on every node resolves localhost:<port> to the registry container
    // (kind's local-registry pattern, through a hosts.toml mounted into each node).
    const certsDir = resolve(process.cwd(), '.kind', cluster.name, 'certs.d');
    const registryHost = `localhost:${cluster.registryPort}`;
    const hostsToml = new File(this, 'registry-hosts-toml', {
      filename: `${certsDir}/${registryHost}/hosts.toml`,
      content: `[host."http://${REGISTRY_CONTAINER}:${REGISTRY_INTERNAL_PORT}"]\n  capabilities = ["pull", "resolve"]\n`,
      filePermission: '0644',
      directoryPermission: '0755',
    });
    const mount = { hostPath: certsDir, containerPath: '/etc/containerd/certs.d', readOnly: true };
    const kind = new KindCluster(this, 'kind-cluster', {
      name: cluster.name,
      nodeImage: cluster.nodeImage,
      waitForReady: true,
      // A kubeconfig of its own, where `npm run open` and `npm run verify` find it.
      kubeconfigPath: kindKubeconfigPath(cluster.name),
      dependsOn: [hostsToml],
      kindConfig: {
        nodes: [
          { role: 'control-plane', extraMounts: [mount] },
          ...Array.from({ length: cluster.workers }, () => ({ role: 'worker' as const, extraMounts: [mount] })),
        ],
        // Older node images need config_path switched on; newer ones ignore the patch.
        containerdConfigPatches: ['[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n'],
      },
    });

    const registryImage = new Image(this, 'registry-image', { name: cluster.registryImage, keepLocally: true });
    new Container(this, 'registry-container', {
      name: REGISTRY_CONTAINER,
      image: registryImage.imageId,
      restart: 'always',
      ports: [{ internal: REGISTRY_INTERNAL_PORT, external: cluster.registryPort, ip: '127.0.0.1' }],
      // kind creates the "kind" Docker network with the cluster.
      networksAdvanced: [{ name: 'kind' }],
      dependsOn: [kind],
    });

    // Documents the registry for tools that read it (KEP-1755).
    const k8s = new KubernetesProvider(this, 'kubernetes', {
      host: kind.endpoint,
      clientCertificate: kind.clientCertificate,
      clientKey: kind.clientKey,
      clusterCaCertificate: kind.clusterCaCertificate,
    });
    new ConfigMapV1(this, 'local-registry-hosting', {
      provider: k8s,
      metadata: { name: 'local-registry-hosting', namespace: 'kube-public' },
      data: { 'localRegistryHosting.v1': `host: "${registryHost}"\nhelp: "https://kind.sigs.k8s.io/docs/user/local-registry/"\n` },
    });
    return kind;
  }

  private outputs(kind: KindCluster, cluster: KindClusterConfig): void {
    new TerraformOutput(this, 'endpoint', { value: kind.endpoint, description: 'Kubernetes API server URL' });
    new TerraformOutput(this, 'cluster_ca_certificate', { value: kind.clusterCaCertificate, sensitive: true });
    new TerraformOutput(this, 'client_certificate', { value: kind.clientCertificate, sensitive: true });
    new TerraformOutput(this, 'client_key', { value: kind.clientKey, sensitive: true });
    new TerraformOutput(this, 'kubeconfig', { value: kind.kubeconfig, sensitive: true, description: 'terraform output -raw kubeconfig > kind.kubeconfig' });
    new TerraformOutput(this, 'kube_context', { value: kindContext(cluster.name) });
    new TerraformOutput(this, 'kubeconfig_path', { value: kindKubeconfigPath(cluster.name), description: 'export KUBECONFIG=<this> to use kubectl' });
    new TerraformOutput(this, 'registry', { value: `localhost:${cluster.registryPort}`, description: 'push images here; nodes pull the same name' });
  }
}
