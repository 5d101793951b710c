/**
 * The engine check of `npm run deploy|diff|destroy` (scripts/run-stacks.ts): one
 * `<engine> version -json` (the binary of ops/engine.ts: $TERRAFORM_BINARY_NAME or `terraform`)
 * before anything runs, naming the engine it found (Terraform or OpenTofu) and its version,
 * compared with the stacks' required_version the way the engine compares it, and one error that
 * says what was found, what is needed, why and how to fix it. Terraform would refuse an older
 * core on its own too, but only per stack, after synth and init, with "Unsupported Terraform
 * Core version" and no reason; OpenTofu would not refuse at all (it ignores required_version in
 * .tf.json files) and fail later on the ephemeral resources and write-only arguments.
 */
import {
  MINIMUM_OPENTOFU_VERSION,
  MINIMUM_TERRAFORM_VERSION,
  TESTED_OPENTOFU_VERSION,
  TESTED_TERRAFORM_VERSION,
} from '../constructs/terraform/required-version';
import { DEFAULT_ENGINE_BINARY, EngineName } from './engine';

/** Where to get Terraform, and how to pin it (tfenv, CI, Terraform Cloud). */
export const TERRAFORM_FIX =
  `Install Terraform ${MINIMUM_TERRAFORM_VERSION} or newer: https://developer.hashicorp.com/terraform/install ` +
  `(tfenv: tfenv install ${TESTED_TERRAFORM_VERSION} && tfenv use ${TESTED_TERRAFORM_VERSION}; GitHub Actions: hashicorp/setup-terraform with terraform_version: ${TESTED_TERRAFORM_VERSION}; ` +
  `Terraform Cloud runs use the workspace's "Terraform version" setting).`;

/** Where to get OpenTofu, and how to pin it; or back to Terraform. */
export const OPENTOFU_FIX =
  `Install OpenTofu ${MINIMUM_OPENTOFU_VERSION} or newer: https://opentofu.org/docs/intro/install/ ` +
  `(tofuenv: tofuenv install ${TESTED_OPENTOFU_VERSION} && tofuenv use ${TESTED_OPENTOFU_VERSION}; GitHub Actions: opentofu/setup-opentofu with tofu_version: ${TESTED_OPENTOFU_VERSION}), ` +
  `or unset TERRAFORM_BINARY_NAME to run Terraform.`;

/** Why the stacks need it (the requirement's reason, in the error). */
export const TERRAFORM_WHY = `the stacks write credentials with write-only arguments, which Terraform ${MINIMUM_TERRAFORM_VERSION} added to keep secrets out of the state`;
export const OPENTOFU_WHY = `the stacks write credentials with write-only arguments and ephemeral resources, which OpenTofu ${MINIMUM_OPENTOFU_VERSION} added to keep secrets out of the state`;

/** What each engine must be, and where to get it. */
export const ENGINE_REQUIREMENTS: Readonly<Record<EngineName, { minimum: string; why: string; fix: string }>> = {
  Terraform: { minimum: MINIMUM_TERRAFORM_VERSION, why: TERRAFORM_WHY, fix: TERRAFORM_FIX },
  OpenTofu: { minimum: MINIMUM_OPENTOFU_VERSION, why: OPENTOFU_WHY, fix: OPENTOFU_FIX },
};

/** `major.minor.patch` and an optional prerelease, as in `version -json`'s terraform_version. */
const VERSION = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

/** The engine and version an engine reported. */
export interface FoundEngine {
  readonly engine: EngineName;
  readonly version: string;
}

/**
 * The engine and version in the output of `<engine> version -json`. Both engines name the
 * version `terraform_version`; Terraform's JSON also has `terraform_outdated` (its update
 * check), which OpenTofu's has not (OpenTofu 1.12: terraform_version, platform,
 * provider_selections, and fips140 only when on): a JSON without it is OpenTofu's. A core too
 * old for -json (Terraform before 0.13) prints `Terraform v0.12.31`; OpenTofu's plain form is
 * `OpenTofu v1.12.6`: read from the first line. Throws when neither gives a version.
 */
