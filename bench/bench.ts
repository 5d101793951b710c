/**
 * npm run bench: (1) synth cost of the six stacks against a one-resource CDKTF app, (2) the
 * cluster footprint from the synthesized JSON against one 2-CPU / 4-GiB node, (3) the
 * sample app's OTel on/off ratios. Prints all three and writes bench-results/bench.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'cdktf';
import { validateConfig } from '../config/load';
import { buildMonitoringApp } from '../stacks/app';
import { computeFootprint, fitsBudget, GiB } from '../ops/footprint';

const ROOT = join(__dirname, '..');
const RUNS = Number(process.env.BENCH_SYNTH_RUNS ?? 5);
const SYNTH_TARGET = 1.5;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function synthRuns(kind: 'full' | 'trivial') {
  const runs: { ms: number; inProcessMs: number; maxRssBytes: number }[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = process.hrtime.bigint();
    const out = execFileSync(process.execPath, ['-r', 'ts-node/register/transpile-only', join(__dirname, 'synth-once.ts'), kind], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CHECKPOINT_DISABLE: '1' } });
    // Wall time of the whole process, as a user's `cdktf synth` pays it (load + build + write).
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const child = JSON.parse(out) as { ms: number; maxRssBytes: number };
    runs.push({ ms, inProcessMs: child.ms, maxRssBytes: child.maxRssBytes });
  }
  return { medianMs: median(runs.map((r) => r.ms)), medianInProcessMs: median(runs.map((r) => r.inProcessMs)), medianMaxRssBytes: median(runs.map((r) => r.maxRssBytes)), runs };
}

function footprint() {
  const app = new App({ outdir: join(ROOT, 'cdktf.out', 'bench') });
  const monitoring = buildMonitoringApp(app, validateConfig({}));
  app.synth();
  const names = Object.values(monitoring).map((stack) => stack.node.id);
  const stacks = Object.fromEntries(names.map((n) => [n, JSON.parse(readFileSync(join(app.outdir, 'stacks', n, 'cdk.tf.json'), 'utf8'))]));
  return computeFootprint(stacks, 1);
}

const mib = (b: number) => `${Math.round(b / 1024 ** 2)}Mi`;

console.log('1. Synth cost (median of %d runs, each in a fresh process)', RUNS);
const full = synthRuns('full');
const trivial = synthRuns('trivial');
const timeRatio = full.medianMs / trivial.medianMs;
const memRatio = full.medianMaxRssBytes / trivial.medianMaxRssBytes;
console.log(`   six stacks : ${full.medianMs.toFixed(0)} ms wall (${full.medianInProcessMs.toFixed(0)} ms building + writing), peak RSS ${mib(full.medianMaxRssBytes)}`);
console.log(`   trivial app: ${trivial.medianMs.toFixed(0)} ms wall (${trivial.medianInProcessMs.toFixed(0)} ms building + writing), peak RSS ${mib(trivial.medianMaxRssBytes)}`);
console.log(`   ratio wall time ${timeRatio.toFixed(2)}x (target <= ${SYNTH_TARGET}x: ${timeRatio <= SYNTH_TARGET ? 'OK' : 'MISSED'}), peak memory ${memRatio.toFixed(2)}x`);

console.log('\n2. Cluster footprint (default config, one node)');
const fp = footprint();
for (const [stack, f] of Object.entries(fp.perStack)) {
  console.log(`   ${stack.padEnd(15)} requests ${String(f.cpuRequestsMilli).padStart(5)}m ${mib(f.memoryRequestsBytes).padStart(7)}   limits ${String(f.cpuLimitsMilli).padStart(5)}m ${mib(f.memoryLimitsBytes).padStart(7)}`);
}
const t = fp.total;
console.log(`   ${'total'.padEnd(15)} requests ${String(t.cpuRequestsMilli).padStart(5)}m ${mib(t.memoryRequestsBytes).padStart(7)}   limits ${String(t.cpuLimitsMilli).padStart(5)}m ${mib(t.memoryLimitsBytes).padStart(7)}`);
const budget = fitsBudget(t);
console.log(`   fits a 2-CPU / 4-GiB node (memory requests <= 3 GiB): ${budget.fits ? `yes (${(t.memoryRequestsBytes / GiB).toFixed(2)} GiB)` : `NO: ${budget.reasons.join('; ')}`}`);
for (const e of fp.errors) console.log(`   ERROR ${e}`);

console.log('\n3. Sample app, OTel on vs off');
execFileSync('npm', ['--prefix', join(ROOT, 'sample-app'), 'run', 'bench'], { stdio: ['ignore', 'inherit', 'inherit'] });
const appBench = JSON.parse(readFileSync(join(ROOT, 'sample-app', 'bench-results', 'sample-app.json'), 'utf8'));

mkdirSync(join(ROOT, 'bench-results'), { recursive: true });
const result = {
  date: new Date().toISOString(),
  node: process.version,
  synth: { runs: RUNS, full, trivial, timeRatio, memoryRatio: memRatio, target: SYNTH_TARGET },
  footprint: { perStack: fp.perStack, total: t, containers: fp.containers, errors: fp.errors, fits: budget },
  sampleApp: appBench,
};
writeFileSync(join(ROOT, 'bench-results', 'bench.json'), JSON.stringify(result, null, 2));
console.log('\nresults: bench-results/bench.json');
process.exit(fp.errors.length > 0 ? 1 : 0);
