/**
 * Part of `npm run bench`: what the node agent costs.
 * (a) Per node: the requests and limits of everything that runs on every node (Fluentd and the
 *     agent DaemonSets), per profile, from the synthesized stacks (ops/footprint.ts).
 * (b) CPU per span of the agent against the collector's minimal pipeline (OTLP → batch → OTLP),
 *     on the same real collector binary (the e2e build, e2e/binaries.ts) and the same load: the
 *     agent config our builder generates (local profile: the Kubernetes-only k8s_attributes,
 *     resource_detection and kubelet_stats need a cluster and are not in this binary) and the
 *     minimal one, each forwarding to a sink collector, fed the same OTLP/HTTP protobuf requests
 *     (spans made by the OpenTelemetry SDK the sample app uses) from 127.0.0.1. CPU is the
 *     process's user + system time (/proc/<pid>/stat) from the first request until the sink has
 *     every span. Paired rounds, alternating which side runs first; bounded in spans and time.
 * Alone: `npx ts-node --transpile-only bench/agent-cost.ts`.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { buildCollectorConfig, CollectorConfig, CollectorPorts } from '../constructs/otel/collector-config';
import { ensureCollector } from '../e2e/binaries';
import { stopProcess as stop } from '../e2e/stop-process';
import { pollUntil } from '../ops/poll';
import { Footprint } from '../ops/footprint';
import { scrape, sumOf } from '../ops/prometheus-text';

const HOST = '127.0.0.1';
const ROOT = join(__dirname, '..');
/** Spans per request (the SDK's default max export batch), requests per run, parallel senders. */
export const LOAD = { spansPerRequest: 512, requests: Number(process.env.BENCH_AGENT_REQUESTS ?? 200), senders: 4 } as const;
/** Each run must finish within this (else the bench fails naming the side). */
const RUN_TIMEOUT_MS = 120_000;

export interface AgentCostResult {
  rounds: number;
  spansPerRun: number;
  /** CPU microseconds per span, per round. */
  agent: number[];
  minimal: number[];
  /** Per-round agent/minimal ratios and their median. */
  ratios: number[];
  ratio: number;
  binary: string;
}

export interface PerNodeRow {
  profile: string;
  workloads: string[];
  perNode: Footprint;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, HOST, () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function freePorts(): Promise<CollectorPorts> {
  return { otlpGrpc: await freePort(), otlpHttp: await freePort(), health: await freePort(), telemetry: await freePort() };
}

/** One OTLP/HTTP protobuf request body of `n` spans made by the sample app's OpenTelemetry SDK. */
export function otlpRequestBody(n: number): Uint8Array {
  const appRequire = createRequire(join(ROOT, 'sample-app', 'package.json'));
  const { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = appRequire('@opentelemetry/sdk-trace-base');
  const { ProtobufTraceSerializer } = appRequire('@opentelemetry/otlp-transformer');
  const exporter = new InMemorySpanExporter();
  const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).getTracer('bench');
  for (let i = 0; i < n; i++) {
    const span = tracer.startSpan(i % 4 === 0 ? 'POST /api/orders' : 'order.persist', { attributes: { 'http.request.method': 'POST', 'http.route': '/api/orders', 'app.order.item': `item-${i}`, 'app.order.quantity': i % 7 } });
    span.end();
  }
  return ProtobufTraceSerializer.serializeRequest(exporter.getFinishedSpans());
}

/** The collector's minimal pipeline: OTLP in, the batch processor, OTLP out (no limiter, no self-telemetry). */
export function minimalConfig(ports: CollectorPorts, upstream: string): Record<string, unknown> {
  return {
    extensions: { health_check: { endpoint: `${HOST}:${ports.health}` } },
    receivers: { otlp: { protocols: { http: { endpoint: `${HOST}:${ports.otlpHttp}` }, grpc: { endpoint: `${HOST}:${ports.otlpGrpc}` } } } },
    processors: { batch: {} },
    exporters: { otlp: { endpoint: upstream, tls: { insecure: true } } },
    service: { extensions: ['health_check'], pipelines: { traces: { receivers: ['otlp'], processors: ['batch'], exporters: ['otlp'] } }, telemetry: { metrics: { level: 'none' } } },
  };
}

/** The agent as deployed, in the local profile (what this binary has of it). */
export function agentConfig(ports: CollectorPorts, upstream: string): CollectorConfig {
  return buildCollectorConfig({ profile: 'local', role: 'agent', gatewayOtlpEndpoint: upstream, clusterName: 'bench', environment: 'bench', listenHost: HOST, ports });
}

/** The sink: OTLP in, debug out (sampled), its telemetry on `ports.telemetry` to count what arrived. */
function sinkConfig(ports: CollectorPorts): Record<string, unknown> {
  return {
    extensions: { health_check: { endpoint: `${HOST}:${ports.health}` } },
    receivers: { otlp: { protocols: { grpc: { endpoint: `${HOST}:${ports.otlpGrpc}` } } } },
    exporters: { debug: { verbosity: 'basic', sampling_initial: 1, sampling_thereafter: 10_000 } },
    service: { extensions: ['health_check'], pipelines: { traces: { receivers: ['otlp'], exporters: ['debug'] } }, telemetry: { metrics: { level: 'normal', readers: [{ pull: { exporter: { prometheus: { host: HOST, port: ports.telemetry } } } }] } } },
  };
}

/** user + system CPU of a process, in microseconds. */
function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
  return (ticks * 1e6) / CLK_TCK;
}
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

