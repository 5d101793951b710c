/**
 * Section 1 of `npm run bench`: our commands against the floor of the tools they wrap, offline
 * (the real cdktf CLI and Terraform, stand-in providers: the Terraform work itself is small, so
 * the ratio shows the overhead), paired and alternated (A/B, then B/A) so machine drift cancels:
 *
 *   npm run deploy  vs  cdktf deploy '*' --auto-approve                 (fresh state each time)
 *   npm run diff    vs  cdktf synth + terraform plan in each cdktf.out/stacks/<stack>, in order
 *   npm run diff, nothing deployed  vs  the same, each stack's review override written by hand first
 *                   (readers of stacks not deployed are planned with those inputs unknown)
 *   npm run destroy vs  cdktf destroy '*' --auto-approve
 *   cdktf synth of our app  vs  cdktf synth of a one-resource app (bench/one-resource-app.ts),
 *                   both run by cdktf.json's app command (scripts/run-ts.js): time and peak RSS
 *
 * Working directories stay initialized between runs, as on a developer's machine (one warm-up
 * round first). Reports min/median/max of each side, each round's ratio and their median.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { OfflineProject } from '../checks/offline-project';
import { pendingInputs, remoteInputs, setReviewOverride } from '../ops/pending-inputs';
import { engineBinary } from '../ops/engine';
import { parseEngineVersion } from '../ops/terraform-version';
import { dependencyOrder, readManifest } from '../ops/stack-order';

const ROOT = join(__dirname, '..');

export const TARGETS = { deploy: 1.2, diff: 1.2, diffEmpty: 1.2, destroy: 1.2, synth: 1.3, synthMemory: 1.3 } as const;

export interface Stats {
  readonly min: number;
  readonly median: number;
  readonly max: number;
  readonly all: number[];
}

export interface Pair {
  readonly ours: Stats;
  readonly floor: Stats;
  /** Median of the per-round ratios ours/floor. */
  readonly ratio: number;
  readonly ratios: number[];
  readonly target: number;
}

