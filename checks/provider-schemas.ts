import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * Produces the provider schema files the offline Terraform check reads (PROVIDER_SCHEMAS_DIR):
 * one `<type>-<version>.json` per provider, holding only that provider's entry of
 * `terraform providers schema -json`. Run where the real providers are installed (CI, with
 * network), in synthesized stack dirs after `terraform init -backend=false`:
 *
 *   ts-node --transpile-only checks/provider-schemas.ts <outdir> <stackdir...>
 */

/** `terraform providers schema -json` (format_version 1.0). */
export interface SchemaDocument {
  format_version: string;
  provider_schemas: Record<string, unknown>;
}

/** `terraform version -json`: provider_selections maps provider address to selected version. */
export interface VersionDocument {
  terraform_version?: string;
  provider_selections?: Record<string, string>;
}

export interface SchemaFile {
  /** `<type>-<version>.json` */
  file: string;
  address: string;
  version: string;
  document: SchemaDocument;
}

/** `registry.terraform.io/hashicorp/kubernetes` -> its parts. */
export function parseProviderAddress(address: string): { hostname: string; namespace: string; type: string } {
  const parts = address.split('/');
  if (parts.length !== 3 || parts.some((p) => !p)) throw new Error(`not a provider address (hostname/namespace/type): "${address}"`);
  const [hostname, namespace, type] = parts;
  return { hostname, namespace, type };
}

export function schemaFileName(address: string, version: string): string {
  return `${parseProviderAddress(address).type}-${version}.json`;
}

/**
 * One file per provider with a selected version. Providers without a selection (Terraform's
 * built-in `terraform.io/builtin/terraform`) are left out; a selection without a schema is an error.
 */
export function splitSchemas(schemas: SchemaDocument, versions: VersionDocument, where = 'stack'): SchemaFile[] {
  const selections = versions.provider_selections ?? {};
  const missing = Object.keys(selections).filter((a) => !(a in schemas.provider_schemas));
  if (missing.length) throw new Error(`${where}: terraform version -json selects ${missing.join(', ')}, but terraform providers schema -json has no schema for it (was terraform init run?)`);
  return Object.keys(schemas.provider_schemas)
    .filter((address) => address in selections)
    .sort()
    .map((address) => {
      const version = selections[address];
      return { file: schemaFileName(address, version), address, version, document: { format_version: schemas.format_version, provider_schemas: { [address]: schemas.provider_schemas[address] } } };
    });
}

/** Files of several stacks, one per name; the same provider and version must have the same schema. */
export function mergeSchemaFiles(groups: SchemaFile[][]): SchemaFile[] {
  const byFile = new Map<string, SchemaFile>();
  for (const f of groups.flat()) {
    const seen = byFile.get(f.file);
    if (!seen) byFile.set(f.file, f);
    else if (seen.address !== f.address) throw new Error(`${f.file} would hold two providers: ${seen.address} and ${f.address}`);
    else if (serialize(seen) !== serialize(f)) throw new Error(`${f.address} ${f.version} has two different schemas in different stacks`);
  }
  return [...byFile.values()].sort((a, b) => a.file.localeCompare(b.file));
}

/** File content: compact, as `terraform providers schema -json` prints it. */
export function serialize(f: SchemaFile): string {
  return JSON.stringify(f.document);
}

function terraformJson<T>(args: string[], cwd: string, env: NodeJS.ProcessEnv): T {
  try {
    return JSON.parse(execFileSync('terraform', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 * 1024 * 1024, env: { ...env, CHECKPOINT_DISABLE: '1' } })) as T;
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr;
    throw new Error(`terraform ${args.join(' ')} in ${cwd} failed${stderr ? `:\n${stderr}` : `: ${String(err)}`}`);
  }
}

/**
 * Schemas and selected versions of a stack dir where `terraform init -backend=false` ran.
 * `terraform providers schema` insists on an initialized backend, so it runs in a temp dir
 * holding only the stack's required_providers, its lock file and its installed providers.
 */
export function readStackSchemas(dir: string, env: NodeJS.ProcessEnv = process.env): { schemas: SchemaDocument; versions: VersionDocument } {
  const lock = join(dir, '.terraform.lock.hcl');
  const providers = join(dir, '.terraform', 'providers');
  if (!existsSync(lock) || !existsSync(providers)) throw new Error(`${dir}: no installed providers; run \`terraform init -backend=false\` there first`);
  const json = JSON.parse(readFileSync(join(dir, 'cdk.tf.json'), 'utf8')) as { terraform?: { required_providers?: unknown } };
  const tmp = mkdtempSync(join(tmpdir(), 'provider-schemas-'));
  try {
    writeFileSync(join(tmp, 'main.tf.json'), JSON.stringify({ terraform: { required_providers: json.terraform?.required_providers ?? {} } }));
    copyFileSync(lock, join(tmp, '.terraform.lock.hcl'));
    mkdirSync(join(tmp, '.terraform'));
    symlinkSync(resolve(providers), join(tmp, '.terraform', 'providers'), 'dir');
    return { schemas: terraformJson<SchemaDocument>(['providers', 'schema', '-json'], tmp, env), versions: terraformJson<VersionDocument>(['version', '-json'], tmp, env) };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Reads the schemas of initialized stack dirs and writes the files; returns their paths. */
export function writeProviderSchemas(outdir: string, stackDirs: string[], env: NodeJS.ProcessEnv = process.env): string[] {
  const groups = stackDirs.map((dir) => {
    const { schemas, versions } = readStackSchemas(dir, env);
    return splitSchemas(schemas, versions, dir);
  });
  mkdirSync(outdir, { recursive: true });
  return mergeSchemaFiles(groups).map((f) => {
    const path = join(outdir, f.file);
    const content = serialize(f);
    if (!existsSync(path) || readFileSync(path, 'utf8') !== content) writeFileSync(path, content);
    return path;
  });
}

if (require.main === module) {
  const [outdir, ...stackDirs] = process.argv.slice(2);
  if (!outdir || !stackDirs.length) {
    console.error('usage: ts-node --transpile-only checks/provider-schemas.ts <outdir> <stackdir...>');
    process.exit(2);
  }
  try {
    for (const path of writeProviderSchemas(resolve(outdir), stackDirs.map((d) => resolve(d)))) console.log(path);
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}