async function startCollector(binary: string, file: string, config: object, healthPort: number, env: NodeJS.ProcessEnv = {}): Promise<ChildProcess> {
  writeFileSync(file, stringify(config));
  const child = spawn(binary, [`--config=${file}`], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
  const up = await pollUntil(async () => (child.exitCode !== null ? Promise.reject(new Error(`exited: ${err}`)) : (await fetch(`http://${HOST}:${healthPort}/`, { signal: AbortSignal.timeout(1000) })).ok), { timeoutMs: 30_000, intervalMs: 200 });
  if (!up.value) {
    child.kill('SIGKILL');
    throw new Error(`collector (${file}) did not become healthy: ${up.lastError ?? err}`);
  }
  return child;
}


/** One run: the collector under test between the load and a fresh sink; its CPU per span. */
async function run(binary: string, dir: string, side: 'agent' | 'minimal', body: Uint8Array): Promise<number> {
  const sinkPorts = await freePorts();
  const ports = await freePorts();
  const sink = await startCollector(binary, join(dir, `sink-${side}.yaml`), sinkConfig(sinkPorts), sinkPorts.health);
  const upstream = `${HOST}:${sinkPorts.otlpGrpc}`;
  const config = side === 'agent' ? agentConfig(ports, upstream) : minimalConfig(ports, upstream);
  const under = await startCollector(binary, join(dir, `${side}.yaml`), config, ports.health, { K8S_NODE_NAME: 'bench' });
  try {
    const url = `http://${HOST}:${ports.otlpHttp}/v1/traces`;
    const post = async () => {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body, signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new Error(`${side}: POST /v1/traces answered ${res.status}`);
    };
    await post(); // warm-up request, not counted
    const total = LOAD.spansPerRequest * LOAD.requests;
    const sinkCount = async () => sumOf(await scrape(`http://${HOST}:${sinkPorts.telemetry}/metrics`), 'otelcol_receiver_accepted_spans_total') + sumOf(await scrape(`http://${HOST}:${sinkPorts.telemetry}/metrics`), 'otelcol_receiver_accepted_spans');
    const warm = await pollUntil(async () => ((await sinkCount()) >= LOAD.spansPerRequest ? true : undefined), { timeoutMs: 20_000, intervalMs: 100 });
    if (!warm.value) throw new Error(`${side}: the warm-up spans never reached the sink`);
    const cpu0 = cpuMicros(under.pid!);
    const t0 = Date.now();
    let next = 0;
    const sender = async () => {
      while (next < LOAD.requests && Date.now() - t0 < RUN_TIMEOUT_MS) {
        next++;
        await post();
      }
    };
    await Promise.all(Array.from({ length: LOAD.senders }, sender));
    const arrived = await pollUntil(async () => ((await sinkCount()) >= total + LOAD.spansPerRequest ? true : undefined), { timeoutMs: 30_000, intervalMs: 50 });
    const cpu = cpuMicros(under.pid!) - cpu0;
    if (!arrived.value) throw new Error(`${side}: the sink got ${(await sinkCount()) - LOAD.spansPerRequest} of ${total} spans`);
    return cpu / total;
  } finally {
    await stop(under);
    await stop(sink);
  }
}

/** Paired rounds (agent first, then minimal first, …): CPU µs per span of each, and their ratio. */
export async function measureAgentCost(rounds: number, log: (line: string) => void = console.log): Promise<AgentCostResult> {
  const binary = ensureCollector((l) => log(`   ${l}`));
  const dir = mkdtempSync(join(tmpdir(), 'bench-agent-'));
  const body = otlpRequestBody(LOAD.spansPerRequest);
  const agent: number[] = [];
  const minimal: number[] = [];
  try {
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? (['agent', 'minimal'] as const) : (['minimal', 'agent'] as const);
      for (const side of order) (side === 'agent' ? agent : minimal).push(await run(binary, dir, side, body));
      log(`   round ${r + 1}: agent ${agent[r].toFixed(2)} µs/span, minimal ${minimal[r].toFixed(2)} µs/span`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const ratios = agent.map((a, i) => a / minimal[i]);
  return { rounds, spansPerRun: LOAD.spansPerRequest * LOAD.requests, agent, minimal, ratios, ratio: median(ratios), binary };
}

const mib = (b: number) => `${Math.round(b / 1024 ** 2)} MiB`;

/** The ratio as the bench page and the README print it (they must agree to the digit). */
export const ratioText = (ratio: number): string => ratio.toFixed(2);

/** The table of the bench page's `agent` block: what runs on every node, and the agent's CPU per span. */
export function agentTable(perNode: PerNodeRow[], cost: AgentCostResult): string {
  const f = (x: number) => x.toFixed(2);
  return [
    'Measured by `npm run bench`. What runs on every node (DaemonSets, from the synthesized stacks), per node:',
    '',
    '| profile | workloads on every node | requests | limits |',
    '|---|---|---|---|',
    ...perNode.map((r) => `| ${r.profile} | ${r.workloads.map((w) => `\`${w}\``).join(', ')} | ${Math.round(r.perNode.cpuRequestsMilli)}m / ${mib(r.perNode.memoryRequestsBytes)} | ${Math.round(r.perNode.cpuLimitsMilli)}m / ${mib(r.perNode.memoryLimitsBytes)} |`),
    '',
    `The agent's CPU per span against the collector's minimal pipeline (OTLP → batch → OTLP), same real collector binary (the e2e build), same load: ${cost.spansPerRun} spans per run in OTLP/HTTP protobuf requests of ${LOAD.spansPerRequest} from ${LOAD.senders} senders on 127.0.0.1, each side forwarding to a sink collector; CPU = user + system time of the process; ${cost.rounds} paired rounds alternating which side runs first. The agent as the builder generates it, minus what needs a cluster (k8s_attributes, resource_detection, kubelet_stats are not in this binary).`,
    '',
    '| pipeline | CPU per span (median of rounds) | rounds |',
    '|---|---|---|',
    `| agent: memory_limiter, resource, OTLP exporter batching in its queue, answering after forwarding (+ its self-scrape) | ${f(median(cost.agent))} µs | ${cost.agent.map(f).join(', ')} |`,
    `| minimal: batch processor, OTLP exporter | ${f(median(cost.minimal))} µs | ${cost.minimal.map(f).join(', ')} |`,
    `| **ratio agent / minimal** | **${ratioText(cost.ratio)}×** | ${cost.ratios.map((r) => r.toFixed(2)).join(', ')} |`,
  ].join('\n');
}

/** The README quotes the ratio (the issue asks for it there); this is the one place that writes it. */
const README_RATIO = /(the agent costs \*\*)(\d+\.\d+)(×\*\*)/;

/** The ratio the README quotes, or undefined when its sentence is gone. */
export function readmeAgentRatio(readme: string): string | undefined {
  return README_RATIO.exec(readme)?.[2];
}

/** The README with its quoted ratio set to `ratio`; throws if the sentence that quotes it is gone. */
export function writeReadmeAgentRatio(readme: string, ratio: number): string {
  if (!README_RATIO.test(readme)) throw new Error('README.md no longer says "the agent costs **N×**": put the ratio back or drop this writer');
  return readme.replace(README_RATIO, `$1${ratioText(ratio)}$3`);
}

/** The ratio in a bench page's `agent` block (the table's bold ratio row). */
export function blockAgentRatio(blockText: string): string | undefined {
  return /\| \*\*ratio agent \/ minimal\*\* \| \*\*(\d+\.\d+)×\*\*/.exec(blockText)?.[1];
}

if (require.main === module) {
  measureAgentCost(Number(process.env.BENCH_ROUNDS ?? 3)).then(
    (r) => console.log(JSON.stringify(r, null, 2)),
    (err: Error) => {
      console.error(err.message);
      process.exit(1);
    },
  );
}
