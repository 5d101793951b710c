import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1';
import { Construct } from 'constructs';
import { DefaultDenyIngress } from './network-policy';

/** Pod Security Standards levels (Pod Security Admission). */
export type PodSecurityLevel = 'restricted' | 'baseline' | 'privileged';

export interface SecureNamespaceProps {
  readonly name: string;
  /**
   * The Pod Security level enforced (and warned/audited) in the namespace. Anything below
   * `restricted` needs the reason, which becomes an annotation on the namespace.
   * @default { level: 'restricted' }
   */
  readonly podSecurity?: { readonly level: 'restricted' } | { readonly level: 'baseline' | 'privileged'; readonly reason: string };
  /** Add a default-deny ingress NetworkPolicy (then only explicit IngressPolicy flows pass). */
  readonly denyIngressByDefault: boolean;
}

/** Labels that make Pod Security Admission enforce, warn and audit one level. */
export function podSecurityLabels(level: PodSecurityLevel): Record<string, string> {
  return {
    'pod-security.kubernetes.io/enforce': level,
    'pod-security.kubernetes.io/enforce-version': 'latest',
    'pod-security.kubernetes.io/warn': level,
    'pod-security.kubernetes.io/audit': level,
  };
}

/**
 * A namespace with the shared secure defaults: the Pod Security level as admission labels and,
 * when network isolation is on, default-deny ingress. It is the namespace resource itself
 * (same Terraform address as a plain NamespaceV1 with this id), so existing state carries over.
 */
export class SecureNamespace extends NamespaceV1 {
  readonly defaultDeny?: DefaultDenyIngress;

  constructor(scope: Construct, id: string, props: SecureNamespaceProps) {
    const security = props.podSecurity ?? { level: 'restricted' as const };
    if (security.level !== 'restricted' && security.reason.trim().length < 10) {
      throw new Error(`namespace ${props.name}: say why it needs Pod Security level "${security.level}" instead of "restricted"`);
    }
    super(scope, id, {
      metadata: {
        name: props.name,
        labels: podSecurityLabels(security.level),
        annotations: security.level === 'restricted' ? undefined : { 'monitoring-stack/pod-security-reason': security.reason },
      },
    });
    if (props.denyIngressByDefault) this.defaultDeny = new DefaultDenyIngress(scope, `${id}-default-deny`, { namespace: this.metadata.name });
  }
}
