import { DaemonSetV1, DaemonSetV1SpecTemplateSpec } from '@cdktf/provider-kubernetes/lib/daemon-set-v1';
import { Construct } from 'constructs';
import { terraformLiterals } from '../terraform/literal';
import { buildPodSpec, ContainerSpec, PodSpecProps } from './pod-spec';

export interface SecureDaemonSetProps extends PodSpecProps {
  /** Long-running containers: probes are required. */
  readonly containers: ContainerSpec[];
  readonly name: string;
  readonly namespace: string;
  /** @default - none */
  readonly podAnnotations?: Record<string, string>;
  /** Also schedule on control-plane nodes. @default true */
  readonly includeControlPlane?: boolean;
}

/** A DaemonSet with the shared secure defaults (see SecureDeployment). */
export class SecureDaemonSet extends Construct {
  readonly daemonSet: DaemonSetV1;
  readonly selector: Record<string, string>;

  constructor(scope: Construct, id: string, props: SecureDaemonSetProps) {
    super(scope, id);
    this.selector = { 'app.kubernetes.io/name': props.name };
    const labels = { ...this.selector, 'app.kubernetes.io/managed-by': 'cdktf' };
    const controlPlane = props.includeControlPlane ?? true;
    const tolerations = [
      ...(props.tolerations ?? []),
      ...(controlPlane ? [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists' as const, effect: 'NoSchedule' }] : []),
    ];
    this.daemonSet = new DaemonSetV1(this, 'daemonset', {
      metadata: { name: props.name, namespace: props.namespace, labels },
      waitForRollout: true,
      spec: {
        selector: { matchLabels: this.selector },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '1' } },
        template: {
          metadata: { labels, annotations: props.podAnnotations && terraformLiterals(props.podAnnotations) },
          spec: buildPodSpec({ ...props, tolerations }) as DaemonSetV1SpecTemplateSpec,
        },
      },
    });
  }
}
