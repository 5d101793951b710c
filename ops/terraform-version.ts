/**
 * The Terraform version check of `npm run deploy|diff|destroy` (scripts/run-stacks.ts): one
 * `terraform version -json` before anything runs, compared with the stacks' required_version
 * the way Terraform compares it, and one error that says what was found, what is needed, why
 * and how to fix it. Terraform would refuse an older core on its own too, but only per stack,
 * after synth and init, with "Unsupported Terraform Core version" and no reason.
 */
import { MINIMUM_TERRAFORM_VERSION, TERRAFORM_VERSION_CONSTRAINT, TESTED_TERRAFORM_VERSION } from '../constructs/terraform/required-version';

/** Where to get Terraform, and how to pin it (tfenv, CI, Terraform Cloud). */
export const TERRAFORM_FIX =
  `Install Terraform ${MINIMUM_TERRAFORM_VERSION} or newer: https://developer.hashicorp.com/terraform/install ` +
  `(tfenv: tfenv install ${TESTED_TERRAFORM_VERSION} && tfenv use ${TESTED_TERRAFORM_VERSION}; GitHub Actions: hashicorp/setup-terraform with terraform_version: ${TESTED_TERRAFORM_VERSION}; ` +
  `Terraform Cloud runs use the workspace's "Terraform version" setting).`;

/** Why the stacks need it (the requirement's reason, in the error). */
export const TERRAFORM_WHY = `the stacks write credentials with write-only arguments, which Terraform ${MINIMUM_TERRAFORM_VERSION} added to keep secrets out of the state`;

/** `major.minor.patch` and an optional prerelease, as in `terraform version -json`'s terraform_version. */
const VERSION = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

/**
 * The version in the output of `terraform version -json`: its `terraform_version`. A core older
 * than 0.13 does not know -json and prints `Terraform v0.12.31`: read from its first line.
 * Throws when neither gives a version.
 */
export function parseTerraformVersion(stdout: string): string {
  const text = stdout.trim();
  let found: unknown;
  if (text.startsWith('{')) {
    try {
      found = (JSON.parse(text) as { terraform_version?: unknown }).terraform_version;
    } catch {
      found = undefined;
    }
  } else {
    found = /^Terraform v(\S+)/.exec(text)?.[1];
  }
  if (typeof found !== 'string' || !VERSION.test(found)) {
    const shown = text.length > 80 ? `${text.slice(0, 80)}…` : text;
    throw new Error(`no Terraform version in the output of \`terraform version -json\` (${shown ? JSON.stringify(shown) : 'empty'})`);
  }
  return found.replace(/^v/, '');
}

/**
 * Whether `version` meets `>= minimum` as Terraform decides it: on the version core only,
 * segments compared as numbers. Terraform checks required_version against its `version.SemVer`,
 * which has no prerelease part ("Prerelease versions of terraform will match constraints using
 * their version core only": hashicorp/terraform internal/configs/module.go,
 * CheckCoreVersionRequirements), so 1.12.0-alpha counts as 1.12.0. The real Terraform decides
 * the same on both sides of its own version (__tests__/terraform-version.test.ts).
 */
export function meetsMinimum(version: string, minimum = MINIMUM_TERRAFORM_VERSION): boolean {
  const core = (v: string) => {
    const m = VERSION.exec(v);
    if (!m) throw new Error(`not a Terraform version: ${v}`);
    return [Number(m[1]), Number(m[2]), Number(m[3])];
  };
  const [a, b] = [core(version), core(minimum)];
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] > b[i];
  return true;
}

/** What running `terraform version -json` gave (spawnSync's result, text output). */
export interface VersionProbe {
  readonly error?: Error;
  readonly status: number | null;
  readonly signal?: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The one error for `command` when the Terraform found cannot run the stacks; undefined when it can. */
export function terraformVersionProblem(command: string, probe: VersionProbe): string | undefined {
  const need = `Terraform ${TERRAFORM_VERSION_CONSTRAINT} is required (${TERRAFORM_WHY}).`;
  if (probe.error) {
    const missing = (probe.error as NodeJS.ErrnoException).code === 'ENOENT';
    return `cannot ${command}: ${missing ? 'terraform is not installed (not on PATH)' : `terraform could not be started (${probe.error.message})`}. ${need} ${TERRAFORM_FIX}`;
  }
  if (probe.status !== 0) {
    const said = `${probe.stderr}\n${probe.stdout}`.split('\n').find((l) => l.trim())?.trim();
    const how = probe.status === null ? `killed by ${probe.signal ?? 'a signal'}` : `exit ${probe.status}`;
    return `cannot ${command}: \`terraform version -json\` failed (${how}${said ? `: ${said}` : ''}). ${need} ${TERRAFORM_FIX}`;
  }
  let version: string;
  try {
    version = parseTerraformVersion(probe.stdout);
  } catch (err) {
    return `cannot ${command}: ${(err as Error).message}; is \`terraform\` on PATH the Terraform CLI? ${need} ${TERRAFORM_FIX}`;
  }
  if (meetsMinimum(version)) return undefined;
  return `cannot ${command}: found Terraform ${version}, but the stacks require Terraform ${TERRAFORM_VERSION_CONSTRAINT} (their required_version): ${TERRAFORM_WHY}. ${TERRAFORM_FIX}`;
}
