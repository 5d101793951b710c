import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { Construct } from 'constructs';

/**
 * How a stack reaches the cluster: a kubeconfig file and context (kind's own file, or an existing
 * cluster's), or the KUBE_* environment. Never credentials themselves: whatever a stack is given
 * here would end up in other stacks' state through outputs.
 */
export type ClusterConnection =
  | { readonly type: 'kubeconfig'; readonly configPath: string; readonly configContext: string }
  /** Providers read KUBE_HOST, KUBE_TOKEN, KUBE_CLUSTER_CA_CERT_DATA… from the environment. */
  | { readonly type: 'environment' };

export interface KubernetesProvidersProps {
  readonly connection: ClusterConnection;
  /** Also configure the helm provider. @default true */
  readonly helm?: boolean;
}

/** The kubernetes (and helm) providers of one stack, pointed at the cluster. */
export class KubernetesProviders extends Construct {
  readonly kubernetes: KubernetesProvider;
  readonly helm?: HelmProvider;

  constructor(scope: Construct, id: string, props: KubernetesProvidersProps) {
    super(scope, id);
    const c = props.connection;
    const auth = c.type === 'kubeconfig' ? { configPath: c.configPath, configContext: c.configContext } : {};
    this.kubernetes = new KubernetesProvider(this, 'kubernetes', auth);
    if (props.helm ?? true) this.helm = new HelmProvider(this, 'helm', { kubernetes: auth });
  }
}