export interface SpeedResult {
  /** `engine`: the engine and its version, e.g. "Terraform 1.11.4" or "OpenTofu 1.12.6" (TERRAFORM_BINARY_NAME). */
  readonly machine: { cores: number; memoryGiB: number; node: string; engine: string; cdktf: string; loadAverageAtStart: number[] };
  readonly rounds: number;
  readonly deploy: Pair;
  readonly diff: Pair;
  /** npm run diff before anything is deployed. */
  readonly diffEmpty: Pair;
  readonly destroy: Pair;
  readonly synth: Pair;
  readonly synthMemory: Pair;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const stats = (xs: number[]): Stats => ({ min: Math.min(...xs), median: median(xs), max: Math.max(...xs), all: xs });

/** Runs a command in the project; returns wall ms (and peak RSS of the process tree's largest process, via GNU time, when asked). */
function timed(project: OfflineProject, file: string, args: string[], what: string, cwd?: string, withRss = false): { ms: number; rssBytes?: number } {
  const rssFile = join(mkdtempSync(join(tmpdir(), 'bench-rss-')), 'rss');
  const [cmd, cmdArgs] = withRss ? ['/usr/bin/time', ['-f', '%M', '-o', rssFile, file, ...args]] : [file, args];
  const started = process.hrtime.bigint();
  const r = spawnSync(cmd, cmdArgs, { cwd: cwd ?? project.dir, env: project.env(), encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.error || r.status !== 0) throw new Error(`bench: ${what} failed (${r.error?.message ?? `exit ${r.status}`}):\n${(r.stdout ?? '').slice(-3000)}\n${(r.stderr ?? '').slice(-3000)}`);
  const rssBytes = withRss && existsSync(rssFile) ? Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop()) * 1024 : undefined;
  rmSync(rssFile, { force: true });
  return { ms, rssBytes };
}

function version(file: string, args: string[], pick: (out: string) => string): string {
  const r = spawnSync(file, args, { encoding: 'utf8', env: { ...process.env, CHECKPOINT_DISABLE: '1' } });
  if (r.status !== 0) return 'unknown';
  try {
    return pick(r.stdout);
  } catch {
    return 'unknown';
  }
}

export function measureSpeed(rounds: number, log: (line: string) => void = console.log): SpeedResult {
  if (!existsSync('/usr/bin/time')) throw new Error('bench: /usr/bin/time (GNU time) is needed to measure the peak RSS of cdktf synth');
  const ours = new OfflineProject();
  const oneResource = new OfflineProject({ main: join(ROOT, 'bench', 'one-resource-app.ts') });
  try {
    ours.prepare();
    oneResource.prepare();
    const cdktf = join(ours.dir, 'node_modules', '.bin', 'cdktf');
    const order = dependencyOrder(readManifest(join(ours.dir, 'cdktf.out')));

    const wrapper = {
      deploy: () => (ours.freshState(), timed(ours, 'npm', ['run', '--silent', 'deploy'], 'npm run deploy').ms),
      diff: () => timed(ours, 'npm', ['run', '--silent', 'diff'], 'npm run diff').ms,
      diffEmpty: () => (ours.freshState(), timed(ours, 'npm', ['run', '--silent', 'diff'], 'npm run diff (nothing deployed)').ms),
      destroy: () => timed(ours, 'npm', ['run', '--silent', 'destroy'], 'npm run destroy').ms,
    };
    const stackDir = (s: string) => join(ours.dir, 'cdktf.out', 'stacks', s);
    const floorDiff = (nothingDeployed: boolean) => {
      let ms = timed(ours, cdktf, ['synth'], 'cdktf synth').ms;
      for (const s of order) {
        // Nothing deployed: every producer a stack reads is pending (written here, outside the timing).
        const pending = nothingDeployed ? pendingInputs(remoteInputs(readFileSync(join(stackDir(s), 'cdk.tf.json'), 'utf8')), () => ({ names: new Set() })) : [];
        setReviewOverride(stackDir(s), pending);
        ms += timed(ours, engineBinary(), ['plan', '-input=false'], `terraform plan (${s})`, stackDir(s)).ms;
        setReviewOverride(stackDir(s), []);
      }
      return ms;
    };
    const floor = {
      deploy: () => (ours.freshState(), timed(ours, cdktf, ['deploy', '*', '--auto-approve'], "cdktf deploy '*'").ms),
      diff: () => floorDiff(false),
      diffEmpty: () => (ours.freshState(), floorDiff(true)),
      destroy: () => timed(ours, cdktf, ['destroy', '*', '--auto-approve'], "cdktf destroy '*'").ms,
    };
    const cycle = (side: typeof wrapper) => ({ deploy: side.deploy(), diff: side.diff(), destroy: side.destroy(), diffEmpty: side.diffEmpty() });

    log('   warm-up (initializes the working directories, not counted)');
    cycle(floor);
    cycle(wrapper);

    const runs = { deploy: [[], []], diff: [[], []], diffEmpty: [[], []], destroy: [[], []], synth: [[], []], synthMemory: [[], []] } as Record<keyof typeof TARGETS, [number[], number[]]>;
    for (let round = 0; round < rounds; round++) {
      // Each pair as close together in time as the state allows; the side going first alternates.
      const wrapperFirst = round % 2 === 0;
      const [first, second] = wrapperFirst ? [wrapper, floor] : [floor, wrapper];
      const deploy1 = first.deploy();
      const diff1 = first.diff(); // both diffs on the same deployed state, back to back
      const diff2 = second.diff();
      const destroy1 = first.destroy();
      const deploy2 = second.deploy();
      const destroy2 = second.destroy();
      const empty1 = first.diffEmpty();
      const empty2 = second.diffEmpty();
      const w = wrapperFirst ? { deploy: deploy1, diff: diff1, destroy: destroy1, diffEmpty: empty1 } : { deploy: deploy2, diff: diff2, destroy: destroy2, diffEmpty: empty2 };
      const f = wrapperFirst ? { deploy: deploy2, diff: diff2, destroy: destroy2, diffEmpty: empty2 } : { deploy: deploy1, diff: diff1, destroy: destroy1, diffEmpty: empty1 };
      for (const k of ['deploy', 'diff', 'diffEmpty', 'destroy'] as const) {
        runs[k][0].push(w[k]);
        runs[k][1].push(f[k]);
      }
      const synthOf = (p: OfflineProject) => timed(p, join(p.dir, 'node_modules', '.bin', 'cdktf'), ['synth'], `cdktf synth in ${p.dir}`, undefined, true);
      const [s1, s2] = wrapperFirst ? [synthOf(ours), synthOf(oneResource)] : [synthOf(oneResource), synthOf(ours)];
      const [so, sb] = wrapperFirst ? [s1, s2] : [s2, s1];
      runs.synth[0].push(so.ms);
      runs.synth[1].push(sb.ms);
      runs.synthMemory[0].push(so.rssBytes!);
      runs.synthMemory[1].push(sb.rssBytes!);
      log(`   round ${round + 1}/${rounds}: deploy ${(w.deploy / 1000).toFixed(1)}s vs ${(f.deploy / 1000).toFixed(1)}s, diff ${(w.diff / 1000).toFixed(1)}s vs ${(f.diff / 1000).toFixed(1)}s, diff (nothing deployed) ${(w.diffEmpty / 1000).toFixed(1)}s vs ${(f.diffEmpty / 1000).toFixed(1)}s, destroy ${(w.destroy / 1000).toFixed(1)}s vs ${(f.destroy / 1000).toFixed(1)}s, synth ${(so.ms / 1000).toFixed(1)}s vs ${(sb.ms / 1000).toFixed(1)}s`);
    }
    const pair = (k: keyof typeof TARGETS): Pair => {
      const [o, f] = runs[k];
      const ratios = o.map((x, i) => x / f[i]);
      return { ours: stats(o), floor: stats(f), ratio: median(ratios), ratios, target: TARGETS[k] };
    };
    return {
      machine: {
        cores: availableParallelism(),
        memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
        node: process.version,
        engine: version(engineBinary(), ['version', '-json'], (o) => {
          const found = parseEngineVersion(o, engineBinary());
          return `${found.engine} ${found.version}`;
        }),
        cdktf: version(cdktf, ['--version'], (o) => /^(\d+\.\d+\.\d+)\s*$/m.exec(o)?.[1] ?? 'unknown'),
        loadAverageAtStart: loadavg().map((l) => Math.round(l * 10) / 10),
      },
      rounds,
      deploy: pair('deploy'),
      diff: pair('diff'),
      diffEmpty: pair('diffEmpty'),
      destroy: pair('destroy'),
      synth: pair('synth'),
      synthMemory: pair('synthMemory'),
    };
  } finally {
    ours.dispose();
    oneResource.dispose();
  }
}

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const mib = (b: number) => `${Math.round(b / 1024 ** 2)} MiB`;
const range = (s: Stats, f: (x: number) => string) => `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
const verdict = (p: Pair) => `**${p.ratio.toFixed(2)}×** ${p.ratio <= p.target ? '✔' : '✘'} (rounds: ${p.ratios.map((r) => r.toFixed(2)).join(', ')})`;

/** The issue's figures (real cluster and providers, quiet 2-core machine): the "before". */
const TODAY = { deploy: '27.5 s vs 15.9 s = 1.73×', diff: '16.5 s vs 10.9 s = 1.51×', diffEmpty: '4 of 7 stacks failed (issue #31)', destroy: '51.7 s vs 28.3 s = 1.83×', synth: '3.3 s vs 2.2 s = 1.5×', synthMemory: '339 MB vs 271 MB = 1.26×' };

/** The speed table of docs/performance.md (between the bench:speed markers). */
export function speedTable(r: SpeedResult): string {
  const row = (what: string, floor: string, p: Pair, f: (x: number) => string, today: string) =>
    `| ${what} | ${range(p.ours, f)} | ${floor}: ${range(p.floor, f)} | ${verdict(p)} | ≤ ${p.target}× | ${today} |`;
  const m = r.machine;
  return [
    `Measured by \`npm run bench\` offline (real cdktf ${m.cdktf} CLI and ${m.engine}, stand-in providers), ${r.rounds} paired rounds alternating which side runs first; median (min–max), ratio = median of the per-round ratios (each round's in brackets). Machine: ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}; load average at start ${m.loadAverageAtStart.join(' / ')} (shared machine: compare the ratios, not the seconds).`,
    '',
    '| command | ours | the floor | ratio | target | before (the issue: real cluster) |',
    '|---|---|---|---|---|---|',
    row('`npm run deploy` (fresh state)', "`cdktf deploy '*' --auto-approve`", r.deploy, secs, TODAY.deploy),
    row('`npm run diff` (no change)', '`cdktf synth` + `terraform plan` per stack in sequence', r.diff, secs, TODAY.diff),
    row('`npm run diff` (nothing deployed)', 'the same, with the review override written beforehand', r.diffEmpty, secs, TODAY.diffEmpty),
    row('`npm run destroy`', "`cdktf destroy '*' --auto-approve`", r.destroy, secs, TODAY.destroy),
    row('`cdktf synth`: time', 'one-resource app, same runner', r.synth, secs, TODAY.synth),
    row('`cdktf synth`: peak RSS', 'one-resource app, same runner', r.synthMemory, mib, TODAY.synthMemory),
  ].join('\n');
}

