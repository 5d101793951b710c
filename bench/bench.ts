/**
 * npm run bench: (1) our deploy / diff / destroy / synth against the floor of the tools they
 * wrap (bench/speed.ts: offline, paired rounds; the table goes into docs/performance.md), (2) the
 * cluster footprint of each profile from the synthesized JSON (dev, with and without Kibana,
 * against one 2-CPU / 4-GiB node; production: requests, limits at max scale, volumes, nodes), (3) the
 * sample app's OTel on/off ratios, (4) the node agent's cost: what runs on every node per profile
 * and its CPU per span against the minimal collector pipeline (bench/agent-cost.ts; its table goes
 * into the bench page's `agent` block). Prints all four and writes bench-results/bench.json.
 * Section 1 alone: `npx ts-node --transpile-only bench/speed.ts`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'cdktf';
import { validateConfig } from '../config/load';
import { buildMonitoringApp } from '../stacks/app';
import { computeFootprint, fitsBudget, Footprint, GiB, perNodeFootprint } from '../ops/footprint';
import { readStacks } from '../ops/terraform-json';
import { agentTable, measureAgentCost, ratioText, writeReadmeAgentRatio } from './agent-cost';
import { BENCH_DOC, hasBenchBlock, measureSpeed, reportSpeed, writeBenchBlock } from './speed';

const ROOT = join(__dirname, '..');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

/** The profiles' starting configs (docs/production.md). */
const PROFILE_CONFIGS = {
  dev: {},
  /** The dev profile for laptops that need no UI for logs: `kibana.enabled: false`. */
  'dev-no-kibana': { kibana: { enabled: false } },
  production: { profile: 'production', cluster: { mode: 'existing', kubeconfigPath: '~/.kube/config', context: 'production' }, sampleApp: { image: 'ghcr.io/acme/sample-app:1.0.0' } },
};

/** Footprint of one profile; DaemonSets counted once per node of its smallest cluster. */
function footprint(profile: keyof typeof PROFILE_CONFIGS) {
  // cdktf creates only the last level of its outdir; a fresh checkout has no cdktf.out yet.
  mkdirSync(join(ROOT, 'cdktf.out'), { recursive: true });
  const app = new App({ outdir: join(ROOT, 'cdktf.out', `bench-${profile}`) });
  buildMonitoringApp(app, validateConfig(PROFILE_CONFIGS[profile]));
  app.synth();
  const stacks = readStacks(app.outdir);
  const nodes = computeFootprint(stacks, 1).nodesForHighAvailability;
  return { nodes, report: computeFootprint(stacks, nodes) };
}

const mib = (b: number) => `${Math.round(b / 1024 ** 2)}Mi`;

console.log(`1. Our commands vs the tools they wrap, offline (${ROUNDS} paired rounds; a few minutes)`);
const speed = measureSpeed(ROUNDS);
reportSpeed(speed);

const line = (label: string, f: Footprint) =>
  `   ${label.padEnd(15)} requests ${String(Math.round(f.cpuRequestsMilli)).padStart(5)}m ${mib(f.memoryRequestsBytes).padStart(7)}   limits ${String(Math.round(f.cpuLimitsMilli)).padStart(5)}m ${mib(f.memoryLimitsBytes).padStart(7)}`;
