import { readFileSync } from 'node:fs';
import { formatAttributePath, type JsonPath } from './terraform-diagnostics';

/**
 * Finds secrets where they must never be: Terraform state files (and their `.backup`),
 * `terraform show -json` of saved plans and states, and `terraform output -json`. Each
 * document is parsed as what it is, so a finding names the resource address (or output or
 * variable) and the attribute path; a raw-text pass over the same bytes then catches any
 * occurrence the structured pass did not attribute. Findings never carry the secret itself.
 *
 * Looked for: each given secret value, verbatim (also JSON-escaped as Go and JS write it) or
 * base64-encoded (alone or inside a longer base64 text, standard or URL alphabet; base64
 * strings are also decoded and searched), and every PEM private-key block.
 */

/** A secret value and a name for it (reports show the name, never the value). */
export interface NamedSecret {
  name: string;
  value: string;
}

/** A path to read, or a document already in hand (text, or parsed JSON). */
export type ScanInput = string | { file: string; text: string } | { file: string; json: unknown };

export type FindingKind = 'secret' | 'base64' | 'pem-private-key';

export interface SecretFinding {
  file: string;
  /** Where in the document: `state`, `planned_values`, `resource_changes.after`, `outputs`, `variables`, `text`… */
  section: string;
  /** Resource address, e.g. `kubernetes_secret_v1.es-writer_credentials_1234`, `module.m.random_password.x[0]`. */
  address?: string;
  /** Output name, when found in an output's value. */
  output?: string;
  /** Input variable name, when found in a plan's variables. */
  variable?: string;
  /** Path inside the resource's attributes (`data.password`, `values[0]`), the output's value, or the document; `line 12` for raw text. */
  path: string;
  kind: FindingKind;
  /** The secret's name, or the PEM block's label (`RSA PRIVATE KEY`). */
  what: string;
}

// ---------------------------------------------------------------------------------------------
// What to look for

const PEM_PRIVATE_KEY = /-----BEGIN ((?:[A-Z0-9]+ )*PRIVATE KEY)-----/g;
/** A string that may be base64 (checked by decoding). */
const BASE64_TEXT = /^[A-Za-z0-9+/_\-\s]{12,}={0,2}$/;
/** Shorter base64 needles match by chance. */
const MIN_NEEDLE = 8;

interface Needle {
  text: string;
  kind: 'secret' | 'base64';
  secret: NamedSecret;
}

/** JSON string escapes as JS and Go (which also escapes <, > and &) write them. */
function escapedForms(value: string): string[] {
  const js = JSON.stringify(value).slice(1, -1);
  const go = js.replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  return [...new Set([value, js, go])];
}

/**
 * Base64 texts found in any base64 encoding of any byte string containing `value`: for each
 * of the three alignments, the characters that depend on the value's bytes only.
 */
