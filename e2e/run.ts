/**
 * Off-cluster end-to-end run of the real telemetry path: the sample app (front + backend)
 * → a real OpenTelemetry Collector running the node agent config our code generates (role agent,
 * local profile: e2e/agent.ts)
 * → a real OpenTelemetry Collector running the gateway config our code generates (role gateway,
 * local profile)
 * → a real Jaeger v2, plus the collector's Prometheus endpoint. Then, where Java 17+ and Maven
 * are present, a real search engine peer (OpenSearch 2.19.6, e2e/opensearch.ts): the production
 * Jaeger config on Elasticsearch storage across a restart, and the index-retention script.
 * Only 127.0.0.1, bounded time.
 * Then the faults (e2e/faults.ts): collector, Jaeger, collector-with-Jaeger-down and search
 * engine outages while the app takes orders; every trace must arrive.
 * Usage: npm run e2e   (E2E_BREAK=jaeger-endpoint shows the failure of a mis-wired config;
 * E2E_BREAK=app-buffer, collector-queue or agent-ack removes what keeps the traces through a fault;
 * E2E_BREAK=metrics-backend leaves Jaeger's query service without its metric storage.
 * E2E_RECORD_METRICS=<dir> records the metrics API's answers: the tests' fixture.
 * E2E_RECORD_TRACES=<dir> records Jaeger's answers for an order trace, an error trace and the
 * dependencies: the tests' fixture.)
 */
import { ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { INDEX_JANITOR_USER } from '../constructs/elasticsearch/names';
import { retentionScript } from '../constructs/elasticsearch/index-retention';
import { buildJaegerConfig } from '../constructs/jaeger/jaeger-config';
import { buildCollectorConfig, CollectorConfig } from '../constructs/otel/collector-config';
import { getDependencies, getTrace, summarizeTrace } from '../ops/jaeger-api';
import { newTraceContext, pollUntil } from '../ops/poll';
import { scrape, sumOf } from '../ops/prometheus-text';
import { deliveryReport } from '../ops/verify';
import { builtComponents, ensureCollector, ensureJaeger } from './binaries';
import { stopProcess as stop } from './stop-process';
import { FaultContext, faultTable, FaultRow, Hop, OUTAGE_MS, runFault, traceHopFaults } from './faults';
import { fluentdCaptureOnSearchEngine } from './fluentd-capture';
import { monitorTabOnSearchEngine, MonitorTabContext } from './monitor-tab';
import { agentFault, E2E_NODE, e2eAgentConfig } from './agent';
import { jaegerServesLogLinks, jaegerUiconfig, writeJaegerUiConfig } from './trace-logs';
import { checkJaegerWiring, devConfig, inClusterConfigs, jaegerConfigForSearchPeer, jaegerUserconfig, productionConfig, productionRetentionScript, productionStacks, restrictToComponents, retentionFamilies, synthStacks } from './config-check';
import type { StackJson } from '../ops/terraform-json';
import {
  ClusterHealth, deletedByScript, ensureOpenSearchNode, findJavaToolchain, indexNames, OPENSEARCH_VERSION, openSearchJavaArgs, otlpJsonTrace, retentionFixture, searchJson, utcDay, waitForOpenSearch,
} from './opensearch';

const HOST = '127.0.0.1';
const WAIT_MS = Number(process.env.E2E_WAIT_MS ?? 30_000);
const APP_DIR = join(__dirname, '..', 'sample-app');
const work = mkdtempSync(join(tmpdir(), 'monitoring-e2e-'));
const children: ChildProcess[] = [];
const report: { step: string; ok: boolean; skipped?: boolean; detail: string; ms?: number }[] = [];
const log = (line: string) => console.log(`[e2e] ${line}`);
const faultRows: FaultRow[] = [];
/** E2E_BREAK=app-buffer: the app without its span buffer; collector-queue: the collector's queue in memory. */
const BREAK = process.env.E2E_BREAK;
/** Set once the run stops (end or signal): no process is started after that. */
let cleaned = false;

class E2eFailure extends Error {}

/** Jaeger's answer to `path`, byte for byte, as `file` in `dir` (E2E_RECORD_TRACES: the fixture of the tests' fake Jaeger). */
async function recordJaegerAnswer(dir: string, jaegerApi: string, file: string, path: string, status = 200): Promise<void> {
  const res = await fetch(`${jaegerApi}${path}`, { signal: AbortSignal.timeout(5000) });
  if (res.status !== status) throw new E2eFailure(`recording ${path}: Jaeger answered ${res.status}, not ${status}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, file), Buffer.from(await res.arrayBuffer()));
}

/** Ports handed out in this run: the kernel may give a closed port again, to the next caller. */
const handedOut = new Set<number>();

/** A port free on HOST now, never one handed out before in this run. */
async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, HOST, () => {
        const { port: p } = s.address() as { port: number };
        s.close(() => resolve(p));
      });
    });
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

function start(name: string, command: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  if (cleaned) throw new E2eFailure(`not starting ${name}: the run is stopping`);
  const child = spawn(command, args, { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const keep = (d: Buffer) => {
    lines.push(...d.toString().split('\n').filter(Boolean));
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  (child as ChildProcess & { lines: string[]; label: string }).lines = lines;
  (child as ChildProcess & { label: string }).label = name;
  children.push(child);
  return child;
}


async function waitHttp(url: string, what: string, child: ChildProcess): Promise<void> {
  const r = await pollUntil(async () => (child.exitCode !== null ? Promise.reject(new Error(`${what} exited`)) : (await fetch(url, { signal: AbortSignal.timeout(1000) })).ok), { timeoutMs: 30_000, intervalMs: 200 });
  if (!r.value) throw new E2eFailure(`${what} did not become healthy at ${url}: ${r.lastError ?? 'timeout'}\n${((child as any).lines as string[]).slice(-15).join('\n')}`);
}

/**
 * Jaeger's query extension traces itself (enable_tracing defaults to true) over OTLP gRPC to
 * localhost:4317, which in the pod is Jaeger's own receiver: here, point it at this Jaeger's
 * receiver rather than at whatever listens on 4317, and bound the export its shutdown flushes
 * after the receiver has closed (10 s by default, which held every stop for 10 s).
 */
function jaegerSelfTracing(otlpGrpcPort: number): NodeJS.ProcessEnv {
  return { OTEL_EXPORTER_OTLP_ENDPOINT: `http://${HOST}:${otlpGrpcPort}`, OTEL_EXPORTER_OTLP_TIMEOUT: '1000' };
}

function skipped(name: string, detail: string) {
  report.push({ step: name, ok: true, skipped: true, detail });
  log(`SKIPPED ${name}: ${detail}`);
}

function step(name: string, ok: boolean, detail: string, ms?: number) {
  report.push({ step: name, ok, detail, ms });
  log(`${ok ? 'ok  ' : 'FAIL'} ${name}: ${detail}${ms !== undefined ? ` (${ms} ms)` : ''}`);
  if (!ok) throw new E2eFailure(`${name}: ${detail}`);
}

async function main() {
  const jaegerBin = ensureJaeger(log);
  const collectorBin = ensureCollector(log);

  // 1. The real binary validates the in-cluster config of each role, minus components it was not built with.
  const available = builtComponents(collectorBin);
  for (const [role, inCluster] of Object.entries(inClusterConfigs())) {
    const { config: validatable, removed } = restrictToComponents(inCluster, available);
    const file = join(work, `in-cluster-${role}.yaml`);
    writeFileSync(file, stringify(validatable));
    try {
      execFileSync(collectorBin, ['validate', `--config=${file}`], { stdio: 'pipe', env: { PATH: process.env.PATH, MY_POD_IP: HOST, ES_USERNAME: 'u', ES_PASSWORD: 'p', K8S_NODE_NAME: E2E_NODE, K8S_NODE_IP: HOST } });
      step(`validate in-cluster config (${role})`, true, `real collector accepts it; not built here, so not validated: ${removed.join(', ') || 'none'}`);
    } catch (err) {
      step(`validate in-cluster config (${role})`, false, String((err as { stderr?: Buffer }).stderr ?? err));
    }
  }

  // 1b. The real Jaeger binary validates the Jaeger config of each profile as the jaeger stack
  // renders it: Elasticsearch storage (TLS with our CA, password file) and the Monitor tab's
  // metric backend in both. Steps 9-15 run the production one (where Java is present) against a
  // real OpenSearch, changed only where that peer differs.
  const production = productionStacks(join(work, 'production-synth'));
  const dev = synthStacks(join(work, 'dev-synth'), devConfig());
  for (const [profile, stacks] of [['production', production], ['dev', dev]] as const) {
    const what = `validate ${profile} Jaeger config (Elasticsearch storage, metric backend)`;
    try {
      const file = join(work, `jaeger-${profile}.yaml`);
      const rendered = jaegerUserconfig(stacks) as any;
      writeFileSync(file, stringify(rendered));
      execFileSync(jaegerBin, ['validate', `--config=${file}`], { stdio: 'pipe', env: { PATH: process.env.PATH } });
      const spans = rendered.extensions.jaeger_storage.backends.es.elasticsearch.indices.spans;
      step(what, true, `real Jaeger accepts it; jaeger_query.storage ${JSON.stringify(rendered.extensions.jaeger_query.storage)}, span indices ${spans.shards} shard(s) / ${spans.replicas} replica(s)`);
    } catch (err) {
      step(what, false, String((err as { stderr?: Buffer }).stderr ?? err));
    }
  }

  // Free ports taken just before the processes start (after the synths and validations above), so
  // that another process on this machine is less likely to take one meanwhile.
  const ports = {
    jaeger: { otlpGrpc: await freePort(), otlpHttp: await freePort(), queryHttp: await freePort(), queryGrpc: await freePort(), health: await freePort(), metrics: await freePort() },
    collector: { otlpGrpc: await freePort(), otlpHttp: await freePort(), health: await freePort(), telemetry: await freePort() },
    agent: { otlpGrpc: await freePort(), otlpHttp: await freePort(), health: await freePort(), telemetry: await freePort() },
    prometheus: await freePort(),
  };
  const jaegerOtlp = `${HOST}:${ports.jaeger.otlpGrpc}`;

  // 2. Jaeger with the config the chart gets (same builder), on loopback ports.
  // With the UI config (link patterns to Kibana) as the jaeger stack renders it.
  writeFileSync(join(work, 'jaeger.yaml'), stringify(buildJaegerConfig({ maxTraces: 10_000, listenHost: HOST, ports: ports.jaeger, uiConfigFile: writeJaegerUiConfig(production, work) })));
  const startJaeger = async () => {
    const j = start('jaeger', jaegerBin, ['--config', join(work, 'jaeger.yaml')], jaegerSelfTracing(ports.jaeger.otlpGrpc));
    await waitHttp(`http://${HOST}:${ports.jaeger.health}/status`, 'Jaeger', j);
    return j;
  };
  let jaeger = await startJaeger();
  const jaegerApi = `http://${HOST}:${ports.jaeger.queryHttp}`;

  // 3. The OTLP gateway (what the apps send to in production), local profile of the same config builder the stack uses.
  const wiredTo = BREAK === 'jaeger-endpoint' ? `${HOST}:${ports.jaeger.otlpHttp}` : jaegerOtlp;
  // The persistent sending queue as in the cluster, in a directory of this run.
  const persistentQueue = BREAK === 'collector-queue' ? false : { directory: join(work, 'collector-queue') };
  const gatewayConfig = (jaegerOtlpEndpoint: string): CollectorConfig =>
    buildCollectorConfig({ profile: 'local', role: 'gateway', jaegerOtlpEndpoint, clusterName: 'e2e', environment: 'e2e', ports: ports.collector, prometheusPort: ports.prometheus, listenHost: HOST, persistentQueue });
  const collectorConfig = gatewayConfig(wiredTo);
  const wiring = checkJaegerWiring(collectorConfig, jaegerOtlp);
  step('collector → Jaeger wiring', !wiring, wiring ?? `otlp/jaeger → ${jaegerOtlp}`);
  writeFileSync(join(work, 'collector.yaml'), stringify(collectorConfig));
  const startCollector = async () => {
    const c = start('collector', collectorBin, [`--config=${join(work, 'collector.yaml')}`]);
    await waitHttp(`http://${HOST}:${ports.collector.health}/`, 'collector', c);
    return c;
  };
  let collector = await startCollector();
  /** The collector as a fault stops and starts it; `rewire` points it at another Jaeger (same ports, same queue). */
  const collectorHop = {
    name: 'collector',
    stop: () => stop(collector),
    start: async () => {
      collector = await startCollector();
    },
    rewire: async (jaegerOtlpEndpoint: string) => {
      await stop(collector);
      writeFileSync(join(work, 'collector.yaml'), stringify(gatewayConfig(jaegerOtlpEndpoint)));
      collector = await startCollector();
    },
  };
  const promUrl = `http://${HOST}:${ports.prometheus}/metrics`;

  // 3b. The node agent in front of the gateway: what the apps send to (e2e/agent.ts).
  const ackOnReceipt = BREAK === 'agent-ack';
  writeFileSync(join(work, 'agent.yaml'), stringify(e2eAgentConfig({ host: HOST, ports: ports.agent, gatewayOtlpEndpoint: `${HOST}:${ports.collector.otlpGrpc}`, ackOnReceipt })));
  const startAgent = async () => {
    const a = start('agent', collectorBin, [`--config=${join(work, 'agent.yaml')}`], { K8S_NODE_NAME: E2E_NODE });
    await waitHttp(`http://${HOST}:${ports.agent.health}/`, 'agent', a);
    return a;
  };
  let agent = await startAgent();
  const agentHop = {
    name: 'agent',
    kill: async () => {
      const exited = new Promise((r) => agent.once('exit', r));
      agent.kill('SIGKILL');
      await exited;
    },
    start: async () => {
      agent = await startAgent();
    },
  };

  // 4. The sample app, started normally (dist/server.js), front → backend, sending to the agent.
  const appEnv = (service: string, port: number) => ({
    PORT: String(port), HOST, OTEL_SERVICE_NAME: service, OTEL_EXPORTER_OTLP_ENDPOINT: `http://${HOST}:${ports.agent.otlpHttp}`, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    OTEL_METRIC_EXPORT_INTERVAL: '1000', OTEL_METRIC_EXPORT_TIMEOUT: '900', OTEL_BSP_SCHEDULE_DELAY: '200', OTEL_EXPORTER_OTLP_TIMEOUT: '2000', DEPLOYMENT_ENVIRONMENT: 'e2e',
    ...(BREAK === 'app-buffer' ? { TELEMETRY_BUFFER_SPANS: '0' } : {}),
  });
  const backendPort = await freePort();
  const frontPort = await freePort();
  const backend = start('sample-app-backend', process.execPath, [join(APP_DIR, 'dist', 'server.js')], { ...appEnv('sample-app-backend', backendPort), SERVICE_ROLE: 'backend' });
  await waitHttp(`http://${HOST}:${backendPort}/readyz`, 'sample-app-backend', backend);
  const front = start('sample-app', process.execPath, [join(APP_DIR, 'dist', 'server.js')], { ...appEnv('sample-app', frontPort), SERVICE_ROLE: 'front', BACKEND_URL: `http://${HOST}:${backendPort}` });
  await waitHttp(`http://${HOST}:${frontPort}/readyz`, 'sample-app', front);
  const app = `http://${HOST}:${frontPort}`;

  // 5. Known requests: 3 orders and 2 errors, each with a trace id we chose.
  const order = async () => {
    const ctx = newTraceContext();
    const res = await fetch(`${app}/api/orders`, { method: 'POST', headers: { 'content-type': 'application/json', traceparent: ctx.traceparent }, body: '{"item":"e2e","quantity":1}' });
    if (res.status !== 201) throw new E2eFailure(`POST /api/orders answered ${res.status}`);
    return ctx.traceId;
  };
  const failing = async () => {
    const ctx = newTraceContext();
    const res = await fetch(`${app}/api/error`, { headers: { traceparent: ctx.traceparent } });
    if (res.status !== 500) throw new E2eFailure(`GET /api/error answered ${res.status}`);
    return ctx.traceId;
  };
  const slow = async (ms: number) => {
    const ctx = newTraceContext();
    const res = await fetch(`${app}/api/slow?ms=${ms}`, { headers: { traceparent: ctx.traceparent } });
    if (res.status !== 200) throw new E2eFailure(`GET /api/slow?ms=${ms} answered ${res.status}`);
    return ctx.traceId;
  };
  if (process.env.E2E_RECORD_TRACES) {
    // Before any request: a trace Jaeger does not have, and no dependency yet.
    await recordJaegerAnswer(process.env.E2E_RECORD_TRACES, jaegerApi, 'missing.trace.json', `/api/traces/${newTraceContext().traceId}`, 404);
    await recordJaegerAnswer(process.env.E2E_RECORD_TRACES, jaegerApi, 'before.dependencies.json', `/api/dependencies?endTs=${Date.now()}&lookback=3600000`);
  }
  const orderTraces = [await order(), await order(), await order()];
  const errorTraces = [await failing(), await failing()];

  // 6. Jaeger has the trace, across both services, and the error span.
  let t = await pollUntil(async () => {
    const trace = await getTrace(jaegerApi, orderTraces[0]);
    const s = trace && summarizeTrace(trace);
    return s && s.services.includes('sample-app') && s.services.includes('sample-app-backend') ? s : undefined;
  }, { timeoutMs: WAIT_MS });
  step('trace in Jaeger (both services)', !!t.value, t.value ? `${t.value.spanCount} spans from ${t.value.services.join(', ')}` : `trace ${orderTraces[0]} not found: ${t.lastError ?? 'check the collector\'s otlp/jaeger exporter'}`, t.elapsedMs);
  // 6b. The link patterns "Logs for this trace/span", served by this Jaeger (e2e/trace-logs.ts).
  await jaegerServesLogLinks({ jaegerApi, traceId: orderTraces[0], rendered: jaegerUiconfig(production), step });
  const e = await pollUntil(async () => {
    const trace = await getTrace(jaegerApi, errorTraces[0]);
    const s = trace && summarizeTrace(trace);
    return s && s.errorSpans.length > 0 ? s : undefined;
  }, { timeoutMs: WAIT_MS });
  step('error span in Jaeger', !!e.value, e.value ? `error on ${e.value.errorSpans.map((s) => `${s.service}:${s.operation}`).join(', ')}` : `trace ${errorTraces[0]} has no error span`, e.elapsedMs);
  const d = await pollUntil(async () => (await getDependencies(jaegerApi)).find((x) => x.parent === 'sample-app' && x.child === 'sample-app-backend'), { timeoutMs: WAIT_MS });
  step('dependency edge sample-app → sample-app-backend', !!d.value, d.value ? `${d.value.callCount} calls` : 'no edge in /api/dependencies', d.elapsedMs);
  const recordTraces = process.env.E2E_RECORD_TRACES;
  if (recordTraces && t.value && e.value && d.value) {
    // What verify asks, once Jaeger has what it looks for; ids.json (ours) names the traces.
    await recordJaegerAnswer(recordTraces, jaegerApi, 'order.trace.json', `/api/traces/${orderTraces[0]}`);
    await recordJaegerAnswer(recordTraces, jaegerApi, 'error.trace.json', `/api/traces/${errorTraces[0]}`);
    await recordJaegerAnswer(recordTraces, jaegerApi, 'dependencies.json', `/api/dependencies?endTs=${Date.now()}&lookback=3600000`);
    writeFileSync(join(recordTraces, 'ids.json'), `${JSON.stringify({ order: orderTraces[0], error: errorTraces[0] }, null, 2)}\n`);
  }

  // 7. The collector's Prometheus endpoint counts exactly what we sent.
  const m = await pollUntil(async () => {
    const samples = await scrape(promUrl);
    const orders = sumOf(samples, 'http_server_request_duration_seconds_count', { job: 'sample-app', http_route: '/api/orders', http_response_status_code: '201' });
    const errors = sumOf(samples, 'app_errors_total', { job: 'sample-app', http_route: '/api/error' });
    return orders === 3 && errors === 2 ? { orders, errors } : undefined;
  }, { timeoutMs: WAIT_MS });
  step('Prometheus endpoint counters', !!m.value, m.value ? `orders=${m.value.orders}, errors=${m.value.errors}` : `expected 3 orders and 2 errors on ${promUrl}: ${m.lastError ?? 'counts differ'}`, m.elapsedMs);

  // 8. Collector down: the app keeps serving. Back up: data flows again.
  await stop(collector);
  let served = 0;
  for (let i = 0; i < 20; i++) if ((await fetch(`${app}/api/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"item":"down","quantity":1}' })).status === 201) served++;
  step('app serves while the collector is down', served === 20, `${served}/20 requests answered 201`);
  collector = await startCollector();
  const after = await order();
  t = await pollUntil(async () => {
    const trace = await getTrace(jaegerApi, after);
    return trace ? summarizeTrace(trace) : undefined;
  }, { timeoutMs: WAIT_MS });
  step('data flows after the collector restarts', !!t.value, t.value ? `trace ${after.slice(0, 8)}… in Jaeger` : `trace ${after} not found after restart`, t.elapsedMs);

  // 8b. Faults: a hop down while the app takes orders; every trace sent meanwhile must arrive.
  const faults: FaultContext = { log, step, sendOrder: order };
  const jaegerHop: Hop = {
    name: 'Jaeger',
    stop: () => stop(jaeger),
    start: async () => {
      jaeger = await startJaeger();
    },
  };
  faultRows.push(await runFault(faults, () => jaegerApi, { name: 'none (baseline)', down: [], keptBy: 'the plain path' }));
  faultRows.push(...(await traceHopFaults(faults, { collector: collectorHop, jaeger: jaegerHop }, () => jaegerApi)));
  faultRows.push(await agentFault(faults, agentHop, () => jaegerApi, ackOnReceipt));

  // 8c. What `npm run verify` reads to report loss, from the real collector and apps: present, and zero after those faults.
  const delivery = await pollUntil(async () => {
    const samples = await scrape(promUrl);
    const report = deliveryReport(samples);
    return report && samples.some((x) => x.name === 'telemetry_spans_buffered') ? report : undefined;
  }, { timeoutMs: WAIT_MS });
  step(
    "verify's loss counters on the real collector",
    !!delivery.value && !delivery.value.loss,
    delivery.value ? (delivery.value.loss ?? delivery.value.detail) : `no otelcol_exporter_queue_capacity or telemetry_spans_buffered on ${promUrl}: ${delivery.lastError ?? 'missing'}`,
    delivery.elapsedMs,
  );

  // 9-15. A real search engine peer: Jaeger's Elasticsearch storage, the index retention, the link's query, the Monitor tab, the engine down.
  await searchEngineSteps(jaegerBin, production, { faults, collector: collectorHop }, { memoryApi: jaegerApi, order, failing, slow });
}

/**
 * Where Java 17+ and Maven are present: a single-node OpenSearch 2.19.6 (Elasticsearch 7.10
 * fork, e2e/opensearch.ts) on loopback, then (a) a second Jaeger with the production config
 * (changed only where this peer differs) keeps a trace across its restart and writes the daily
 * index families we expect, and (b) the retention script deletes the expired indices of every
 * family we write and keeps today's. Without Java or Maven: one SKIPPED line, the run goes on.
 */
async function searchEngineSteps(
  jaegerBin: string,
  production: Record<string, StackJson>,
  fault: { faults: FaultContext; collector: { rewire(jaegerOtlpEndpoint: string): Promise<void> } },
  app: Pick<MonitorTabContext, 'memoryApi' | 'order' | 'failing' | 'slow'>,
) {
  const { toolchain, missing } = findJavaToolchain();
  if (!toolchain) {
    skipped(`OpenSearch ${OPENSEARCH_VERSION} steps (Elasticsearch storage, retention, the logs link's query, search engine down)`, `${missing} on this machine (needed to build and run the OpenSearch node)`);
    return;
  }
  const built0 = Date.now();
  let node;
  try {
    node = ensureOpenSearchNode(toolchain, log);
  } catch (err) {
    return step(`OpenSearch ${OPENSEARCH_VERSION} up`, false, `Maven build of tools/opensearch-node failed: ${(err as Error).message}`);
  }
  const buildMs = Date.now() - built0;

  // 9. OpenSearch on a free loopback port, plain http, no security plugin.
  const esPort = await freePort();
  const es = `http://${HOST}:${esPort}`;
  const dataDir = join(work, 'opensearch');
  mkdirSync(dataDir);
  const started = Date.now();
  let opensearch = start('opensearch', toolchain.java, openSearchJavaArgs(node, esPort, dataDir));
  const up = await waitForOpenSearch(es, opensearch);
  if (!up.health) return step(`OpenSearch ${OPENSEARCH_VERSION} up`, false, `not healthy at ${es}: ${up.error}`, Date.now() - started);
  const info = await searchJson<{ version: { number: string; distribution?: string } }>(es, '/');
  step(
    `OpenSearch ${OPENSEARCH_VERSION} up`,
    info.version.number === OPENSEARCH_VERSION && up.health.status !== 'red',
    `${info.version.distribution ?? '?'} ${info.version.number} at ${es} (http, no security plugin, Java ${toolchain.javaVersion}), health ${up.health.status}, ${up.health.number_of_nodes} node; ${node.built ? `built with Maven in ${buildMs} ms` : 'cached build'}`,
    Date.now() - started,
  );

  // 10. A second Jaeger, on the production config as rendered, changed only where the peer differs
  // (jaegerConfigForSearchPeer: server URL, no tls/auth, version 7, loopback ports). Replicas stay 1 as
  // rendered: the single node cannot place them, so Jaeger's indices are yellow, which neither its
  // writes nor its reads wait on.
  const jaegerPorts = { otlpGrpc: await freePort(), otlpHttp: await freePort(), queryHttp: await freePort(), queryGrpc: await freePort(), health: await freePort(), metrics: await freePort() };
  const productionJaeger = jaegerUserconfig(production) as any;
  const { config: esJaegerConfig, changes } = jaegerConfigForSearchPeer(productionJaeger, { serverUrl: es, listenHost: HOST, ports: jaegerPorts, uiConfigFile: writeJaegerUiConfig(production, work) });
  // E2E_BREAK=metrics-backend: the query service without its metric storage (the Monitor tab step must fail).
  if (BREAK === 'metrics-backend') delete (esJaegerConfig as any).extensions.jaeger_query.storage.metrics;
  const esJaegerFile = join(work, 'jaeger-opensearch.yaml');
  writeFileSync(esJaegerFile, stringify(esJaegerConfig));
  const startEsJaeger = async () => {
    const j = start('jaeger-opensearch', jaegerBin, ['--config', esJaegerFile], jaegerSelfTracing(jaegerPorts.otlpGrpc));
    await waitHttp(`http://${HOST}:${jaegerPorts.health}/status`, 'Jaeger (OpenSearch storage)', j);
    return j;
  };
  const api = `http://${HOST}:${jaegerPorts.queryHttp}`;
  const t0 = Date.now();
  let esJaeger = await startEsJaeger();
  const { traceId } = newTraceContext();
  const spanId = newTraceContext().traceparent.split('-')[2];
  const spanStart = Date.now();
  const res = await fetch(`http://${HOST}:${jaegerPorts.otlpHttp}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(otlpJsonTrace({ traceId, spanId, service: 'e2e-opensearch', name: 'store-and-read', startMs: spanStart })),
    signal: AbortSignal.timeout(5000),
  });
  if (!res.ok) return step('Jaeger on its Elasticsearch storage', false, `OTLP/HTTP POST /v1/traces answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
  const found = await pollUntil(async () => {
    const trace = await getTrace(api, traceId);
    return trace ? summarizeTrace(trace) : undefined;
  }, { timeoutMs: WAIT_MS });
  if (!found.value) return step('Jaeger on its Elasticsearch storage', false, `trace ${traceId} not returned by ${api}/api/traces: ${found.lastError ?? 'not found'}\n${((esJaeger as any).lines as string[]).slice(-10).join('\n')}`, Date.now() - t0);
  // Spans go to the daily indices of their start time (UTC).
  const day = utcDay(new Date(spanStart));
  const expectedIndices = [`jaeger-span-${day}`, `jaeger-service-${day}`];
  const indices = await indexNames(es);
  const templates = Object.keys(await searchJson<Record<string, unknown>>(es, '/_template')).filter((n) => n.startsWith('jaeger-')).sort();
  type IndexSettings = Record<string, { settings: { index: { number_of_shards: string; number_of_replicas: string } } }>;
  const spanSettings = (await searchJson<IndexSettings>(es, `/${expectedIndices[0]}/_settings`).catch((): IndexSettings => ({})))[expectedIndices[0]]?.settings.index;
  const wanted = productionJaeger.extensions.jaeger_storage.backends.es.elasticsearch.indices.spans;
  const health = await searchJson<ClusterHealth>(es, '/_cluster/health');
  const problems = [
    ...expectedIndices.filter((i) => !indices.includes(i)).map((i) => `no index ${i} (indices: ${indices.filter((x) => x.startsWith('jaeger')).join(', ') || 'none'})`),
    ...['jaeger-span', 'jaeger-service'].filter((n) => !templates.includes(n)).map((n) => `no index template ${n} (templates: ${templates.join(', ') || 'none'})`),
    ...(spanSettings && spanSettings.number_of_shards === String(wanted.shards) && spanSettings.number_of_replicas === String(wanted.replicas)
      ? []
      : [`${expectedIndices[0]} has shards/replicas ${spanSettings?.number_of_shards}/${spanSettings?.number_of_replicas}, the rendered indices.spans says ${wanted.shards}/${wanted.replicas}`]),
  ];
  step(
    'Jaeger on its Elasticsearch storage',
    problems.length === 0,
    problems.length
      ? problems.join('; ')
      : `trace ${traceId.slice(0, 8)}… stored and read back (${found.value.spanCount} span); indices ${expectedIndices.join(', ')} (shards/replicas ${wanted.shards}/${wanted.replicas} from Jaeger's template, as rendered: cluster ${health.status}, ${health.unassigned_shards} replica shards with no second node); templates ${templates.join(', ')}; production config except: ${changes.join('; ')}`,
    Date.now() - t0,
  );

  // 11. The same trace after a restart of that Jaeger (SIGTERM, same config): it comes from the engine.
  const r0 = Date.now();
  await stop(esJaeger);
  const exitedWith = esJaeger.exitCode ?? esJaeger.signalCode;
  esJaeger = await startEsJaeger();
  const again = await pollUntil(async () => {
    const trace = await getTrace(api, traceId);
    return trace ? summarizeTrace(trace) : undefined;
  }, { timeoutMs: WAIT_MS });
  step(
    'traces survive a Jaeger restart',
    !!again.value && again.value.services.includes('e2e-opensearch'),
    again.value ? `trace ${traceId.slice(0, 8)}… (${again.value.services.join(', ')}) returned by the restarted Jaeger (the first exited with ${exitedWith})` : `trace ${traceId} not returned after the restart: ${again.lastError ?? 'not found'}`,
    Date.now() - r0,
  );
  await stop(esJaeger);

  // 12. Retention on the real engine: every family we write, one index 30 days old and one of today.
  const p0 = Date.now();
  const families = retentionFamilies(productionConfig());
  const days = 7;
  const script = retentionScript(families, days);
  if (script !== productionRetentionScript(production)) {
    return step('retention on a real engine', false, `retentionScript(${families.join(' ')}, ${days}) is not the script of the production CronJob: the e2e would test something else than what is deployed`);
  }
  const fixture = retentionFixture(families, new Date());
  let existing = 0;
  for (const index of [...fixture.expired, ...fixture.current]) {
    try {
      await searchJson(es, `/${index}`, { method: 'PUT', body: { settings: { index: { number_of_shards: 1, number_of_replicas: 0 } } } });
    } catch (err) {
      if (!/resource_already_exists_exception/.test((err as Error).message)) throw err;
      existing++; // today's Jaeger indices, written in step 10
    }
  }
  const before = await indexNames(es);
  // Run unchanged: curl ignores --cacert /es-ca/ca.crt (absent here) for an http:// URL; -u goes to a node without security plugin, which ignores it.
  const run = spawnSync('sh', ['-c', script], { encoding: 'utf8', timeout: 60_000, env: { PATH: process.env.PATH, ES_URL: es, ES_USERNAME: INDEX_JANITOR_USER, ES_PASSWORD: 'e2e-unused' } });
  const afterIndices = await indexNames(es);
  const gone = before.filter((i) => !afterIndices.includes(i)).sort();
  const said = deletedByScript(run.stdout ?? '');
  const expired = [...fixture.expired].sort();
  const retentionProblems = [
    ...(run.status === 0 ? [] : [`script exited ${run.status ?? run.signal ?? run.error?.message}: ${(run.stderr ?? '').trim().slice(0, 300)}`]),
    ...(JSON.stringify(gone) === JSON.stringify(expired) ? [] : [`deleted ${gone.join(', ') || 'nothing'}, expected exactly ${expired.join(', ')}`]),
    ...fixture.current.filter((i) => !afterIndices.includes(i)).map((i) => `${i} (today) is gone`),
    ...(JSON.stringify([...said].sort()) === JSON.stringify(expired) ? [] : [`"deleting" lines name ${said.join(', ') || 'nothing'}, expected one per expired index`]),
  ];
  step(
    'retention on a real engine',
    retentionProblems.length === 0,
    retentionProblems.length
      ? retentionProblems.join('; ')
      : `retentionScript(${families.join(' ')}, ${days}) (= the production CronJob's) deleted the ${expired.length} indices dated ${expired[0].slice(-10)} and kept the ${fixture.current.length} of today (${existing} of them Jaeger's own), ${said.length} "deleting" lines; run as is: curl ignores --cacert for http://`,
    Date.now() - p0,
  );

  // 13. What the real Fluentd sent for several apps' lines of every shape, on this engine with our
  // templates: each line exactly once as the pipeline writes it, twice replayed still once, what
  // apps wrote searchable, the link's query exact (e2e/fluentd-capture.ts).
  await fluentdCaptureOnSearchEngine({ es, step });

  // 14. The collector, rewired to the Jaeger on OpenSearch storage (same ports, same queue): the
  // Monitor tab's metrics, computed by its metric backend from the spans there (e2e/monitor-tab.ts).
  esJaeger = await startEsJaeger();
  await fault.collector.rewire(`${HOST}:${jaegerPorts.otlpGrpc}`);
  await monitorTabOnSearchEngine({ ...app, api, step, waitMs: WAIT_MS, record: process.env.E2E_RECORD_METRICS });

  // 15. The search engine down while the app takes orders: that Jaeger must bring every trace into it.
  const opensearchHop: Hop = {
    name: 'OpenSearch',
    stop: () => stop(opensearch),
    start: async () => {
      opensearch = start('opensearch', toolchain.java, openSearchJavaArgs(node, esPort, dataDir));
      const back = await waitForOpenSearch(es, opensearch);
      if (!back.health) throw new E2eFailure(`OpenSearch did not come back at ${es}: ${back.error}`);
    },
  };
  faultRows.push(await runFault(fault.faults, () => api, { name: `OpenSearch down (${OUTAGE_MS / 1000} s of orders + its restart), Jaeger on Elasticsearch storage`, down: [opensearchHop], keptBy: "the collector's sending queue and Jaeger's Elasticsearch writer" }));
  await stop(esJaeger);
  await stop(opensearch);
}

let cleaning: Promise<void> | undefined;
/** Stops every process the run started and removes its temp dir; once, whoever asks first (end of run or signal). */
function cleanup(): Promise<void> {
  cleaned = true;
  cleaning ??= Promise.all(children.map(stop)).then(() => rmSync(work, { recursive: true, force: true, maxRetries: 3 }));
  return cleaning;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping`);
    void cleanup().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  });
}

main()
  .then(() => 0, (err) => {
    if (!(err instanceof E2eFailure)) console.error(err);
    else if (report.every((r) => r.ok)) log(`FAIL ${err.message}`); // not a step's (waitHttp, a refused start): say what
    return 1;
  })
  .then(async (code) => {
    await cleanup();
    console.log('\nE2E report');
    for (const r of report) console.log(`  ${(r.skipped ? 'SKIPPED' : r.ok ? 'ok' : 'FAIL').padEnd(7)}  ${r.step.padEnd(58)} ${r.ms !== undefined ? `${String(r.ms).padStart(6)} ms` : '         '}  ${r.detail}`);
    const failed = report.filter((r) => !r.ok).length + (code && report.every((r) => r.ok) ? 1 : 0);
    const skippedCount = report.filter((r) => r.skipped).length;
    if (faultRows.length) console.log(`\nTraces sent during each fault vs found in Jaeger afterwards${BREAK ? ` (E2E_BREAK=${BREAK})` : ''}:\n${faultTable(faultRows)}\n`);
    console.log(`${report.filter((r) => r.ok && !r.skipped).length} passed, ${failed} failed${skippedCount ? `, ${skippedCount} skipped` : ''}`);
    process.exit(code);
  });