const footprints = {} as Record<keyof typeof PROFILE_CONFIGS, ReturnType<typeof footprint>>;
(Object.keys(PROFILE_CONFIGS) as (keyof typeof PROFILE_CONFIGS)[]).forEach((profile, i) => {
  const { nodes, report } = (footprints[profile] = footprint(profile));
  const title = profile === 'dev-no-kibana' ? 'dev profile without Kibana' : `${profile} profile`;
  console.log(`\n2${'abc'[i]}. Cluster footprint, ${title} (${nodes} node${nodes > 1 ? 's' : ''}: DaemonSet pods counted per node)`);
  for (const [stack, f] of Object.entries(report.perStack)) console.log(line(stack, f));
  console.log(line('total', report.total));
  if (report.containers.some((c) => c.maxCopies !== undefined)) console.log(line('at max scale', report.totalAtMaxScale));
  const claims = report.claims.map((c) => `${c.copies} × ${c.sizeBytes % GiB === 0 ? `${c.sizeBytes / GiB}Gi` : mib(c.sizeBytes)} (${c.workload})`).join(', ');
  console.log(`   persistent volumes: ${claims || 'none (emptyDir)'}${report.storageBytes ? `, ${(report.storageBytes / GiB).toFixed(0)} GiB in all` : ''}`);
  console.log(`   nodes for high availability (one Elasticsearch node per Kubernetes node): ${report.nodesForHighAvailability}`);
  for (const e of report.errors) console.log(`   ERROR ${e}`);
});
const fp = footprints.dev.report;
const t = fp.total;
const budget = fitsBudget(t, true);
const bare = footprints['dev-no-kibana'].report.total;
const bareBudget = fitsBudget(bare, false);
const verdict = (b: typeof budget, total: Footprint) => (b.fits ? `yes (${(total.memoryRequestsBytes / GiB).toFixed(2)} GiB)` : `NO: ${b.reasons.join('; ')}`);
console.log(`   dev fits a 2-CPU / 4-GiB node (memory requests <= 4 GiB with Kibana): ${verdict(budget, t)}`);
console.log(`   dev without Kibana (memory requests <= 3 GiB): ${verdict(bareBudget, bare)}`);

console.log('\n3. Sample app, OTel on vs off');
execFileSync('npm', ['--prefix', join(ROOT, 'sample-app'), 'run', 'bench'], { stdio: ['ignore', 'inherit', 'inherit'] });
const appBench = JSON.parse(readFileSync(join(ROOT, 'sample-app', 'bench-results', 'sample-app.json'), 'utf8'));

async function agentSection() {
  console.log(`\n4. The node agent: what runs on every node, and its CPU per span vs the minimal pipeline (${ROUNDS} paired rounds)`);
  const perNode = (['dev', 'production'] as const).map((profile) => ({ profile, ...perNodeFootprint(footprints[profile].report, footprints[profile].nodes) }));
  const cost = await measureAgentCost(ROUNDS);
  const table = agentTable(perNode, cost);
  console.log(table.replace(/^/gm, '   '));
  const doc = readFileSync(BENCH_DOC, 'utf8');
  if (hasBenchBlock(doc, 'agent')) {
    writeFileSync(BENCH_DOC, writeBenchBlock(doc, 'agent', table));
    console.log(`   (table written to ${BENCH_DOC}, block bench:agent)`);
    const readme = join(ROOT, 'README.md');
    writeFileSync(readme, writeReadmeAgentRatio(readFileSync(readme, 'utf8'), cost.ratio));
    console.log(`   (ratio ${ratioText(cost.ratio)}× written to README.md)`);
  } else {
    console.log(`   (${BENCH_DOC} has no <!-- bench:agent:start --> … <!-- bench:agent:end --> block: add one where the table belongs)`);
  }
  return { perNode, cost };
}

void agentSection().then(
  (agent) => {
    mkdirSync(join(ROOT, 'bench-results'), { recursive: true });
    const result = {
      date: new Date().toISOString(),
      node: process.version,
      speed,
      footprint: { perStack: fp.perStack, total: t, containers: fp.containers, errors: fp.errors, fits: budget, withoutKibana: { total: bare, fits: bareBudget } },
      footprintByProfile: Object.fromEntries(Object.entries(footprints).map(([profile, { nodes, report }]) => [profile, { nodes, ...report }])),
      sampleApp: appBench,
      agent,
    };
    writeFileSync(join(ROOT, 'bench-results', 'bench.json'), JSON.stringify(result, null, 2));
    console.log('\nresults: bench-results/bench.json');
    process.exit(Object.values(footprints).some((f) => f.report.errors.length > 0) ? 1 : 0);
  },
  (err: Error) => {
    console.error(`agent cost: ${err.message}`);
    process.exit(1);
  },
);