function base64Forms(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const forms = new Set<string>();
  for (const pad of [0, 1, 2]) {
    const encoded = Buffer.concat([Buffer.alloc(pad), bytes]).toString('base64');
    const whole = Math.floor((pad + bytes.length) / 3) * 4;
    const needle = encoded.slice(pad ? 4 : 0, whole);
    if (needle.length < MIN_NEEDLE) continue;
    forms.add(needle);
    forms.add(needle.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return [...forms];
}

function needlesOf(secrets: NamedSecret[]): Needle[] {
  const needles: Needle[] = [];
  for (const secret of secrets) {
    needles.push({ text: secret.value, kind: 'secret', secret });
    for (const text of base64Forms(secret.value)) needles.push({ text, kind: 'base64', secret });
  }
  return needles;
}

function count(haystack: string, needle: string): number {
  let n = 0;
  for (let i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + needle.length)) n++;
  return n;
}

function decodeBase64(text: string): string | undefined {
  if (!BASE64_TEXT.test(text)) return undefined;
  const compact = text.replace(/\s/g, '');
  if (compact.length % 4 === 1) return undefined;
  const decoded = Buffer.from(compact.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
  return decoded.includes('\uFFFD') ? undefined : decoded; // not text
}

// ---------------------------------------------------------------------------------------------
// Structured pass

interface Where {
  section: string;
  address?: string;
  output?: string;
  variable?: string;
}

class Scan {
  readonly findings: SecretFinding[] = [];
  /** Direct occurrences the structured pass attributed, per needle text (PEM: per header). */
  readonly attributed = new Map<string, number>();
  private readonly seen = new Set<string>();

  constructor(
    readonly file: string,
    private readonly needles: Needle[],
  ) {}

  private add(where: Where, path: JsonPath, kind: FindingKind, what: string): void {
    const finding: SecretFinding = { file: this.file, ...where, path: formatAttributePath(path), kind, what };
    const key = JSON.stringify(finding);
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.findings.push(finding);
  }

  private tally(text: string, n: number): void {
    if (n) this.attributed.set(text, (this.attributed.get(text) ?? 0) + n);
  }

  /** One string of the document (a value or an object key). */
  private check(s: string, where: Where, path: JsonPath): void {
    for (const needle of this.needles) {
      const n = count(s, needle.text);
      this.tally(needle.text, n);
      if (n) this.add(where, path, needle.kind, needle.secret.name);
    }
    for (const m of s.matchAll(PEM_PRIVATE_KEY)) {
      this.tally(m[0], 1);
      this.add(where, path, 'pem-private-key', m[1]);
    }
    const decoded = decodeBase64(s);
    if (decoded === undefined) return;
    for (const needle of this.needles) if (needle.kind === 'secret' && decoded.includes(needle.text)) this.add(where, path, 'base64', needle.secret.name);
    for (const m of decoded.matchAll(PEM_PRIVATE_KEY)) this.add(where, path, 'pem-private-key', `${m[1]} (base64)`);
  }

  /** Every string (and object key) of `value`, with its path from `path`. */
  walk(value: unknown, where: Where, path: JsonPath = []): void {
    if (typeof value === 'string') this.check(value, where, path);
    else if (Array.isArray(value)) value.forEach((v, i) => this.walk(v, where, [...path, i]));
    else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        this.check(k, where, [...path, k]);
        this.walk(v, where, [...path, k]);
      }
    }
  }

  /** The keys of `doc` not in `handled` (so that no part of a document goes unscanned). */
  rest(doc: Record<string, unknown>, handled: string[], where: Where, prefix: JsonPath = []): void {
    for (const [k, v] of Object.entries(doc)) if (!handled.includes(k)) this.walk(v, where, [...prefix, k]);
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);
const objects = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : []);

/** Outputs as `{ name: { value, type, sensitive } }` (state v4, show -json, output -json). */
function scanOutputs(scan: Scan, outputs: unknown, section: string): void {
  if (!isObj(outputs)) return;
  for (const [output, o] of Object.entries(outputs)) {
    if (!isObj(o)) {
      scan.walk(o, { section, output });
      continue;
    }
    scan.walk(o.value, { section, output });
    scan.rest(o, ['value'], { section: `${section} (not the value)`, output });
  }
}

/** `values` of `terraform show -json` (state, planned_values, prior_state.values). */
function scanModuleValues(scan: Scan, values: unknown, section: string): void {
  if (!isObj(values)) return;
  scanOutputs(scan, values.outputs, `${section}.outputs`);
  const modules: Obj[] = isObj(values.root_module) ? [values.root_module] : [];
  while (modules.length) {
    const mod = modules.pop()!;
    for (const r of objects(mod.resources)) {
      const address = String(r.address);
      scan.walk(r.values, { section, address });
      scan.rest(r, ['values', 'address'], { section: `${section} (not the values)`, address });
    }
    modules.push(...objects(mod.child_modules));
  }
}

