import { JobV1, JobV1SpecTemplateSpec } from '@cdktf/provider-kubernetes/lib/job-v1';
import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { terraformLiterals } from '../terraform/literal';
import { buildPodSpec, JobContainerSpec, PodSpecProps } from './pod-spec';

export interface SecureJobProps extends PodSpecProps {
  readonly name: string;
  readonly namespace: string;
  readonly containers: JobContainerSpec[];
  /** Bound on the whole run, retries included. */
  readonly activeDeadlineSeconds: number;
  /** @default 2 */
  readonly backoffLimit?: number;
  /** A change of these replaces the Job, so it runs again. @default - none */
  readonly podAnnotations?: Record<string, string>;
  /** @default - none */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * A run-once Job with the shared secure defaults that Terraform waits for: the apply fails
 * (naming the Job) when it fails or outlives its deadline. The finished Job is kept (no TTL),
 * so the next plan sees it and plans nothing.
 */
export class SecureJob extends Construct {
  readonly job: JobV1;

  constructor(scope: Construct, id: string, props: SecureJobProps) {
    super(scope, id);
    const labels = { 'app.kubernetes.io/name': props.name, 'app.kubernetes.io/managed-by': 'cdktf' };
    const deadline = `${props.activeDeadlineSeconds + 60}s`;
    this.job = new JobV1(this, 'job', {
      metadata: { name: props.name, namespace: props.namespace, labels },
      waitForCompletion: true,
      timeouts: { create: deadline, update: deadline },
      spec: {
        backoffLimit: props.backoffLimit ?? 2,
        activeDeadlineSeconds: props.activeDeadlineSeconds,
        template: {
          metadata: { labels, annotations: props.podAnnotations && terraformLiterals(props.podAnnotations) },
          spec: buildPodSpec({ ...props, restartPolicy: props.restartPolicy ?? 'Never' }) as JobV1SpecTemplateSpec,
        },
      },
      dependsOn: props.dependsOn,
    });
  }
}
