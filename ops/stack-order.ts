/**
 * Pure helpers of `npm run deploy|diff|destroy` (scripts/run-stacks.ts): the stack order, derived
 * from the cross-stack dependencies that `cdktf synth` writes to <outdir>/manifest.json; parsing
 * of a stack's Terraform plan summary out of cdktf output; one summary table (terminal + Markdown).
 * No imports of stacks/ or constructs/: loading this module costs nothing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PendingInput, summarizePending } from './pending-inputs';

/** One stack of the synthesized app, as listed in manifest.json. */
export interface ManifestStack {
  readonly name: string;
  /** Names of the stacks whose outputs this one reads (cross-stack references). */
  readonly dependencies: readonly string[];
  /** Where Terraform runs the stack, relative to the output directory (holds cdk.tf.json). */
  readonly workingDirectory: string;
}

/** cdktf's output directory: "output" of cdktf.json in `cwd`, else cdktf.out. */
export function cdktfOutdir(cwd: string): string {
  const file = join(cwd, 'cdktf.json');
  if (existsSync(file)) {
    try {
      const output = (JSON.parse(readFileSync(file, 'utf8')) as { output?: unknown }).output;
      if (typeof output === 'string' && output) return join(cwd, output);
    } catch {
      // cdktf itself reports a broken cdktf.json
    }
  }
  return join(cwd, 'cdktf.out');
}

/** Parses manifest.json (cdktf 0.21: `{ stacks: { <name>: { name, dependencies, … } } }`), in manifest order. */
export function parseManifest(text: string, source = 'manifest.json'): ManifestStack[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${source}: not JSON (${(err as Error).message})`);
  }
  const stacks = (json as { stacks?: unknown })?.stacks;
  if (!stacks || typeof stacks !== 'object' || Array.isArray(stacks)) throw new Error(`${source}: no "stacks" object; was it written by cdktf synth?`);
  return Object.entries(stacks as Record<string, { name?: unknown; dependencies?: unknown; workingDirectory?: unknown }>).map(([key, stack]) => {
    const deps = stack?.dependencies ?? [];
    if (!Array.isArray(deps) || deps.some((d) => typeof d !== 'string')) throw new Error(`${source}: stack ${key}: "dependencies" must be a list of stack names`);
    const name = typeof stack.name === 'string' ? stack.name : key;
    return { name, dependencies: deps as string[], workingDirectory: typeof stack.workingDirectory === 'string' ? stack.workingDirectory : `stacks/${name}` };
  });
}

/** Reads <outdir>/manifest.json. */
export function readManifest(outdir: string): ManifestStack[] {
  const file = join(outdir, 'manifest.json');
  if (!existsSync(file)) throw new Error(`${file} not found: cdktf synth did not write it`);
  return parseManifest(readFileSync(file, 'utf8'), file);
}

/**
 * Topological order: every stack after all of its dependencies. Ties (stacks that are ready at
 * the same time) keep manifest order, so the result is stable. Throws on an unknown dependency
 * or a cycle, naming the stacks involved.
 */
export function dependencyOrder(stacks: readonly Pick<ManifestStack, 'name' | 'dependencies'>[]): string[] {
  const names = new Set(stacks.map((s) => s.name));
  for (const s of stacks) {
    const unknown = s.dependencies.filter((d) => !names.has(d));
    if (unknown.length) throw new Error(`stack ${s.name} depends on unknown stack(s) ${unknown.join(', ')} (manifest stacks: ${[...names].join(', ')})`);
  }
  const order: string[] = [];
  const done = new Set<string>();
  while (order.length < stacks.length) {
    const next = stacks.find((s) => !done.has(s.name) && s.dependencies.every((d) => done.has(d)));
    if (!next) {
      const left = stacks.filter((s) => !done.has(s.name));
      throw new Error(`dependency cycle among stacks: ${left.map((s) => `${s.name} → ${s.dependencies.filter((d) => !done.has(d)).join(', ')}`).join('; ')}`);
    }
    order.push(next.name);
    done.add(next.name);
  }
  return order;
}

/** Destroy order: dependants before the stacks they read from (the dependency order reversed). */
export function destroyOrder(stacks: readonly Pick<ManifestStack, 'name' | 'dependencies'>[]): string[] {
  return dependencyOrder(stacks).reverse();
}

/**
 * The stacks of `order` that the user named, kept in `order`'s order (all when none named).
 * Throws on an unknown name, listing the valid ones.
 */
export function selectStacks(order: readonly string[], requested: readonly string[]): string[] {
  const unknown = requested.filter((r) => !order.includes(r));
  if (unknown.length) {
    throw new Error(`unknown stack${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}: the stacks are ${order.join(', ')}`);
  }
  return requested.length ? order.filter((s) => requested.includes(s)) : [...order];
}

/** Terraform's plan summary of one stack. */
export type PlanSummary =
  | { readonly kind: 'changes'; readonly toImport: number; readonly toAdd: number; readonly toChange: number; readonly toDestroy: number }
  /** Only output values change: Terraform prints "Changes to Outputs:" and no `Plan:` line. */
  | { readonly kind: 'outputs-only' }
  | { readonly kind: 'no-changes' };

// CSI (colours, cursor moves of ink's spinner) and OSC escape sequences.
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;

/**
 * cdktf output as plain text: escape sequences and carriage returns removed, and the
 * `<stack>  ` prefix that cdktf 0.21 puts before every block of Terraform output removed.
 * (cdktf prints each chunk of Terraform output as `<stack>  <first line>` followed by the other
 * lines indented by the width of that prefix.)
 */
export function plainOutput(output: string, stackName?: string): string {
  let text = output.replace(ANSI, '').replace(/\r\n?/g, '\n');
  if (stackName) {
    const prefix = new RegExp(`^${stackName.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')} {2}`, 'gm');
    text = text.replace(prefix, '');
  }
  return text;
}