/** State file, format version 4. */
function scanStateV4(scan: Scan, doc: Obj): void {
  scanOutputs(scan, doc.outputs, 'outputs');
  for (const r of objects(doc.resources)) {
    const base = `${r.module ? `${String(r.module)}.` : ''}${r.mode === 'data' ? 'data.' : ''}${String(r.type)}.${String(r.name)}`;
    for (const inst of objects(r.instances)) {
      const key = inst.index_key;
      let address = key === undefined ? base : `${base}[${JSON.stringify(key)}]`;
      if (inst.deposed) address += ` (deposed ${String(inst.deposed)})`;
      scan.walk(inst.attributes, { section: 'state', address });
      scan.walk(inst.attributes_flat, { section: 'state', address });
      scan.rest(inst, ['attributes', 'attributes_flat'], { section: 'state (instance, not its attributes)', address });
    }
    scan.rest(r, ['instances'], { section: 'state (resource, not its instances)', address: base });
  }
  scan.rest(doc, ['outputs', 'resources'], { section: 'state' });
}

/** `terraform show -json <plan>`. */
function scanPlan(scan: Scan, doc: Obj): void {
  if (isObj(doc.variables)) for (const [variable, v] of Object.entries(doc.variables)) scan.walk(isObj(v) ? v.value : v, { section: 'variables', variable });
  scanModuleValues(scan, doc.planned_values, 'planned_values');
  for (const section of ['resource_changes', 'resource_drift']) {
    for (const rc of objects(doc[section])) {
      const address = String(rc.address);
      const change = isObj(rc.change) ? rc.change : {};
      for (const [k, v] of Object.entries(change)) scan.walk(v, { section: `${section}.${k}`, address });
      scan.rest(rc, ['change', 'address'], { section: `${section} (not the change)`, address });
    }
  }
  if (isObj(doc.output_changes)) {
    for (const [output, oc] of Object.entries(doc.output_changes)) {
      if (isObj(oc)) for (const [k, v] of Object.entries(oc)) scan.walk(v, { section: `output_changes.${k}`, output });
    }
  }
  if (isObj(doc.prior_state)) {
    scanModuleValues(scan, doc.prior_state.values, 'prior_state');
    scan.rest(doc.prior_state, ['values'], { section: 'prior_state' }, ['prior_state']);
  }
  if (isObj(doc.configuration)) {
    const modules: Obj[] = isObj(doc.configuration.root_module) ? [doc.configuration.root_module] : [];
    while (modules.length) {
      const mod = modules.pop()!;
      for (const r of objects(mod.resources)) scan.walk(r, { section: 'configuration', address: String(r.address) });
      scanOutputs(scan, mod.outputs, 'configuration.outputs');
      scan.rest(mod, ['resources', 'outputs', 'module_calls'], { section: 'configuration' }, ['configuration']);
      for (const call of Object.values(isObj(mod.module_calls) ? mod.module_calls : {})) if (isObj(call) && isObj(call.module)) modules.push(call.module);
    }
    scan.rest(doc.configuration, ['root_module'], { section: 'configuration' }, ['configuration']);
  }
  scan.rest(doc, ['variables', 'planned_values', 'resource_changes', 'resource_drift', 'output_changes', 'prior_state', 'configuration'], { section: 'plan' });
}

const isOutputJson = (doc: Obj) => Object.keys(doc).length > 0 && Object.values(doc).every((o) => isObj(o) && 'value' in o && 'sensitive' in o);

function scanDocument(scan: Scan, doc: unknown): void {
  if (!isObj(doc)) return scan.walk(doc, { section: 'json' });
  if (typeof doc.version === 'number' && Array.isArray(doc.resources)) return scanStateV4(scan, doc);
  if ('format_version' in doc && ['resource_changes', 'planned_values', 'prior_state', 'output_changes', 'configuration', 'variables'].some((k) => k in doc)) return scanPlan(scan, doc);
  if ('format_version' in doc && 'values' in doc) {
    scanModuleValues(scan, doc.values, 'state');
    return scan.rest(doc, ['values'], { section: 'state' });
  }
  if (isOutputJson(doc)) return scanOutputs(scan, doc, 'outputs');
  scan.walk(doc, { section: 'json' });
}

