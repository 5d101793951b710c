/**
 * The Terraform the stacks need. Write-only arguments (`data_wo` on `kubernetes_secret_v1`,
 * `set_wo` on `helm_release`) arrived in Terraform 1.11.0: core sends them to the provider and
 * nulls them before anything is written to state or plan, so credentials never reach the state.
 * Older cores cannot use them (ephemeral resources alone came in 1.10).
 *
 * `>= 1.11.0` and no upper bound: 1.11.0 is the first core with the feature, and Terraform 1.x
 * keeps compatibility within the major version; CI and the story workflow pin the version
 * actually tested (1.11.4, .github/workflows/). Terraform checks this itself on every
 * init/validate/plan/apply ("Unsupported Terraform Core version"); `npm run deploy|diff|destroy`
 * checks it first with a message that says why and how to fix it (ops/terraform-version.ts).
 */
export const MINIMUM_TERRAFORM_VERSION = '1.11.0';

/** The version CI and the story workflow install (hashicorp/setup-terraform), and the one the fix in errors names. */
export const TESTED_TERRAFORM_VERSION = '1.11.4';

/**
 * OpenTofu added ephemeral resources and write-only arguments in 1.11.0 too (its docs,
 * language/ephemerality: "can be used only with OpenTofu from v1.11 onwards"). OpenTofu 1.12
 * ignores `required_version` in .tf/.tf.json files (it reads it only in its own .tofu files, as
 * Terraform's constraint otherwise), so for OpenTofu the preflight of `npm run deploy|diff|destroy`
 * (ops/terraform-version.ts) is the check (shown with the real OpenTofu in __tests__/opentofu.test.ts).
 */
export const MINIMUM_OPENTOFU_VERSION = '1.11.0';

/** The OpenTofu CI builds from its Go module (checks/opentofu.ts) and the fix in errors names. */
export const TESTED_OPENTOFU_VERSION = '1.12.6';

/** Every stack's `terraform.required_version` (Terraform's constraint; OpenTofu ignores it in cdk.tf.json). */
export const TERRAFORM_VERSION_CONSTRAINT = `>= ${MINIMUM_TERRAFORM_VERSION}`;