const PLAN = /Plan:\s+(?:(\d+)\s+to\s+import,\s+)?(\d+)\s+to\s+add,\s+(\d+)\s+to\s+change,\s+(\d+)\s+to\s+destroy\b/g;
const APPLIED = /Apply complete!\s+Resources:\s+(?:(\d+)\s+imported,\s+)?(\d+)\s+added,\s+(\d+)\s+changed,\s+(\d+)\s+destroyed\b/g;
const DESTROYED = /Destroy complete!\s+Resources:\s+(\d+)\s+destroyed\b/g;
const NO_CHANGES = /No changes\.\s+(?:Your infrastructure (?:still )?matches the configuration|No objects need to be destroyed)/;
const OUTPUTS_ONLY = /^Changes to Outputs:/m;

/**
 * The plan summary in one stack's plan/deploy/destroy output: the last `Plan: …` line
 * (`Plan: [N to import, ]A to add, C to change, D to destroy.`), else Terraform's `No changes.`,
 * else `Changes to Outputs:` alone (only outputs change: Terraform prints no `Plan:` line then),
 * else the `Apply complete!` / `Destroy complete!` counts; undefined when there is none.
 * Tolerates colours, the cdktf stack prefix and line wrapping.
 */
export function parsePlanSummary(output: string, stackName?: string): PlanSummary | undefined {
  const text = plainOutput(output, stackName);
  const last = (re: RegExp) => [...text.matchAll(re)].pop();
  const n = (s: string | undefined) => (s === undefined ? 0 : Number(s));
  const plan = last(PLAN);
  if (plan) return { kind: 'changes', toImport: n(plan[1]), toAdd: n(plan[2]), toChange: n(plan[3]), toDestroy: n(plan[4]) };
  if (NO_CHANGES.test(text)) return { kind: 'no-changes' };
  if (OUTPUTS_ONLY.test(text)) return { kind: 'outputs-only' };
  const applied = last(APPLIED);
  if (applied) return { kind: 'changes', toImport: n(applied[1]), toAdd: n(applied[2]), toChange: n(applied[3]), toDestroy: n(applied[4]) };
  const destroyed = last(DESTROYED);
  if (destroyed) return { kind: 'changes', toImport: 0, toAdd: 0, toChange: 0, toDestroy: n(destroyed[1]) };
  return undefined;
}