/** The page the bench tables are written into (relative to the project), between `<!-- bench:<name>:start/end -->` markers. */
export const SPEED_TABLE_PAGE = join('docs', 'performance.md');
export const BENCH_DOC = join(ROOT, SPEED_TABLE_PAGE);

const markers = (name: string) => [`<!-- bench:${name}:start -->`, `<!-- bench:${name}:end -->`] as const;

/** Whether `doc` has the markers of block `name`. */
export function hasBenchBlock(doc: string, name: string): boolean {
  const [start, end] = markers(name);
  const from = doc.indexOf(start);
  return from >= 0 && doc.indexOf(end) > from;
}

/** The text of block `name` (between its markers) in `doc`, or undefined when the markers are missing. */
export function readBenchBlock(doc: string, name: string): string | undefined {
  const [start, end] = markers(name);
  return hasBenchBlock(doc, name) ? doc.slice(doc.indexOf(start) + start.length, doc.indexOf(end)) : undefined;
}

/** Replaces block `name` (between its markers) in `doc`: the one writer of every bench table. */
export function writeBenchBlock(doc: string, name: string, body: string): string {
  const [start, end] = markers(name);
  const from = doc.indexOf(start);
  const to = doc.indexOf(end);
  if (from < 0 || to < from) throw new Error(`the bench page has no ${start} … ${end} block for the ${name} table`);
  return `${doc.slice(0, from + start.length)}\n${body}\n${doc.slice(to)}`;
}

/** Replaces the speed table between the bench:speed markers. */
export function writeSpeedTable(page: string, table: string): string {
  return writeBenchBlock(page, 'speed', table);
}

/** Prints the table, writes it into docs/performance.md and bench-results/speed.json. */
export function reportSpeed(result: SpeedResult): void {
  const table = speedTable(result);
  console.log(table.replace(/^/gm, '   '));
  writeFileSync(BENCH_DOC, writeSpeedTable(readFileSync(BENCH_DOC, 'utf8'), table));
  mkdirSync(join(ROOT, 'bench-results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench-results', 'speed.json'), JSON.stringify(result, null, 2));
  console.log(`   (table written to ${SPEED_TABLE_PAGE}; figures in bench-results/speed.json)`);
}

if (require.main === module) {
  reportSpeed(measureSpeed(Number(process.env.BENCH_ROUNDS ?? 3)));
}
