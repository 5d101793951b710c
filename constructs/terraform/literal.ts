/**
 * Terraform reads every string of its JSON configuration as a template: `${…}` interpolates
 * and `%{…}` is a directive. Literal text we embed (Helm values, scripts, config files,
 * commands, annotations) often holds those sequences for another program (the collector's
 * `${env:X}`, a shell's `${var#prefix}`), so it must reach Terraform escaped as `$${` and
 * `%%{`, which Terraform turns back into the literal text. CDKTF tokens inside the text
 * (cross-stack references, resource attributes, Fn calls) must stay live interpolations.
 */

/** How CDKTF encodes a string token inside a string: `${TfToken[TOKEN.<n>]}`. */
const CDKTF_STRING_TOKEN = /(\$\{TfToken\[[^\]]+\]\})/;

/**
 * Escapes Terraform template syntax in the literal parts of `text`, keeping CDKTF tokens.
 * The one place where literal text becomes Terraform-safe: every construct that embeds
 * text into a resource attribute calls it.
 */
export function terraformLiteral(text: string): string {
  return text
    .split(CDKTF_STRING_TOKEN)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/\$\{|%\{/g, (opening) => opening[0] + opening)))
    .join('');
}

/** terraformLiteral over every value of a string map (ConfigMap data, annotations). */
export function terraformLiterals(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, terraformLiteral(v)]));
}
