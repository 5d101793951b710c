import { Fn, IResolvable, TerraformMetaArguments, TerraformResource } from 'cdktf';
import { terraformLiteral } from '../terraform/literal';
import { Construct } from 'constructs';
import { KIND_PROVIDER_VERSION } from './provider';

/** `kind_config.node[].extra_mounts[]` */
export interface KindExtraMount {
  readonly hostPath: string;
  readonly containerPath: string;
  /** @default true */
  readonly readOnly?: boolean;
  /** None | HostToContainer | Bidirectional. @default - kind's default (None) */
  readonly propagation?: 'None' | 'HostToContainer' | 'Bidirectional';
  /** @default false */
  readonly selinuxRelabel?: boolean;
}

/** `kind_config.node[].extra_port_mappings[]` */
export interface KindExtraPortMapping {
  readonly containerPort: number;
  readonly hostPort: number;
  /** @default - all addresses */
  readonly listenAddress?: string;
  /** @default TCP */
  readonly protocol?: 'TCP' | 'UDP' | 'SCTP';
}

/** `kind_config.node[]` */
export interface KindNode {
  readonly role: 'control-plane' | 'worker';
  /** @default - the cluster's node_image */
  readonly image?: string;
  /** @default - none */
  readonly labels?: Record<string, string>;
  /** @default - none */
  readonly extraMounts?: KindExtraMount[];
  /** @default - none */
  readonly extraPortMappings?: KindExtraPortMapping[];
  /** @default - none */
  readonly kubeadmConfigPatches?: string[];
}

/** `kind_config.networking` */
export interface KindNetworking {
  /** @default ipv4 */
  readonly ipFamily?: 'ipv4' | 'ipv6' | 'dual';
  /** @default 127.0.0.1 */
  readonly apiServerAddress?: string;
  /** @default - a random port */
  readonly apiServerPort?: number;
  /** @default - kind's default */
  readonly podSubnet?: string;
  /** @default - kind's default */
  readonly serviceSubnet?: string;
  /** @default false */
  readonly disableDefaultCni?: boolean;
  /** @default iptables */
  readonly kubeProxyMode?: 'iptables' | 'ipvs' | 'nftables' | 'none';
  /** @default - the host's search domains */
  readonly dnsSearch?: string[];
}

/** `kind_config` (one block). */
export interface KindConfig {
  readonly nodes: KindNode[];
  /** @default - kind's defaults */
  readonly networking?: KindNetworking;
  /** Each entry must be valid TOML. @default - none */
  readonly containerdConfigPatches?: string[];
  /** @default - none */
  readonly featureGates?: Record<string, string>;
  /** @default - none */
  readonly runtimeConfig?: Record<string, string>;
}

export interface KindClusterConfig extends TerraformMetaArguments {
  /** Cluster name (kubectl context `kind-<name>`). */
  readonly name: string;
  /** @default - the provider's default kindest/node image */
  readonly nodeImage?: string;
  /** Block until the nodes are Ready. @default false */
  readonly waitForReady?: boolean;
  /** Also write a kubeconfig file here. @default - none */
  readonly kubeconfigPath?: string;
  /** @default - one control-plane node */
  readonly kindConfig?: KindConfig;
  /** @default - provider defaults */
  readonly timeouts?: { create?: string; update?: string; delete?: string };
}

/**
 * `kind_cluster` of tehcyx/kind v0.11.0. Every argument forces replacement. The provider does
 * not mark the computed credentials sensitive, so this binding does: their getters wrap the
 * attribute in `sensitive()`, and every expression, provider block and output built from
 * them is redacted in plans and logs.
 */
export class KindCluster extends TerraformResource {
  static readonly tfResourceType = 'kind_cluster';
  private readonly config: KindClusterConfig;

