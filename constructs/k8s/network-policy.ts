import { NetworkPolicyV1 } from '@cdktf/provider-kubernetes/lib/network-policy-v1';
import { Construct } from 'constructs';

/** Pod labels that select a workload's pods. */
export type PodLabels = Readonly<Record<string, string>>;

/** A set of pods: those with `pods` labels (all when omitted) in one namespace. */
export interface Workload {
  readonly namespace: string;
  readonly pods: PodLabels;
}

/** Where traffic may come from: one workload, every pod of a namespace, or every pod in the cluster. */
export type IngressPeer = Workload | { readonly namespace: string } | 'any-pod';

/** Namespaces carry this label (set by the API server, immutable since Kubernetes 1.22). */
const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

export interface IngressPolicyProps {
  /** The pods the policy admits traffic to. */
  readonly to: Workload;
  /** Policy name, unique in the namespace. */
  readonly name: string;
  /** TCP ports of `to` that the peers may reach. */
  readonly ports: number[];
  /** Who may connect; an empty list admits nobody (and is refused: use DefaultDenyIngress). */
  readonly from: IngressPeer[];
}

/** Admits TCP traffic to a workload's ports from the listed peers (and nothing else). */
export class IngressPolicy extends Construct {
  readonly policy: NetworkPolicyV1;

  constructor(scope: Construct, id: string, props: IngressPolicyProps) {
    super(scope, id);
    if (props.from.length === 0) throw new Error(`network policy ${props.name}: no peers; a namespace's default-deny policy already admits nobody`);
    if (props.ports.length === 0) throw new Error(`network policy ${props.name}: no ports; name the ports the peers need`);
    this.policy = new NetworkPolicyV1(this, 'policy', {
      metadata: { name: props.name, namespace: props.to.namespace, labels: { 'app.kubernetes.io/managed-by': 'cdktf' } },
      spec: {
        podSelector: { matchLabels: { ...props.to.pods } },
        policyTypes: ['Ingress'],
        ingress: [
          {
            from: props.from.map(peerBlock),
            ports: props.ports.map((port) => ({ port: String(port), protocol: 'TCP' })),
          },
        ],
      },
    });
  }
}

function peerBlock(peer: IngressPeer) {
  // An empty namespace selector is "every namespace"; a pod selector next to it narrows it (AND).
  if (peer === 'any-pod') return { namespaceSelector: {} };
  const namespaceSelector = { matchLabels: { [NAMESPACE_NAME_LABEL]: peer.namespace } };
  return 'pods' in peer ? { namespaceSelector, podSelector: { matchLabels: { ...peer.pods } } } : { namespaceSelector };
}

export interface DefaultDenyIngressProps {
  readonly namespace: string;
}

/**
 * Selects every pod of the namespace for ingress and admits nothing: from then on only the
 * IngressPolicy objects of that namespace open flows. Egress stays open (DNS, the API server,
 * kubelets). kubectl port-forward and kubelet probes do not pass through NetworkPolicy.
 */
export class DefaultDenyIngress extends Construct {
  readonly policy: NetworkPolicyV1;

  constructor(scope: Construct, id: string, props: DefaultDenyIngressProps) {
    super(scope, id);
    this.policy = new NetworkPolicyV1(this, 'policy', {
      metadata: { name: 'default-deny-ingress', namespace: props.namespace, labels: { 'app.kubernetes.io/managed-by': 'cdktf' } },
      spec: { podSelector: {}, policyTypes: ['Ingress'] },
    });
  }
}
