import { CloudBackend, NamedCloudWorkspace, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import type { MonitoringConfig } from '../config/schema';

/** The stack names users pass to `cdktf deploy`, in deploy order. */
export const STACK_NAMES = ['cluster', 'elasticsearch', 'jaeger', 'otel-collector', 'logging', 'sample-app'] as const;
export type StackName = (typeof STACK_NAMES)[number];

/**
 * Base of every stack: the configured backend. Local state by default (cdktf's own
 * per-stack state file); with `backend.type: cloud`, one Terraform Cloud workspace per
 * stack, and cross-stack references read the other workspaces' outputs.
 */
export abstract class MonitoringStack extends TerraformStack {
  protected constructor(scope: Construct, name: StackName, protected readonly config: MonitoringConfig) {
    super(scope, name);
    const backend = config.backend;
    if (backend.type === 'cloud') {
      new CloudBackend(this, {
        hostname: backend.hostname,
        organization: backend.organization,
        workspaces: new NamedCloudWorkspace(`${backend.workspacePrefix}${name}`),
      });
    }
  }
}
