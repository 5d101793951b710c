import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism, homedir, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { TERRAFORM_VERSION_CONSTRAINT, TESTED_OPENTOFU_VERSION, TESTED_TERRAFORM_VERSION } from '../constructs/terraform/required-version';
import { DEFAULT_REGISTRY_HOST, engineBinary } from '../ops/engine';
import { describeEngine, FoundEngine, parseEngineVersion } from '../ops/terraform-version';
import { dependencyOrder, readManifest } from '../ops/stack-order';
import { DiagnosticMapper, StackDiagnostic, TfDiagnostic, TfJson, uiDiagnostics } from './terraform-diagnostics';

export { addressOf, DiagnosticMapper, formatAttributePath } from './terraform-diagnostics';
export type { JsonPath, StackDiagnostic, TfDiagnostic, TfJson } from './terraform-diagnostics';
import { writeProviderSchemas } from './provider-schemas';

/**
 * The real `terraform init` + `terraform validate`, offline, on synthesized stacks. Terraform
 * core does all the checking (template syntax in strings, references, argument names,
 * required arguments, block nesting and counts, types, computed-only attributes) against the
 * REAL provider schemas, served by a stand-in plugin (tools/tf-standin) that reads the output
 * of `terraform providers schema -json` of the real provider at the pinned version. The same
 * stand-ins also plan and apply (they echo the configuration), so stacks can be planned and
 * applied offline against a local backend in a temp dir.
 *
 * Nothing reaches the network: providers come from a filesystem mirror only, the checkpoint
 * is disabled and any HTTP(S) client Terraform starts is pointed at a closed local port.
 *
 * The engine is the one `npm run deploy` runs (ops/engine.ts): `terraform`, or OpenTofu with
 * TERRAFORM_BINARY_NAME=tofu. OpenTofu reads a source without a host (`hashicorp/kubernetes`)
 * as registry.opentofu.org/hashicorp/kubernetes, Terraform as registry.terraform.io/…: the
 * mirror holds each stand-in under both registries' addresses, so one CLI config serves both.
 */

const REPO = join(__dirname, '..');
const STANDIN_SRC = join(REPO, 'tools', 'tf-standin');
/** The stand-in's sources (what its cache directory is keyed by): go.mod, go.sum and every .go file. */
function standinFiles(): string[] {
  return readdirSync(STANDIN_SRC)
    .filter((f) => f === 'go.mod' || f === 'go.sum' || (f.endsWith('.go') && !f.endsWith('_test.go')))
    .sort();
}
const DEFAULT_HOST = 'registry.terraform.io';

/** Directory of `<type>-<version>.json` schema files (env PROVIDER_SCHEMAS_DIR). */
export function providerSchemasDir(): string {
  return process.env.PROVIDER_SCHEMAS_DIR ?? join(__dirname, '..', '..', 'shared', 'provider-schemas');
}

/** Build cache outside the repository, shared with other tools of this project. */
export function toolsCacheDir(): string {
  return join(process.env.MONITORING_TOOLS_CACHE ?? process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'monitoring-stack');
}

// ---------------------------------------------------------------------------------------------
// The stand-in provider binary and the filesystem mirror

/** Builds tools/tf-standin once per source hash into the cache; returns the binary's path. */
export function ensureStandin(log: (line: string) => void = () => undefined): string {
  const hash = createHash('sha256');
  for (const file of standinFiles()) hash.update(`${file}\0`).update(readFileSync(join(STANDIN_SRC, file))).update('\0');
  const dir = join(toolsCacheDir(), `tf-standin-${hash.digest('hex').slice(0, 12)}`);
  const binary = join(dir, 'terraform-provider-standin');
  if (existsSync(binary)) return binary;
  mkdirSync(dir, { recursive: true });
  const tmp = `${binary}.${process.pid}.tmp`; // concurrent builders (jest workers) each rename their own
  log(`go build tools/tf-standin -> ${binary}`);
  try {
    execFileSync('go', ['build', '-buildvcs=false', '-trimpath', '-o', tmp, '.'], { cwd: STANDIN_SRC, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, GOFLAGS: '-mod=mod' } });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    throw new Error('The Go toolchain (`go`) is not on PATH: the offline Terraform check builds its stand-in provider (tools/tf-standin) with `go build`. Install Go 1.26 or newer.');
  }
  renameSync(tmp, binary);
  return binary;
}

