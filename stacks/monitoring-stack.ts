import { CloudBackend, NamedCloudWorkspace, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import type { MonitoringConfig } from '../config/schema';
import { TERRAFORM_VERSION_CONSTRAINT } from '../constructs/terraform/required-version';

/**
 * Base of every stack: the Terraform version it needs (write-only arguments: >= 1.11) and the
 * configured backend. Local state by default (cdktf's own per-stack
 * state file); with `backend.type: cloud`, one Terraform Cloud workspace per stack, and
 * cross-stack references read the other workspaces' outputs. The stacks exist once, in
 * stacks/app.ts; their order is derived from their cross-stack references (cdktf records
 * them in cdktf.out/manifest.json, which deploy/diff/destroy read).
 */
export abstract class MonitoringStack extends TerraformStack {
  protected constructor(scope: Construct, name: string, protected readonly config: MonitoringConfig) {
    super(scope, name);
    this.addOverride('terraform.required_version', TERRAFORM_VERSION_CONSTRAINT);
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