  constructor(scope: Construct, id: string, config: KindClusterConfig) {
    super(scope, id, {
      terraformResourceType: KindCluster.tfResourceType,
      terraformGeneratorMetadata: { providerName: 'kind', providerVersion: KIND_PROVIDER_VERSION },
      provider: config.provider,
      dependsOn: config.dependsOn,
      count: config.count,
      lifecycle: config.lifecycle,
      provisioners: config.provisioners,
      connection: config.connection,
      forEach: config.forEach,
    });
    this.config = config;
  }

  /** API server URL, e.g. https://127.0.0.1:40123 */
  get endpoint(): string {
    return this.getStringAttribute('endpoint');
  }
  /** PEM client certificate (marked sensitive here; the provider does not). */
  get clientCertificate(): string {
    return Fn.sensitive(this.getStringAttribute('client_certificate'));
  }
  /** PEM client key (marked sensitive here; the provider does not). */
  get clientKey(): string {
    return Fn.sensitive(this.getStringAttribute('client_key'));
  }
  /** PEM cluster CA (marked sensitive here, with the rest of the credentials). */
  get clusterCaCertificate(): string {
    return Fn.sensitive(this.getStringAttribute('cluster_ca_certificate'));
  }
  /** The cluster's name, read from the resource (so that what is derived from it follows the cluster). */
  get nameAttribute(): string {
    return this.getStringAttribute('name');
  }
  /** Where the provider wrote the kubeconfig (as configured, else kind's default); a path, no secret. */
  get kubeconfigPathAttribute(): string {
    return this.getStringAttribute('kubeconfig_path');
  }
  /** Whole kubeconfig document, client key included (marked sensitive here). */
  get kubeconfig(): string {
    return Fn.sensitive(this.getStringAttribute('kubeconfig'));
  }
  get completed(): IResolvable {
    return this.getBooleanAttribute('completed');
  }

  protected synthesizeAttributes(): Record<string, unknown> {
    const c = this.config;
    return dropUndefined({
      name: c.name,
      node_image: c.nodeImage,
      wait_for_ready: c.waitForReady,
      kubeconfig_path: c.kubeconfigPath,
      kind_config: c.kindConfig ? synthKindConfig(c.kindConfig) : undefined,
      timeouts: c.timeouts,
    });
  }
}

function synthKindConfig(k: KindConfig): Record<string, unknown> {
  return dropUndefined({
    kind: 'Cluster',
    api_version: 'kind.x-k8s.io/v1alpha4',
    node: k.nodes.map((n) =>
      dropUndefined({
        role: n.role,
        image: n.image,
        labels: n.labels,
        kubeadm_config_patches: n.kubeadmConfigPatches?.map(terraformLiteral),
        extra_mounts: n.extraMounts?.map((m) =>
          dropUndefined({
            host_path: m.hostPath,
            container_path: m.containerPath,
            read_only: m.readOnly ?? true,
            propagation: m.propagation,
            selinux_relabel: m.selinuxRelabel,
          }),
        ),
        extra_port_mappings: n.extraPortMappings?.map((p) =>
          dropUndefined({
            container_port: p.containerPort,
            host_port: p.hostPort,
            listen_address: p.listenAddress,
            protocol: p.protocol,
          }),
        ),
      }),
    ),
    networking: k.networking
      ? dropUndefined({
          ip_family: k.networking.ipFamily,
          api_server_address: k.networking.apiServerAddress,
          api_server_port: k.networking.apiServerPort,
          pod_subnet: k.networking.podSubnet,
          service_subnet: k.networking.serviceSubnet,
          disable_default_cni: k.networking.disableDefaultCni,
          kube_proxy_mode: k.networking.kubeProxyMode,
          dns_search: k.networking.dnsSearch,
        })
      : undefined,
    containerd_config_patches: k.containerdConfigPatches?.map(terraformLiteral),
    feature_gates: k.featureGates,
    runtime_config: k.runtimeConfig,
  });
}

function dropUndefined<T extends Record<string, unknown>>(o: T): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}
