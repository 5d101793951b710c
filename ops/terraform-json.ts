/**
 * Reading synthesized stacks (cdk.tf.json) the way Terraform will: a value that is a whole
 * `${local.x}` is that local, and the template escapes `$${` / `%%{` mean `${` / `%{`.
 * For tools that inspect literal text (footprint, Helm value checks); strings with live
 * references stay as they are.
 */
import { parse } from 'yaml';

export interface StackJson {
  resource?: Record<string, Record<string, any>>;
  locals?: Record<string, unknown>;
}

/** The text Terraform makes of a string with no live reference. */
export function literalText(json: StackJson, value: string): string {
  const local = /^\$\{local\.([A-Za-z0-9_-]+)\}$/.exec(value);
  const text = local ? json.locals?.[local[1]] : value;
  if (typeof text !== 'string') throw new Error(`${value}: no such string local in the stack`);
  return text.replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{');
}

/** The values documents of a helm_release, parsed, in the order Helm merges them. */
export function helmValueDocuments(json: StackJson, release: { values?: string[] }): any[] {
  return (release.values ?? []).map((v) => parse(literalText(json, v)) ?? {});
}