export function parseEngineVersion(stdout: string, binary = DEFAULT_ENGINE_BINARY): FoundEngine {
  const text = stdout.trim();
  let found: unknown;
  let engine: EngineName = 'Terraform';
  if (text.startsWith('{')) {
    try {
      const json = JSON.parse(text) as { terraform_version?: unknown; terraform_outdated?: unknown };
      found = json.terraform_version;
      engine = 'terraform_outdated' in json ? 'Terraform' : 'OpenTofu';
    } catch {
      found = undefined;
    }
  } else {
    const m = /^(Terraform|OpenTofu) v(\S+)/.exec(text);
    found = m?.[2];
    if (m) engine = m[1] as EngineName;
  }
  if (typeof found !== 'string' || !VERSION.test(found)) {
    const shown = text.length > 80 ? `${text.slice(0, 80)}…` : text;
    throw new Error(`no Terraform or OpenTofu version in the output of \`${binary} version -json\` (${shown ? JSON.stringify(shown) : 'empty'})`);
  }
  return { engine, version: found.replace(/^v/, '') };
}

/**
 * Whether `version` meets `>= minimum` as Terraform and OpenTofu decide it: on the version core
 * only, segments compared as numbers. Terraform checks required_version against its
 * `version.SemVer`, which has no prerelease part ("Prerelease versions of terraform will match
 * constraints using their version core only": hashicorp/terraform internal/configs/module.go,
 * CheckCoreVersionRequirements), so 1.12.0-alpha counts as 1.12.0. The real engines decide the
 * same on both sides of their own version (__tests__/terraform-version.test.ts; OpenTofu, where
 * it applies a constraint at all, in a .tofu.json file: __tests__/opentofu.test.ts).
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

/** What running `<engine> version -json` gave (spawnSync's result, text output). */
export interface VersionProbe {
  readonly error?: Error;
  readonly status: number | null;
  readonly signal?: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The binary as the user chose it: `terraform`, or `tofu (TERRAFORM_BINARY_NAME)`. */
function chosen(binary: string): string {
  return binary === DEFAULT_ENGINE_BINARY ? binary : `${binary} (TERRAFORM_BINARY_NAME)`;
}

/** "OpenTofu 1.12.6 (tofu from TERRAFORM_BINARY_NAME)", "Terraform 1.11.4 (terraform)": what the preflight found. */
export function describeEngine(found: FoundEngine, binary = DEFAULT_ENGINE_BINARY): string {
  return `${found.engine} ${found.version} (${binary === DEFAULT_ENGINE_BINARY ? binary : `${binary} from TERRAFORM_BINARY_NAME`})`;
}

/**
 * The engine a binary that gave no answer was meant to be, for the error's fix: OpenTofu when
 * its name says so (`tofu`, `/opt/tofu-1.12/tofu`), else Terraform.
 */
function meantEngine(binary: string): EngineName {
  return /tofu[^/\\]*$/i.test(binary) ? 'OpenTofu' : 'Terraform';
}

/** The engine `binary` runs, or the one error for `command` when it cannot run the stacks. */
export function checkEngine(command: string, probe: VersionProbe, binary = DEFAULT_ENGINE_BINARY): { found: FoundEngine; problem?: undefined } | { found?: undefined; problem: string } {
  const need = (engine: EngineName) => {
    const r = ENGINE_REQUIREMENTS[engine];
    return `${engine} >= ${r.minimum} is required (${r.why}). ${r.fix}`;
  };
  if (probe.error) {
    const missing = (probe.error as NodeJS.ErrnoException).code === 'ENOENT';
    return { problem: `cannot ${command}: ${missing ? `${chosen(binary)} is not installed (not on PATH)` : `${chosen(binary)} could not be started (${probe.error.message})`}. ${need(meantEngine(binary))}` };
  }
  if (probe.status !== 0) {
    const said = `${probe.stderr}\n${probe.stdout}`.split('\n').find((l) => l.trim())?.trim();
    const how = probe.status === null ? `killed by ${probe.signal ?? 'a signal'}` : `exit ${probe.status}`;
    return { problem: `cannot ${command}: \`${binary} version -json\` failed (${how}${said ? `: ${said}` : ''}). ${need(meantEngine(binary))}` };
  }
  let found: FoundEngine;
  try {
    found = parseEngineVersion(probe.stdout, binary);
  } catch (err) {
    return { problem: `cannot ${command}: ${(err as Error).message}; is ${chosen(binary)} the Terraform or OpenTofu CLI? ${need(meantEngine(binary))}` };
  }
  const { minimum, why, fix } = ENGINE_REQUIREMENTS[found.engine];
  if (meetsMinimum(found.version, minimum)) return { found };
  return { problem: `cannot ${command}: found ${describeEngine(found, binary)}, but the stacks require ${found.engine} >= ${minimum} (their required_version): ${why}. ${fix}` };
}
