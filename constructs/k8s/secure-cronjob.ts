import { CronJobV1, CronJobV1SpecJobTemplateSpecTemplateSpec } from '@cdktf/provider-kubernetes/lib/cron-job-v1';
import { Construct } from 'constructs';
import { buildPodSpec, JobContainerSpec, PodSpecProps } from './pod-spec';

export interface SecureCronJobProps extends PodSpecProps {
  readonly name: string;
  readonly namespace: string;
  /** Cron schedule, e.g. "15 0 * * *". */
  readonly schedule: string;
  readonly containers: JobContainerSpec[];
  /** @default 600 */
  readonly activeDeadlineSeconds?: number;
}

/** A CronJob with the shared secure defaults; runs never overlap. */
export class SecureCronJob extends Construct {
  readonly cronJob: CronJobV1;

  constructor(scope: Construct, id: string, props: SecureCronJobProps) {
    super(scope, id);
    const labels = { 'app.kubernetes.io/name': props.name, 'app.kubernetes.io/managed-by': 'cdktf' };
    this.cronJob = new CronJobV1(this, 'cronjob', {
      metadata: { name: props.name, namespace: props.namespace, labels },
      spec: {
        schedule: props.schedule,
        concurrencyPolicy: 'Forbid',
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        jobTemplate: {
          metadata: { labels },
          spec: {
            backoffLimit: 3,
            activeDeadlineSeconds: props.activeDeadlineSeconds ?? 600,
            template: {
              metadata: { labels },
              spec: buildPodSpec({ ...props, restartPolicy: props.restartPolicy ?? 'OnFailure' }) as CronJobV1SpecJobTemplateSpecTemplateSpec,
            },
          },
        },
      },
    });
  }
}
