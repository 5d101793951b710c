import { DeploymentV1 } from '@cdktf/provider-kubernetes/lib/deployment-v1';
import { ServiceV1 } from '@cdktf/provider-kubernetes/lib/service-v1';
import { Construct } from 'constructs';
import { terraformLiterals } from '../terraform/literal';
import { buildPodSpec, ContainerSpec, PodSpecProps } from './pod-spec';

export interface SecureDeploymentProps extends PodSpecProps {
  /** Long-running containers: probes are required. */
  readonly containers: ContainerSpec[];
  readonly name: string;
  readonly namespace: string;
  /** @default 1 */
  readonly replicas?: number;
  /** Extra pod labels; `app.kubernetes.io/name` is always set to `name`. @default - none */
  readonly labels?: Record<string, string>;
  /** @default - none */
  readonly podAnnotations?: Record<string, string>;
  /** A ClusterIP Service with the same name on these ports. @default - no Service */
  readonly servicePorts?: { readonly name: string; readonly port: number; readonly targetPort: number }[];
}

/**
 * A Deployment (and optionally its Service) with the shared secure defaults: non-root,
 * read-only root FS, resources and probes on every container, no service-account token.
 */
export class SecureDeployment extends Construct {
  readonly deployment: DeploymentV1;
  readonly service?: ServiceV1;
  readonly selector: Record<string, string>;

  constructor(scope: Construct, id: string, props: SecureDeploymentProps) {
    super(scope, id);
    this.selector = { 'app.kubernetes.io/name': props.name };
    const labels = { ...this.selector, 'app.kubernetes.io/managed-by': 'cdktf', ...props.labels };
    this.deployment = new DeploymentV1(this, 'deployment', {
      metadata: { name: props.name, namespace: props.namespace, labels },
      waitForRollout: true,
      spec: {
        replicas: String(props.replicas ?? 1),
        revisionHistoryLimit: 5,
        selector: { matchLabels: this.selector },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '0', maxSurge: '1' } },
        template: {
          metadata: { labels, annotations: props.podAnnotations && terraformLiterals(props.podAnnotations) },
          spec: buildPodSpec(props),
        },
      },
    });
    if (props.servicePorts) {
      this.service = new ServiceV1(this, 'service', {
        metadata: { name: props.name, namespace: props.namespace, labels },
        spec: {
          type: 'ClusterIP',
          selector: this.selector,
          port: props.servicePorts.map((p) => ({ name: p.name, port: p.port, targetPort: String(p.targetPort), protocol: 'TCP' })),
        },
      });
    }
  }
}
