/**
 * Which engine runs the stacks: Terraform or OpenTofu, chosen with `TERRAFORM_BINARY_NAME`
 * exactly as cdktf 0.21 chooses it (@cdktf/commons src/terraform.ts and cdktf lib/util.ts:
 * `process.env.TERRAFORM_BINARY_NAME || "terraform"`, spawned as given: a name looked up on
 * PATH, or a path). Every command of this project that runs the engine asks here, so that
 * `npm run deploy|diff|destroy`, the cdktf CLI they call for synth, the offline checks and the
 * bench all run the same binary.
 */

/** The engine when TERRAFORM_BINARY_NAME is unset or empty (as in cdktf). */
export const DEFAULT_ENGINE_BINARY = 'terraform';

/** The engine binary to spawn: $TERRAFORM_BINARY_NAME, else `terraform`. */
export function engineBinary(env: NodeJS.ProcessEnv = process.env): string {
  return env.TERRAFORM_BINARY_NAME || DEFAULT_ENGINE_BINARY;
}

export type EngineName = 'Terraform' | 'OpenTofu';

/**
 * The registry host a provider source without one (`hashicorp/kubernetes`) means to each
 * engine: Terraform reads it as registry.terraform.io/hashicorp/kubernetes, OpenTofu as
 * registry.opentofu.org/hashicorp/kubernetes (a different address: lock files, state and
 * `providers schema -json` name it so).
 */
export const DEFAULT_REGISTRY_HOST: Readonly<Record<EngineName, string>> = {
  Terraform: 'registry.terraform.io',
  OpenTofu: 'registry.opentofu.org',
};
