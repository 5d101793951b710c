/**
 * Terraform diagnostics mapped back to what a reader of cdk.tf.json needs: the stack, the
 * Terraform address (resource, data source, provider, local…) and the attribute path. Terraform
 * reports byte ranges in the JSON file; jsonc-parser turns them into JSON paths.
 */
import { findNodeAtOffset, getNodePath, parseTree, type Node as JsonNode } from 'jsonc-parser';

// ---------------------------------------------------------------------------------------------
// Terraform JSON (only the parts used here)

export type JsonPath = (string | number)[];

export interface TfJson {
  terraform?: { required_providers?: unknown; backend?: Record<string, Record<string, unknown>>; cloud?: unknown; [k: string]: unknown };
  data?: Record<string, Record<string, Record<string, unknown>>>;
  resource?: Record<string, Record<string, unknown>>;
  [k: string]: unknown;
}

interface TfPos {
  line: number;
  column: number;
  byte: number;
}

/** A diagnostic as printed by `terraform validate -json` and the `-json` UI of init/plan/apply. */
export interface TfDiagnostic {
  severity: 'error' | 'warning';
  summary: string;
  detail?: string;
  address?: string;
  range?: { filename: string; start: TfPos; end: TfPos };
}

export interface StackDiagnostic {
  stack: string;
  severity: 'error' | 'warning';
  summary: string;
  detail: string;
  /** e.g. `helm_release.collector_release_1A2B3C4D`, `data.terraform_remote_state.x`, `provider.kubernetes`. */
  address?: string;
  /** Path inside the block, JSON form: `values[0]`, `spec[0].template[0].spec[0].container[0].command[2]`. */
  attributePath?: string;
  /** Full JSON path in cdk.tf.json. */
  jsonPath?: JsonPath;
  /** One line naming stack, address, attribute path, summary and detail. */
  line: string;
}

// ---------------------------------------------------------------------------------------------
// Diagnostics: Terraform's byte range -> JSON path -> address + attribute path

const IDENT = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export function formatAttributePath(path: JsonPath): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : IDENT.test(p) ? (i === 0 ? p : `.${p}`) : `[${JSON.stringify(p)}]`)).join('');
}

/** Splits a path in cdk.tf.json into the Terraform address it belongs to and the path inside it. */
export function addressOf(path: JsonPath, json?: TfJson): { address?: string; attributePath: JsonPath } {
  const [kind, a, b, ...rest] = path;
  const s = (x: string | number | undefined) => (x === undefined ? undefined : String(x));
  switch (kind) {
    case 'resource':
      return b === undefined ? { address: s(a), attributePath: [] } : { address: `${a}.${b}`, attributePath: rest };
    case 'data':
      return b === undefined ? { address: a === undefined ? 'data' : `data.${a}`, attributePath: [] } : { address: `data.${a}.${b}`, attributePath: rest };
    case 'provider': {
      // cdktf writes `provider: { kubernetes: [ {...} ] }`; an alias names the configuration
      const config = typeof b === 'number' ? (json?.provider as Record<string, { alias?: string }[]> | undefined)?.[String(a)]?.[b] : undefined;
      const address = a === undefined ? 'provider' : `provider.${a}${config?.alias ? `.${config.alias}` : ''}`;
      return { address, attributePath: typeof b === 'number' ? rest : [b, ...rest].filter((x) => x !== undefined) };
    }
    case 'output':
    case 'module':
      return { address: a === undefined ? kind : `${kind}.${a}`, attributePath: [b, ...rest].filter((x) => x !== undefined) };
    case 'variable':
      return { address: a === undefined ? kind : `var.${a}`, attributePath: [b, ...rest].filter((x) => x !== undefined) };
    case 'locals':
      return { address: a === undefined ? kind : `local.${a}`, attributePath: [b, ...rest].filter((x) => x !== undefined) };
    case undefined:
      return { attributePath: [] };
    default:
      return { address: String(kind), attributePath: path.slice(1) };
  }
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** Maps Terraform diagnostics on a cdk.tf.json text to lines naming stack, address and attribute. */
export class DiagnosticMapper {
  private tree: JsonNode | undefined;
  private readonly bytes: Buffer;
  private json: TfJson | undefined;

  constructor(
    private readonly stack: string,
    private readonly text: string,
    private readonly filename = 'cdk.tf.json',
  ) {
    this.bytes = Buffer.from(text, 'utf8');
  }

  map(d: TfDiagnostic): StackDiagnostic {
    let address = d.address;
    let attributePath: string | undefined;
    let jsonPath: JsonPath | undefined;
    if (d.range && d.range.filename.replace(/^.*[\\/]/, '') === this.filename) {
      this.tree ??= parseTree(this.text);
      this.json ??= JSON.parse(this.text) as TfJson;
      // Terraform counts UTF-8 bytes, jsonc-parser UTF-16 code units
      const offset = this.bytes.subarray(0, d.range.start.byte).toString('utf8').length;
      const node = this.tree && findNodeAtOffset(this.tree, offset);
      if (node) {
        jsonPath = getNodePath(node);
        const split = addressOf(jsonPath, this.json);
        address = split.address ?? address;
        attributePath = split.attributePath.length ? formatAttributePath(split.attributePath) : undefined;
      }
    }
    const detail = oneLine(d.detail ?? '');
    const parts = [this.stack, address, attributePath, d.severity === 'warning' ? `warning: ${d.summary}` : d.summary, detail].filter((p): p is string => !!p);
    return { stack: this.stack, severity: d.severity, summary: d.summary, detail, address, attributePath, jsonPath, line: parts.join(': ') };
  }
}

/** Lines of `-json` UI output that carry diagnostics. */
export function uiDiagnostics(stdout: string): TfDiagnostic[] {
  const out: TfDiagnostic[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const msg = JSON.parse(line) as { type?: string; diagnostic?: TfDiagnostic };
      if (msg.type === 'diagnostic' && msg.diagnostic) out.push(msg.diagnostic);
    } catch {
      // not a JSON message
    }
  }
  return out;
}

