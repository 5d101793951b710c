import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { Container } from '@cdktf/provider-docker/lib/container';
import { Image } from '@cdktf/provider-docker/lib/image';
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { File } from '@cdktf/provider-local/lib/file';
import { LocalProvider } from '@cdktf/provider-local/lib/provider';
import { Construct } from 'constructs';
import { join } from 'node:path';
import type { ClusterConnection } from '../k8s/cluster-connection';
import { pathForTerraform } from '../terraform/paths';
import { terraformLiteral } from '../terraform/literal';
import { KindCluster } from './cluster';
import { kindContext, kindDir, kindKubeconfigPath, REGISTRY_CONTAINER, REGISTRY_INTERNAL_PORT, registryHost } from './names';
import { KindProvider } from './provider';

export interface LocalKindClusterProps {
  /** kind cluster name (context `kind-<name>`). */
  readonly name: string;
  /** Worker nodes besides the control plane. */
  readonly workers: number;
  /** Pinned kindest/node image. */
  readonly nodeImage: string;
  /** Host port (127.0.0.1) of the local registry. */
  readonly registryPort: number;
  /** Pinned image of the registry container. */
  readonly registryImage: string;
}

/**
 * A kind cluster with a local image registry wired into every node's containerd (kind's
 * local-registry pattern): the registry container `kind-registry` on 127.0.0.1:<port> in the
 * `kind` Docker network, a `hosts.toml` per node mapping localhost:<port> to it, and the
 * `local-registry-hosting` ConfigMap (KEP-1755). Files go under `.kind/<name>/` of the project,
 * addressed relative to the stack's directory so that no checkout path reaches the state.
 */
export class LocalKindCluster extends Construct {
  readonly cluster: KindCluster;
  /** Registry host:port as seen from the Docker host and from the kind nodes. */
  readonly registry: string;
  /** How the other stacks reach the cluster (sensitive credentials, via remote state). */
  readonly connection: ClusterConnection;

  constructor(scope: Construct, id: string, props: LocalKindClusterProps) {
    super(scope, id);
    new KindProvider(this, 'kind');
    new LocalProvider(this, 'local');
    new DockerProvider(this, 'docker');
    this.registry = registryHost(props.registryPort);

    const certsDir = pathForTerraform(this, join(kindDir(props.name), 'certs.d'));
    const hostsToml = new File(this, 'registry-hosts-toml', {
      filename: `${certsDir}/${this.registry}/hosts.toml`,
      content: terraformLiteral(`[host."http://${REGISTRY_CONTAINER}:${REGISTRY_INTERNAL_PORT}"]\n  capabilities = ["pull", "resolve"]\n`),
      filePermission: '0644',
      directoryPermission: '0755',
    });
    // kind makes a relative hostPath absolute against its working directory (the stack's).
    const mount = { hostPath: certsDir, containerPath: '/etc/containerd/certs.d', readOnly: true };
    this.cluster = new KindCluster(this, 'cluster', {
      name: props.name,
      nodeImage: props.nodeImage,
      waitForReady: true,
      // A kubeconfig of its own, where `npm run open` and `npm run verify` find it.
      kubeconfigPath: pathForTerraform(this, kindKubeconfigPath(props.name)),
      dependsOn: [hostsToml],
      kindConfig: {
        nodes: [
          { role: 'control-plane', extraMounts: [mount] },
          ...Array.from({ length: props.workers }, () => ({ role: 'worker' as const, extraMounts: [mount] })),
        ],
        // Older node images need config_path switched on; newer ones ignore the patch.
        containerdConfigPatches: ['[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n'],
      },
    });

    const registryImage = new Image(this, 'registry-image', { name: props.registryImage, keepLocally: true });
    const registry = new Container(this, 'registry', {
      name: REGISTRY_CONTAINER,
      image: registryImage.imageId,
      restart: 'always',
      ports: [{ internal: REGISTRY_INTERNAL_PORT, external: props.registryPort, ip: '127.0.0.1' }],
      // kind creates the "kind" Docker network with the cluster.
      networksAdvanced: [{ name: 'kind' }],
      dependsOn: [this.cluster],
    });

    // Other stacks connect through the kubeconfig file kind writes, not through outputs: the
    // cluster's admin key would otherwise be copied into every stack's state (remote state).
    // The path is relative to a stack directory, the same for every stack (siblings). Path and
    // context both come from the cluster resource: while the cluster has no state (a first
    // review), both are unknown, and the kubernetes provider then configures no client instead
    // of failing on a context missing from a kubeconfig that does not exist (docs/operations.md).
    this.connection = { type: 'kubeconfig', configPath: this.cluster.kubeconfigPathAttribute, configContext: kindContext(this.cluster.nameAttribute) };
    const kubernetes = new KubernetesProvider(this, 'kubernetes', {
      host: this.cluster.endpoint,
      clientCertificate: this.cluster.clientCertificate,
      clientKey: this.cluster.clientKey,
      clusterCaCertificate: this.cluster.clusterCaCertificate,
    });
    const hosting = new ConfigMapV1(this, 'local-registry-hosting', {
      provider: kubernetes,
      metadata: { name: 'local-registry-hosting', namespace: 'kube-public' },
      data: { 'localRegistryHosting.v1': terraformLiteral(`host: "${this.registry}"\nhelp: "https://kind.sigs.k8s.io/docs/user/local-registry/"\n`) },
    });

    // Addresses these resources had when the cluster stack declared them itself: state moves
    // over instead of Terraform replacing a running cluster.
    this.cluster.moveFromId('kind_cluster.kind-cluster');
    registryImage.moveFromId('docker_image.registry-image');
    registry.moveFromId('docker_container.registry-container');
    hostsToml.moveFromId('local_file.registry-hosts-toml');
    hosting.moveFromId('kubernetes_config_map_v1.local-registry-hosting');
  }
}
