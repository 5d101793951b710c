/**
 * Reading synthesized stacks (cdk.tf.json) the way Terraform will: every string is a template
 * whose escapes (`$${`, `%%{`) are literal text and whose interpolations are resolved from the
 * synthesized JSON where their value is known there (locals, resource arguments, other stacks'
 * outputs through remote state); values only known after apply (hashes, generated names)
 * become placeholders of the same type. For tools that inspect what a resource will receive:
 * the footprint, the Helm values checks.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { readManifest } from './stack-order';

type Json = Record<string, any>;

export interface StackJson {
  resource?: Record<string, Record<string, any>>;
  locals?: Record<string, unknown>;
  output?: Record<string, { value: unknown }>;
}

/** Every stack of a cdktf output directory, by name (from its manifest.json). */
export function readStacks(outdir: string): Record<string, StackJson> {
  return Object.fromEntries(readManifest(outdir).map((s) => [s.name, JSON.parse(readFileSync(join(outdir, s.workingDirectory, 'cdk.tf.json'), 'utf8')) as StackJson]));
}

/**
 * The values documents of a helm_release, parsed, in the order Helm merges them: locals read,
 * template escapes read, and every other reference kept as written (`${…}`), so a reader sees
 * what is wired to what.
 */
export function helmValueDocuments(json: StackJson, release: { values?: string[] }): any[] {
  return (release.values ?? []).map((v) => parse(resolveTemplate(v, 'stack', { stack: json }, 'keep')) ?? {});
}

/**
 * A Terraform template string as Terraform evaluates it, with the interpolations resolved from
 * the synthesized JSON (or typed placeholders). Our stacks use no `%{…}` directives.
 */
export function resolveTemplate(template: string, stack: string, stacks: Record<string, StackJson>, unknown: 'placeholder' | 'keep' = 'placeholder'): string {
  let out = '';
  for (let i = 0; i < template.length; ) {
    if (template.startsWith('$${', i) || template.startsWith('%%{', i)) {
      out += template[i + 1] + '{';
      i += 3;
    } else if (template.startsWith('${', i)) {
      const end = closingBrace(template, i + 2);
      const expression = template.slice(i + 2, end).trim();
      out += unknown === 'keep' && !/^local\.[\w-]+$/.test(expression) ? `\${${expression}}` : resolveExpression(expression, stack, stacks, unknown);
      i = end + 1;
    } else if (template.startsWith('%{', i)) {
      throw new Error(`${stack}: template directive %{ in a value; our stacks write none`);
    } else {
      out += template[i++];
    }
  }
  return out;
}

function closingBrace(text: string, from: number): number {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}') {
      if (depth === 0) return i;
      depth--;
    } else if (text[i] === '"') i = text.indexOf('"', i + 1);
  }
  throw new Error(`unclosed interpolation in ${text.slice(from - 2, from + 60)}`);
}

const REMOTE_OUTPUT = /^data\.terraform_remote_state\.cross-stack-reference-input-([\w-]+)\.outputs\.([\w-]+)$/;
const REFERENCE = /^([a-z][\w]*)\.([\w-]+)((?:\.[\w-]+|\[\d+\])+)$/;

function resolveExpression(expression: string, stack: string, stacks: Record<string, StackJson>, unknown: 'placeholder' | 'keep'): string {
  const json = stacks[stack] as Json;
  const local = /^local\.([\w-]+)$/.exec(expression);
  if (local && typeof json.locals?.[local[1]] === 'string') return resolveTemplate(json.locals[local[1]], stack, stacks, unknown);
  const remote = REMOTE_OUTPUT.exec(expression);
  const output = remote && stacks[remote[1]]?.output?.[remote[2]];
  if (remote && output) return resolveTemplate(String(output.value), remote[1], stacks, unknown);
  const ref = REFERENCE.exec(expression);
  if (ref && json.resource?.[ref[1]]?.[ref[2]]) {
    let node: unknown = json.resource[ref[1]][ref[2]];
    for (const step of ref[3].match(/\.[\w-]+|\[\d+\]/g) ?? []) {
      if (step.startsWith('[')) node = Array.isArray(node) ? node[Number(step.slice(1, -1))] : node; // blocks are objects in JSON
      else node = node && typeof node === 'object' ? (node as Json)[step.slice(1)] : undefined;
    }
    if (typeof node === 'string') return resolveTemplate(node, stack, stacks, unknown);
    if (typeof node === 'number' || typeof node === 'boolean') return String(node);
  }
  return placeholder(expression);
}

/** A value of the right shape for what is only known after apply. */
function placeholder(expression: string): string {
  const digest = createHash('sha256').update(expression).digest('hex');
  if (/\b(sha256|sha1|md5|base64sha256)\(/.test(expression)) return digest; // a hash: hex
  if (/(name|namespace)$/.test(expression)) return `placeholder-${digest.slice(0, 8)}`; // a DNS label
  return `placeholder-${digest.slice(0, 12)}`;
}

