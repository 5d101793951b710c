/**
 * Review on any state (`npm run diff`): which cross-stack inputs of a stack come from a producer
 * that has no state yet (never deployed, destroyed) or lacks an output the stack reads (deployed
 * from an older version), and the review-only override file that plans such a stack anyway.
 *
 * cdktf turns a cross-stack reference into a `terraform_remote_state` data source named
 * `cross-stack-reference-input-<producer>` and reads `…outputs.<name>` from it. Terraform fails a
 * plan when the producer has no state ("Unable to find remote state"; its `defaults` argument does
 * not help then) or lacks the output ("Unsupported attribute"). For review, an override file gives
 * that data source a `defaults` value that is only known at apply (`timestamp()`): Terraform then
 * defers the read to apply, as for any data source whose arguments are unknown, and every value
 * taken from the producer is "(known after apply)" in the plan, typed for whatever reads it. No
 * placeholder value is ever invented, so none can be applied: the file exists only while `npm run
 * diff` plans that stack; deploy and destroy refuse to run while one is left in a stack directory.
 * No imports of stacks/ or constructs/: loading this module costs nothing.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The data source cdktf reads a producer stack's outputs through. */
export const REMOTE_STATE_PREFIX = 'cross-stack-reference-input-';

/** The review-only override file (Terraform merges `*_override.tf.json` over the stack's configuration). */
export const REVIEW_OVERRIDE_FILE = 'review-pending-inputs_override.tf.json';

/** What a stack reads from each producer: producer stack name → output names. */
export type RemoteInputs = Map<string, Set<string>>;

/** The producers a synthesized stack (cdk.tf.json text) reads from, with the output names it uses. */
export function remoteInputs(stackJson: string): RemoteInputs {
  const json = JSON.parse(stackJson) as { data?: { terraform_remote_state?: Record<string, unknown> } };
  const inputs: RemoteInputs = new Map();
  for (const source of Object.keys(json.data?.terraform_remote_state ?? {})) {
    if (source.startsWith(REMOTE_STATE_PREFIX)) inputs.set(source.slice(REMOTE_STATE_PREFIX.length), new Set());
  }
  for (const m of stackJson.matchAll(/data\.terraform_remote_state\.([\w-]+)\.outputs\.([\w-]+)/g)) {
    if (m[1].startsWith(REMOTE_STATE_PREFIX)) inputs.get(m[1].slice(REMOTE_STATE_PREFIX.length))?.add(m[2]);
  }
  return inputs;
}

/** The outputs of a producer's current state (names), or why they could not be read. */
export type ProducerOutputs = { readonly names: ReadonlySet<string> } | { readonly error: string };

/** A producer whose outputs a stack reads but that does not (yet) provide them. */
export interface PendingInput {
  readonly producer: string;
  /** `no-state`: no output at all (never deployed, or destroyed); `missing-outputs`: some of those read are absent (deployed by an older version). */
  readonly reason: 'no-state' | 'missing-outputs';
  /** The outputs read that the producer's state lacks. */
  readonly missing: readonly string[];
}

/** The producers of `inputs` whose state lacks an output the stack reads; producers whose state could not be read are left out. */
export function pendingInputs(inputs: RemoteInputs, outputsOf: (producer: string) => ProducerOutputs): PendingInput[] {
  const pending: PendingInput[] = [];
  for (const [producer, read] of inputs) {
    const outputs = outputsOf(producer);
    if ('error' in outputs) continue;
    const missing = [...read].filter((name) => !outputs.names.has(name)).sort();
    if (missing.length) pending.push({ producer, reason: outputs.names.size === 0 ? 'no-state' : 'missing-outputs', missing });
  }
  return pending;
}

/** Output names in `<engine> output -json` (an object keyed by output name; `{}` when there is no state). */
export function parseOutputNames(stdout: string): ReadonlySet<string> {
  const json = JSON.parse(stdout) as unknown;
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new Error(`not an object of outputs: ${stdout.trim().slice(0, 80)}`);
  return new Set(Object.keys(json));
}

/** One line: which producer a stack waits for and why. */
export function describePending(p: PendingInput): string {
  return p.reason === 'no-state' ? `${p.producer} (not deployed: no outputs in its state)` : `${p.producer} (its state lacks ${p.missing.length === 1 ? 'output' : 'outputs'} ${p.missing.join(', ')})`;
}

/** For a summary row: the producers a stack waits for, grouped by why (`cluster, elasticsearch (not deployed)`). */
export function summarizePending(pending: readonly PendingInput[]): string {
  const notDeployed = pending.filter((p) => p.reason === 'no-state').map((p) => p.producer);
  const lacking = pending.filter((p) => p.reason === 'missing-outputs').map((p) => `${p.producer} (lacks ${p.missing.join(', ')})`);
  return [...(notDeployed.length ? [`${notDeployed.join(', ')} (not deployed)`] : []), ...lacking].join('; ');
}

/**
 * The override that defers the reads of the pending producers' outputs to apply. `defaults` shows
 * in the plan (`<= data "terraform_remote_state"` … "will be read during apply") with the reason,
 * so the plan itself says which inputs are pending and why.
 */
export function reviewOverride(pending: readonly PendingInput[]): object {
  const sources = Object.fromEntries(
    pending.map((p) => [
      `${REMOTE_STATE_PREFIX}${p.producer}`,
      {
        defaults: {
          review_only: `written by npm run diff: ${describePending(p)}, so its outputs are known after it is applied; this plan cannot be applied`,
          read_at: '${timestamp()}',
        },
      },
    ]),
  );
  return { '//': 'Review only (npm run diff): removed when the plan ends; npm run deploy and destroy refuse to run while it exists.', data: { terraform_remote_state: sources } };
}

/** Writes (pending inputs) or removes (none) the review-only override of a stack directory. */
export function setReviewOverride(stackDir: string, pending: readonly PendingInput[]): void {
  const file = join(stackDir, REVIEW_OVERRIDE_FILE);
  if (!pending.length) return rmSync(file, { force: true });
  // Written whole or not at all: another stack's review may run `terraform output` in this
  // directory meanwhile, and Terraform parses every *.tf.json there (a half-written one fails it).
  const partial = `${file}.partial`;
  writeFileSync(partial, `${JSON.stringify(reviewOverride(pending), null, 2)}\n`);
  renameSync(partial, file);
}

/** The review-only override files left in these stack directories (an interrupted `npm run diff`). */
export function leftoverReviewOverrides(stackDirs: readonly string[]): string[] {
  return stackDirs.map((dir) => join(dir, REVIEW_OVERRIDE_FILE)).filter((file) => existsSync(file));
}

/** The producers named in a left-over review override (for the message that refuses to deploy). */
export function producersIn(overrideFile: string): string[] {
  try {
    const json = JSON.parse(readFileSync(overrideFile, 'utf8')) as { data?: { terraform_remote_state?: Record<string, unknown> } };
    return Object.keys(json.data?.terraform_remote_state ?? {}).map((s) => s.replace(REMOTE_STATE_PREFIX, ''));
  } catch {
    return [];
  }
}