/**
 * The first line of a failed stack's error: Terraform's first `Error: <summary>` (inside its
 * ╷│╵ box), else cdktf's last non-empty line (e.g. `Invoking Terraform CLI failed with exit code 1`),
 * else undefined.
 */
export function firstErrorLine(output: string, stackName?: string): string | undefined {
  const lines = plainOutput(output, stackName)
    .split('\n')
    .map((l) => l.replace(/^[\s│╷╵]+/, '').trimEnd());
  for (const line of lines) {
    const m = /(?:^|\s)Error:\s+(?!External Error:)(\S.*)$/.exec(line);
    if (m) return m[1].trim();
  }
  const last = lines.filter((l) => l && !/^\d+ Stacks? \w+/.test(l)).pop();
  return last?.replace(/^Error:\s+(?:External Error:\s+)?/, '');
}

export type RowStatus = 'ok' | 'failed' | 'not run';

/** One row of the summary table. */
export interface StackResult {
  readonly stack: string;
  readonly status: RowStatus;
  /** Plan counts (undefined: unknown / not run). */
  readonly plan?: PlanSummary;
  /** First line of the error when failed. */
  readonly error?: string;
  readonly durationMs?: number;
  /** diff: producers whose outputs were pending (unknown) in this plan: it waits for them. */
  readonly pending?: readonly PendingInput[];
}

export function formatDuration(ms: number): string {
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.round(s - m * 60)).padStart(2, '0')}s`;
}

function resultText(r: StackResult): string {
  if (r.status === 'not run') return 'not run';
  const waits = r.pending?.length ? `; waits for ${summarizePending(r.pending)}: those inputs are (known after apply)` : '';
  if (r.status === 'failed') return `failed: ${r.error ?? 'see the log above'}${waits}`;
  if (!r.plan) return `ok (no plan summary found in the output)${waits}`;
  if (r.plan.kind === 'no-changes') return `no changes${waits}`;
  if (r.plan.kind === 'outputs-only') return `ok, outputs only (no resource changes)${waits}`;
  return `${r.plan.toImport ? `ok, ${r.plan.toImport} to import` : 'ok'}${waits}`;
}

function counts(r: StackResult): [string, string, string] {
  // a failed stack's counts are what Terraform planned before the error, not what happened
  if (!r.plan || r.status !== 'ok') return ['-', '-', '-'];
  if (r.plan.kind !== 'changes') return ['0', '0', '0'];
  return [String(r.plan.toAdd), String(r.plan.toChange), String(r.plan.toDestroy)];
}

/** Header and cells of the summary table; a duration column when any row has one. */
export function summaryRows(results: readonly StackResult[]): { header: string[]; rows: string[][] } {
  const withDuration = results.some((r) => r.durationMs !== undefined);
  const header = ['stack', 'to add', 'to change', 'to destroy', 'result', ...(withDuration ? ['duration'] : [])];
  const rows = results.map((r) => [r.stack, ...counts(r), resultText(r), ...(withDuration ? [r.durationMs === undefined ? '-' : formatDuration(r.durationMs)] : [])]);
  return { header, rows };
}

/** The summary as an aligned plain-text table for the terminal. */
export function formatSummaryText(results: readonly StackResult[]): string {
  const { header, rows } = summaryRows(results);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const numeric = new Set([1, 2, 3]);
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (numeric.has(i) ? c.padStart(widths[i]) : i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** The summary as a Markdown table (for a pull-request comment); `title` becomes a heading. */
export function formatSummaryMarkdown(results: readonly StackResult[], title?: string): string {
  const { header, rows } = summaryRows(results);
  const cell = (c: string) => c.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const line = (cells: string[]) => `| ${cells.map(cell).join(' | ')} |`;
  const align = header.map((_, i) => (i >= 1 && i <= 3 ? '---:' : '---'));
  return [...(title ? [`### ${title}`, ''] : []), line(header), `|${align.join('|')}|`, ...rows.map(line)].join('\n') + '\n';
}