export interface ProviderPin {
  /** e.g. registry.terraform.io/hashicorp/kubernetes */
  address: string;
  hostname: string;
  namespace: string;
  type: string;
  version: string;
}

/** `source` as written in required_providers: `kubernetes`, `hashicorp/helm`, `tehcyx/kind`, `host/ns/type`. */
export function parseProviderSource(source: string): Omit<ProviderPin, 'version'> {
  const parts = source.trim().toLowerCase().split('/');
  const [hostname, namespace, type] = parts.length === 1 ? [DEFAULT_HOST, 'hashicorp', parts[0]] : parts.length === 2 ? [DEFAULT_HOST, parts[0], parts[1]] : parts.length === 3 ? parts : [];
  if (!hostname || !namespace || !type) throw new Error(`invalid provider source "${source}"`);
  return { address: `${hostname}/${namespace}/${type}`, hostname, namespace, type };
}

type RequiredProviders = Record<string, { source?: string; version?: string } | string>;

/** The providers a synthesized stack pins in `terraform.required_providers` (exact versions). */
export function requiredProviders(json: TfJson, stack: string): ProviderPin[] {
  const required = (json.terraform?.required_providers ?? {}) as RequiredProviders;
  return Object.entries(required).map(([name, req]) => {
    const { source = name, version = '' } = typeof req === 'string' ? { version: req } : req;
    const pin = /^\s*=?\s*v?(\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]+)?)\s*$/.exec(version);
    if (!pin) throw new Error(`${stack}: required_providers.${name} (${source}) has version "${version}", not one exact version: the offline check needs an exact pin to pick the provider schema`);
    return { ...parseProviderSource(source), version: pin[1] };
  });
}