// ---------------------------------------------------------------------------------------------
// Raw-text pass

function linesOf(text: string, needle: string): number[] {
  const lines: number[] = [];
  for (let i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + needle.length)) lines.push(text.slice(0, i).split('\n').length);
  return lines;
}

/** Occurrences in the raw text beyond those the structured pass attributed: one finding per needle. */
function unattributed(scan: Scan, text: string, needles: Needle[]): SecretFinding[] {
  const findings: SecretFinding[] = [];
  const report = (forms: string[], attributedKey: string, kind: FindingKind, what: string) => {
    const lines = forms.flatMap((form) => linesOf(text, form));
    if (lines.length > (scan.attributed.get(attributedKey) ?? 0)) {
      const unique = [...new Set(lines)].sort((a, b) => a - b);
      findings.push({ file: scan.file, section: 'text', path: `line${unique.length > 1 ? 's' : ''} ${unique.join(', ')}`, kind, what });
    }
  };
  for (const needle of needles) report(needle.kind === 'secret' ? escapedForms(needle.text) : [needle.text], needle.text, needle.kind, needle.secret.name);
  for (const header of new Set([...text.matchAll(PEM_PRIVATE_KEY)].map((m) => m[0]))) report([header], header, 'pem-private-key', header.slice(11, -5));
  return findings;
}

// ---------------------------------------------------------------------------------------------
// API

function named(secrets: (string | NamedSecret)[]): NamedSecret[] {
  return secrets.map((s, i) => (typeof s === 'string' ? { name: `secret #${i + 1}`, value: s } : s)).filter((s) => s.value.length > 0);
}

/**
 * Every occurrence of any of `secrets` (strings are named `secret #<n>`; empty values are
 * ignored) and of any PEM private-key block in `inputs`: state files (v4), `terraform show
 * -json` of plans or states, `terraform output -json`, other JSON (generic paths) or any text
 * (raw pass only). A path input is read from disk (it must exist).
 */
export function scanForSecrets(secrets: (string | NamedSecret)[], inputs: ScanInput[]): SecretFinding[] {
  const needles = needlesOf(named(secrets));
  const findings: SecretFinding[] = [];
  for (const input of inputs) {
    const file = typeof input === 'string' ? input : input.file;
    const scan = new Scan(file, needles);
    let text: string;
    if (typeof input !== 'string' && 'json' in input) {
      text = JSON.stringify(input.json, null, 2);
      scanDocument(scan, input.json);
    } else {
      text = typeof input === 'string' ? readFileSync(input, 'utf8') : input.text;
      let doc: unknown;
      let parsed = true;
      try {
        doc = JSON.parse(text);
      } catch {
        parsed = false;
      }
      if (parsed) scanDocument(scan, doc);
    }
    findings.push(...scan.findings, ...unattributed(scan, text, needles));
  }
  return findings;
}

const KIND: Record<FindingKind, (what: string) => string> = {
  secret: (what) => `holds ${what}`,
  base64: (what) => `holds ${what} base64-encoded`,
  'pem-private-key': (what) => `holds a PEM private key (${what})`,
};

/** `file: address|output.x|var.x: attribute path: what [section]`, never the secret itself. */
export function formatFinding(f: SecretFinding): string {
  const owner = f.address ?? (f.output !== undefined ? `output.${f.output}` : f.variable !== undefined ? `var.${f.variable}` : f.section === 'text' ? 'unattributed text' : 'document');
  return `${f.file}: ${owner}: ${f.path || '(whole value)'}: ${KIND[f.kind](f.what)} [${f.section}]`;
}

/** One line per finding. */
export function formatFindings(findings: SecretFinding[]): string {
  return findings.map(formatFinding).join('\n');
}