function goPlatform(): string {
  const os = process.platform === 'win32' ? 'windows' : process.platform;
  const arch = ({ x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm' } as Record<string, string>)[process.arch] ?? process.arch;
  return `${os}_${arch}`;
}

/** Error for a pinned provider whose schema file is missing (never a skip). */
export function missingSchemaMessage(pin: ProviderPin, dir: string, stack: string): string {
  const file = join(dir, `${pin.type}-${pin.version}.json`);
  return [
    `No provider schema for ${pin.namespace}/${pin.type} ${pin.version} (pinned by stack ${stack}): ${file} does not exist.`,
    `The schemas are read from PROVIDER_SCHEMAS_DIR (now ${dir}).`,
    `To produce the file: run \`terraform init\` on a synthesized stack with network access, then \`terraform providers schema -json > ${file}\` and keep only the "${pin.address}" entry`,
    `(or run \`ts-node --transpile-only checks/provider-schemas.ts ${dir} <stack dir>\` there).`,
  ].join(' ');
}

export interface StackDir {
  name: string;
  /** Directory holding the stack's cdk.tf.json. */
  dir: string;
  dependencies?: string[];
}

export interface StackValidation {
  stack: string;
  valid: boolean;
  diagnostics: StackDiagnostic[];
  errors: StackDiagnostic[];
  providers: ProviderPin[];
  resources: number;
  seconds: { init: number; validate: number };
}

export interface PlannedResourceChange {
  address: string;
  mode: 'managed' | 'data';
  type: string;
  name: string;
  change: { actions: string[]; before: unknown; after: unknown; after_unknown?: unknown };
}

export interface ResourceValues {
  address: string;
  mode: 'managed' | 'data';
  type: string;
  name: string;
  values: Record<string, unknown>;
}

export interface ModuleValues {
  outputs?: Record<string, { value?: unknown; sensitive: boolean }>;
  root_module?: { resources?: ResourceValues[] };
}

/** Parsed `terraform show -json <planfile>`. */
export interface TerraformPlan {
  format_version: string;
  resource_changes?: PlannedResourceChange[];
  planned_values?: ModuleValues;
  output_changes?: Record<string, { actions: string[]; after: unknown; after_unknown?: unknown }>;
  prior_state?: { values?: ModuleValues };
}

/** Parsed `terraform show -json` (state). */
export interface TerraformState {
  format_version: string;
  values?: ModuleValues;
}

// ---------------------------------------------------------------------------------------------
// Running Terraform

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class OfflineTerraformError extends Error {
  constructor(
    message: string,
    readonly diagnostics: StackDiagnostic[] = [],
  ) {
    super(diagnostics.length ? `${message}\n${diagnostics.map((d) => `  ${d.line}`).join('\n')}` : message);
  }
}

function readStackJson(stack: StackDir): { text: string; json: TfJson } {
  const file = join(stack.dir, 'cdk.tf.json');
  const text = readFileSync(file, 'utf8');
  return { text, json: JSON.parse(text) as TfJson };
}

/** Stacks of a cdktf output dir (manifest.json), dependencies first (the order deploy uses). */
export function stacksOf(outdir: string): StackDir[] {
  const manifest = readManifest(outdir);
  return dependencyOrder(manifest).map((name) => {
    const s = manifest.find((m) => m.name === name)!;
    return { name, dir: join(outdir, s.workingDirectory), dependencies: [...s.dependencies] };
  });
}

async function pool<T, R>(items: T[], limit: number, f: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await f(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export interface OfflineOptions {
  /** Directory of `<type>-<version>.json`; default providerSchemasDir(). */
  schemasDir?: string;
  /** Stacks validated at once; default: available CPUs. */
  concurrency?: number;
  /**
   * What the stand-ins apply for attributes the real provider computes (unknown in the plan):
   * `null` (default), or `placeholder` (typed values: "standin:<type>.<attribute>", 0, false,
   * empty collections). Terraform drops null outputs from the state, so a consumer stack that
   * reads a producer's output built from a computed attribute (the kind cluster's endpoint and
   * credentials) needs `placeholder`.
   */
  computed?: 'null' | 'placeholder';
  /**
   * Where providers come from: `standin` (default: offline, the stand-ins in a filesystem
   * mirror) or `registry` (the real providers, downloaded by Terraform as for users: CI with
   * network runs this same code path against them).
   */
  providers?: 'standin' | 'registry';
  /**
   * A directory for the stand-ins' fake cluster (env TF_STANDIN_WORLD): apply writes each
   * managed object there as JSON, destroy removes it, and a refresh treats a removed file as
   * an object deleted out of band. Read it with readWorld (checks/standin-world.ts).
   * Default: no world (the stand-ins only echo).
   */
  world?: string;
  log?: (line: string) => void;
}

/**
 * A session: a temp dir with the provider mirror, the CLI config, one work dir per stack
 * and (for plan/apply) the local state files. dispose() removes it.
 */
export class OfflineTerraform {
  readonly root: string;
  private readonly mirror: string;
  private readonly cliConfig: string;
  private readonly schemasDir: string;
  private readonly standin?: string;
  private readonly schemaDocs = new Map<string, Record<string, unknown>>();
  /** Original local state path (resolved) -> state file inside the session. */
  private readonly statePaths = new Map<string, string>();

  constructor(private readonly options: OfflineOptions = {}) {
    this.schemasDir = resolve(options.schemasDir ?? providerSchemasDir());
    if ((options.providers ?? 'standin') === 'standin') this.standin = ensureStandin(options.log);
    this.root = mkdtempSync(join(tmpdir(), 'tf-offline-'));
    this.mirror = join(this.root, 'mirror');
    this.cliConfig = join(this.root, 'terraform.rc');
    mkdirSync(this.mirror);
    // Only the mirror: no `direct {}`, so a provider missing from it fails instead of downloading.
    writeFileSync(
      this.cliConfig,
      `disable_checkpoint = true\nprovider_installation {\n  filesystem_mirror {\n    path = ${JSON.stringify(this.mirror)}\n  }\n}\n`,
    );
  }

  dispose(): void {
    rmSync(this.root, { recursive: true, force: true });
  }

  /** The engine this session runs (TERRAFORM_BINARY_NAME, else terraform), from its own `version -json`. */
  engine(): FoundEngine {
    const binary = engineBinary();
    return parseEngineVersion(execFileSync(binary, ['version', '-json'], { encoding: 'utf8', env: this.terraformEnv() }), binary);
  }

  /** Environment for Terraform in this session: the mirror-only CLI config and no network. */
  terraformEnv(): NodeJS.ProcessEnv {
    if (!this.standin) return { ...process.env, CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1', TF_INPUT: '0' };
    const env: NodeJS.ProcessEnv = {};
    // none of the caller's TF_* settings (CLI args, data dir, plugin cache, workspace, tokens)
    // (TF_LOG* is kept for debugging)
    for (const [k, v] of Object.entries(process.env)) if ((!k.startsWith('TF_') || k.startsWith('TF_LOG')) && !/^(https?|no)_proxy$/i.test(k)) env[k] = v;
    const closed = 'http://127.0.0.1:9'; // any HTTP(S) request would fail at once
    return {
      ...env,
      TF_CLI_CONFIG_FILE: this.cliConfig,
      // `terraform providers lock` (which cdktf runs after a first init) ignores the CLI
      // config's provider_installation and asks the registry unless given a mirror.
      TF_CLI_ARGS_providers_lock: `-fs-mirror=${this.mirror}`,
      CHECKPOINT_DISABLE: '1',
      TF_IN_AUTOMATION: '1',
      TF_INPUT: '0',
      TF_STANDIN_COMPUTED: this.options.computed ?? 'null',
      ...(this.options.world ? { TF_STANDIN_WORLD: resolve(this.options.world) } : {}),
      HTTPS_PROXY: closed,
      HTTP_PROXY: closed,
      NO_PROXY: '',
    };
  }

  private run(args: string[], cwd: string): Promise<RunResult> {
    const engine = engineBinary();
    return new Promise((done, fail) => {
      execFile(engine, args, { cwd, env: this.terraformEnv(), maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
        if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') {
          const chosen = engine === 'terraform' ? 'The Terraform CLI (`terraform`) is not on PATH' : `The engine named by TERRAFORM_BINARY_NAME (\`${engine}\`) is not found`;
          fail(new Error(`${chosen}: the offline check runs the real init/validate. Install Terraform or OpenTofu ${TERRAFORM_VERSION_CONSTRAINT} (the stacks' required_version; CI runs Terraform ${TESTED_TERRAFORM_VERSION} and OpenTofu ${TESTED_OPENTOFU_VERSION}).`));
          return;
        }
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        done({ code, stdout, stderr });
      });
    });
  }

  /** The provider's entry of its schema file, in `terraform providers schema -json` format. */
  private schemaDocument(pin: ProviderPin, stack: string): Record<string, unknown> {
    const file = join(this.schemasDir, `${pin.type}-${pin.version}.json`);
    const cached = this.schemaDocs.get(file);
    if (cached) return cached;
    if (!existsSync(file)) throw new OfflineTerraformError(missingSchemaMessage(pin, this.schemasDir, stack));
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { format_version?: string; provider_schemas?: Record<string, unknown> };
    const entry = doc.provider_schemas?.[pin.address];
    if (!entry) throw new OfflineTerraformError(`${file} has no "${pin.address}" entry (it has: ${Object.keys(doc.provider_schemas ?? {}).join(', ') || 'none'}). ${missingSchemaMessage(pin, this.schemasDir, stack)}`);
    const one = { format_version: doc.format_version ?? '1.0', provider_schemas: { [pin.address]: entry } };
    this.schemaDocs.set(file, one);
    return one;
  }

  /**
   * Puts the stand-in for `pin` in the mirror: a package dir in the cache (binary hard-linked
   * or copied, named as Terraform expects, with schema.json beside it, since the stand-in
   * finds its schema next to its resolved executable), symlinked into the session's mirror,
   * under the pin's address and, for a public-registry provider, under the other public
   * registry's address too (Terraform's and OpenTofu's reading of a source without a host).
   */
  private addToMirror(pin: ProviderPin, stack: string): void {
    if (!this.standin) return; // real providers: Terraform installs them
    const registries = Object.values(DEFAULT_REGISTRY_HOST);
    const hosts = registries.includes(pin.hostname) ? registries : [pin.hostname];
    const platformDirs = hosts.map((host) => join(this.mirror, host, pin.namespace, pin.type, pin.version, goPlatform()));
    if (platformDirs.every((d) => existsSync(d))) return;
    const schema = JSON.stringify(this.schemaDocument(pin, stack));
    const digest = createHash('sha256').update(schema).digest('hex').slice(0, 12);
    const standin = this.standin;
    const pkg = join(dirname(standin), 'packages', `${pin.hostname}-${pin.namespace}-${pin.type}-${pin.version}-${digest}`);
    const exe = `terraform-provider-${pin.type}_v${pin.version}${process.platform === 'win32' ? '.exe' : ''}`;
    if (!existsSync(join(pkg, exe))) {
      mkdirSync(dirname(pkg), { recursive: true });
      const tmp = mkdtempSync(`${pkg}.tmp-`);
      writeFileSync(join(tmp, 'schema.json'), schema);
      try {
        linkSync(standin, join(tmp, exe));
      } catch {
        copyFileSync(standin, join(tmp, exe));
      }
      try {
        renameSync(tmp, pkg);
      } catch {
        rmSync(tmp, { recursive: true, force: true }); // another process made it first
      }
    }
    for (const platformDir of platformDirs) {
      if (existsSync(platformDir)) continue;
      mkdirSync(dirname(platformDir), { recursive: true });
      symlinkSync(pkg, platformDir, 'dir');
    }
  }

  /** The stack's work dir in this session (initialized after validateStack / planStack / applyStacks). */
  workDir(kind: 'validate' | 'run', stack: StackDir): string {
    const dir = join(this.root, kind, stack.name);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  private prepare(stack: StackDir, json: TfJson): ProviderPin[] {
    const pins = requiredProviders(json, stack.name);
    for (const pin of pins) this.addToMirror(pin, stack.name);
    return pins;
  }

  /**
   * Puts the stand-ins of every provider these stacks pin into the session's mirror, for
   * Terraform runs in the stacks' own directories (the cdktf CLI, `npm run deploy`) with
   * terraformEnv(): their `terraform init` then installs the stand-ins, offline.
   */
  mirrorProviders(stacks: StackDir[]): void {
    for (const stack of stacks) this.prepare(stack, readStackJson(stack).json);
  }

  /** `terraform init` then `terraform validate -json` in a copy of the stack's cdk.tf.json. */
  async validateStack(stack: StackDir): Promise<StackValidation> {
    const { text, json } = readStackJson(stack);
    const providers = this.prepare(stack, json);
    const dir = this.workDir('validate', stack);
    copyFileSync(join(stack.dir, 'cdk.tf.json'), join(dir, 'cdk.tf.json')); // never the developer's .terraform
    const mapper = new DiagnosticMapper(stack.name, text);
    const resources = Object.values(json.resource ?? {}).reduce((n, byName) => n + Object.keys(byName).length, 0);
    const t0 = Date.now();
    const init = await this.run(['init', '-backend=false', '-input=false', '-json'], dir);
    const t1 = Date.now();
    let diagnostics: StackDiagnostic[];
    let t2 = t1;
    if (init.code !== 0) {
      const found = uiDiagnostics(init.stdout).map((d) => mapper.map(d));
      diagnostics = found.length ? found : [mapper.map({ severity: 'error', summary: 'terraform init failed', detail: init.stderr || init.stdout })];
    } else {
      const validate = await this.run(['validate', '-json', '-no-color'], dir);
      t2 = Date.now();
      let report: { diagnostics?: TfDiagnostic[] };
      try {
        report = JSON.parse(validate.stdout) as { diagnostics?: TfDiagnostic[] };
      } catch {
        report = { diagnostics: [{ severity: 'error', summary: 'terraform validate failed', detail: validate.stderr || validate.stdout }] };
      }
      diagnostics = (report.diagnostics ?? []).map((d) => mapper.map(d));
    }
    const errors = diagnostics.filter((d) => d.severity === 'error');
    return { stack: stack.name, valid: errors.length === 0, diagnostics, errors, providers, resources, seconds: { init: (t1 - t0) / 1000, validate: (t2 - t1) / 1000 } };
  }

  async validate(stacks: StackDir[]): Promise<StackValidation[]> {
    return pool(stacks, this.options.concurrency ?? availableParallelism(), (s) => this.validateStack(s));
  }

  // -------------------------------------------------------------------------------------------
  // Plan / apply with a local backend inside the session

  private statePathOf(stack: StackDir, json: TfJson): string {
    if (json.terraform?.cloud) throw new OfflineTerraformError(`${stack.name}: uses Terraform Cloud (terraform.cloud block); it can be validated offline but not planned or applied`);
    const backends = Object.keys(json.terraform?.backend ?? {});
    if (backends.some((b) => b !== 'local')) throw new OfflineTerraformError(`${stack.name}: uses the ${backends.join(', ')} backend; only stacks with the local backend can be planned or applied offline`);
    const original = resolve(stack.dir, String(json.terraform?.backend?.local?.path ?? 'terraform.tfstate'));
    const mine = join(this.root, 'state', `${stack.name}.tfstate`);
    this.statePaths.set(original, mine);
    return mine;
  }

  /** The stack's JSON with its backend and every local terraform_remote_state moved into the session. */
  private rewrite(stack: StackDir, json: TfJson): TfJson {
    const copy = JSON.parse(JSON.stringify(json)) as TfJson;
    const state = this.statePathOf(stack, json);
    copy.terraform = { ...copy.terraform, backend: { local: { path: state } } };
    for (const [name, remote] of Object.entries(copy.data?.terraform_remote_state ?? {})) {
      const where = `${stack.name}: data.terraform_remote_state.${name}`;
      if (remote.backend !== 'local') throw new OfflineTerraformError(`${where} reads the ${String(remote.backend)} backend; only local remote state can be read offline`);
      const config = (remote.config ?? {}) as Record<string, unknown>;
      const original = resolve(stack.dir, String(config.path ?? 'terraform.tfstate'));
      const mapped = this.statePaths.get(original);
      if (!mapped) throw new OfflineTerraformError(`${where} reads ${original}, the state of no stack applied in this session: apply its producer first (applyStacks in dependency order)`);
      remote.config = { ...config, path: mapped };
    }
    return copy;
  }

  private async initRun(stack: StackDir): Promise<{ dir: string; mapper: DiagnosticMapper }> {
    const { json } = readStackJson(stack);
    this.prepare(stack, json);
    const text = JSON.stringify(this.rewrite(stack, json), null, 2);
    const dir = this.workDir('run', stack);
    writeFileSync(join(dir, 'cdk.tf.json'), text);
    mkdirSync(join(this.root, 'state'), { recursive: true });
    const mapper = new DiagnosticMapper(stack.name, text);
    await this.checked(['init', '-input=false', '-json', '-reconfigure'], dir, mapper, `${stack.name}: terraform init failed`);
    return { dir, mapper };
  }

  private async checked(args: string[], dir: string, mapper: DiagnosticMapper, what: string): Promise<RunResult> {
    const result = await this.run(args, dir);
    if (result.code !== 0) {
      const diags = uiDiagnostics(result.stdout)
        .filter((d) => d.severity === 'error')
        .map((d) => mapper.map(d));
      throw new OfflineTerraformError(diags.length ? what : `${what}\n${result.stderr || result.stdout}`, diags);
    }
    return result;
  }

  /** Applies each stack in turn (give them in dependency order); consumers read the producers' state. */
  async applyStacks(stacks: StackDir[]): Promise<void> {
    for (const stack of stacks) this.statePathOf(stack, readStackJson(stack).json);
    for (const stack of stacks) {
      const { dir, mapper } = await this.initRun(stack);
      await this.checked(['apply', '-input=false', '-auto-approve', '-json'], dir, mapper, `${stack.name}: terraform apply failed`);
    }
  }

  /** Destroys each stack in turn (give them in dependency order; consumers go first). */
  async destroyStacks(stacks: StackDir[]): Promise<void> {
    for (const stack of [...stacks].reverse()) {
      const { dir, mapper } = await this.initRun(stack);
      await this.checked(['apply', '-destroy', '-input=false', '-auto-approve', '-json'], dir, mapper, `${stack.name}: terraform apply -destroy failed`);
    }
  }

  /** Plans a stack against the session's state; returns `terraform show -json` of the plan. */
  async planStack(stack: StackDir, options: { destroy?: boolean } = {}): Promise<TerraformPlan> {
    const { dir, mapper } = await this.initRun(stack);
    await this.checked(['plan', '-input=false', '-json', '-out=plan.tfplan', ...(options.destroy ? ['-destroy'] : [])], dir, mapper, `${stack.name}: terraform plan failed`);
    const show = await this.checked(['show', '-json', 'plan.tfplan'], dir, mapper, `${stack.name}: terraform show failed`);
    return JSON.parse(show.stdout) as TerraformPlan;
  }

  /** The stack's local state file in this session (Terraform keeps its backup beside it, `<file>.backup`). */
  stateFile(stack: StackDir): string {
    return join(this.root, 'state', `${stack.name}.tfstate`);
  }

  /** The saved plan the last planStack of this stack wrote (binary; read it with `terraform show -json`). */
  planFile(stack: StackDir): string {
    return join(this.workDir('run', stack), 'plan.tfplan');
  }

  /** `terraform output -json` of the stack's state in this session (after applyStacks). */
  async outputs(stack: StackDir): Promise<Record<string, { value: unknown; type: unknown; sensitive: boolean }>> {
    const dir = this.workDir('run', stack);
    const mapper = new DiagnosticMapper(stack.name, '{}');
    const out = await this.checked(['output', '-json'], dir, mapper, `${stack.name}: terraform output failed`);
    return JSON.parse(out.stdout) as Record<string, { value: unknown; type: unknown; sensitive: boolean }>;
  }

  /** `terraform show -json` of the stack's state in this session (after applyStacks). */
  async showState(stack: StackDir): Promise<TerraformState> {
    const dir = this.workDir('run', stack);
    const mapper = new DiagnosticMapper(stack.name, '{}');
    const show = await this.checked(['show', '-json'], dir, mapper, `${stack.name}: terraform show failed`);
    return JSON.parse(show.stdout) as TerraformState;
  }
}

/** Validates stacks (a cdktf output dir, or a list) in a throw-away session. */
export async function validateStacks(input: string | StackDir[], options: OfflineOptions = {}): Promise<StackValidation[]> {
  const stacks = typeof input === 'string' ? stacksOf(input) : input;
  const session = new OfflineTerraform(options);
  try {
    return await session.validate(stacks);
  } finally {
    session.dispose();
  }
}

/** One line per stack: what was checked and how long it took. */
export function summaryLine(r: StackValidation): string {
  const providers = r.providers.map((p) => `${p.type} ${p.version}`).join(', ') || 'no providers';
  const warnings = r.diagnostics.length - r.errors.length;
  return `${r.stack}: ${r.valid ? 'valid' : `${r.errors.length} error(s)`} (${r.resources} resources; ${providers}${warnings ? `; ${warnings} warning(s)` : ''}; init ${r.seconds.init.toFixed(1)}s, validate ${r.seconds.validate.toFixed(1)}s)`;
}

const USAGE = 'usage: ts-node --transpile-only checks/terraform-offline.ts validate [cdktf.out] [--providers standin|registry] [--schemas-out <dir>]';

/**
 * CLI. Offline (default): stand-ins with the schemas of PROVIDER_SCHEMAS_DIR. With
 * `--providers registry` (CI, with network) the same checks run against the real providers,
 * and `--schemas-out` then writes their schemas for the offline check to use.
 */
async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const flag = (name: string) => {
    const i = rest.indexOf(name);
    return i >= 0 ? rest.splice(i, 2)[1] : undefined;
  };
  const providers = (flag('--providers') ?? 'standin') as OfflineOptions['providers'];
  const schemasOut = flag('--schemas-out');
  const outdir = rest[0] ?? 'cdktf.out';
  if (command !== 'validate' || (providers !== 'standin' && providers !== 'registry') || rest.length > 1) {
    console.error(USAGE);
    return 2;
  }
  const stacks = stacksOf(resolve(outdir));
  const session = new OfflineTerraform({ providers, log: (l) => console.error(l) });
  try {
    console.log(`engine: ${describeEngine(session.engine(), engineBinary())}`);
    const results = await session.validate(stacks);
    const failed = results.filter((r) => !r.valid);
    for (const r of results) {
      if (r.valid) console.log(summaryLine(r));
      for (const d of r.diagnostics) (d.severity === 'error' ? console.error : console.log)(d.line);
    }
    if (failed.length) {
      console.error(`${basename(engineBinary())} validate (${providers === 'registry' ? 'real providers' : 'offline'}) failed for ${failed.map((r) => r.stack).join(', ')}`);
      return 1;
    }
    if (schemasOut) for (const file of writeProviderSchemas(resolve(schemasOut), stacks.map((st) => session.workDir('validate', st)))) console.log(`schema: ${file}`);
    return 0;
  } finally {
    session.dispose();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
