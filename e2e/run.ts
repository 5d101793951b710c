/**
 * Off-cluster end-to-end run of the real telemetry path: the sample app (front + backend)
 * → a real OpenTelemetry Collector running the gateway config our code generates (role gateway,
 * local profile)
 * → a real Jaeger v2, plus the collector's Prometheus endpoint. Only 127.0.0.1, bounded time.
 * Usage: npm run e2e   (E2E_BREAK=jaeger-endpoint shows the failure of a mis-wired config)
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { buildJaegerConfig } from '../constructs/jaeger/jaeger-config';
import { buildCollectorConfig, CollectorConfig } from '../constructs/otel/collector-config';
import { getDependencies, getTrace, summarizeTrace } from '../ops/jaeger-api';
import { newTraceContext, pollUntil } from '../ops/poll';
import { scrape, sumOf } from '../ops/prometheus-text';
import { builtComponents, ensureCollector, ensureJaeger } from './binaries';
import { checkJaegerWiring, inClusterConfigs, productionJaegerConfig, restrictToComponents } from './config-check';

const HOST = '127.0.0.1';
const WAIT_MS = Number(process.env.E2E_WAIT_MS ?? 30_000);
const APP_DIR = join(__dirname, '..', 'sample-app');
const work = mkdtempSync(join(tmpdir(), 'monitoring-e2e-'));
const children: ChildProcess[] = [];
const report: { step: string; ok: boolean; detail: string; ms?: number }[] = [];
const log = (line: string) => console.log(`[e2e] ${line}`);

class E2eFailure extends Error {}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, HOST, () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function start(name: string, command: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
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

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

async function waitHttp(url: string, what: string, child: ChildProcess): Promise<void> {
  const r = await pollUntil(async () => (child.exitCode !== null ? Promise.reject(new Error(`${what} exited`)) : (await fetch(url, { signal: AbortSignal.timeout(1000) })).ok), { timeoutMs: 30_000, intervalMs: 200 });
  if (!r.value) throw new E2eFailure(`${what} did not become healthy at ${url}: ${r.lastError ?? 'timeout'}\n${((child as any).lines as string[]).slice(-15).join('\n')}`);
}

function step(name: string, ok: boolean, detail: string, ms?: number) {
  report.push({ step: name, ok, detail, ms });
  log(`${ok ? 'ok  ' : 'FAIL'} ${name}: ${detail}${ms !== undefined ? ` (${ms} ms)` : ''}`);
  if (!ok) throw new E2eFailure(`${name}: ${detail}`);
}

async function main() {
  const jaegerBin = ensureJaeger(log);
  const collectorBin = ensureCollector(log);
  const ports = {
    jaeger: { otlpGrpc: await freePort(), otlpHttp: await freePort(), queryHttp: await freePort(), queryGrpc: await freePort(), health: await freePort(), metrics: await freePort() },
    collector: { otlpGrpc: await freePort(), otlpHttp: await freePort(), health: await freePort(), telemetry: await freePort() },
    prometheus: await freePort(),
  };
  const jaegerOtlp = `${HOST}:${ports.jaeger.otlpGrpc}`;

  // 1. The real binary validates the in-cluster config of each role, minus components it was not built with.
  const available = builtComponents(collectorBin);
  for (const [role, inCluster] of Object.entries(inClusterConfigs())) {
    const { config: validatable, removed } = restrictToComponents(inCluster, available);
    const file = join(work, `in-cluster-${role}.yaml`);
    writeFileSync(file, stringify(validatable));
    try {
      execFileSync(collectorBin, ['validate', `--config=${file}`], { stdio: 'pipe', env: { PATH: process.env.PATH, MY_POD_IP: HOST, ES_USERNAME: 'u', ES_PASSWORD: 'p' } });
      step(`validate in-cluster config (${role})`, true, `real collector accepts it; not built here, so not validated: ${removed.join(', ') || 'none'}`);
    } catch (err) {
      step(`validate in-cluster config (${role})`, false, String((err as { stderr?: Buffer }).stderr ?? err));
    }
  }

  // 1b. The real Jaeger binary validates the production profile's config (Elasticsearch storage,
  // TLS with our CA, password file), as the jaeger stack renders it; no Elasticsearch runs here.
  try {
    const file = join(work, 'jaeger-production.yaml');
    writeFileSync(file, stringify(productionJaegerConfig(join(work, 'production-synth'))));
    execFileSync(jaegerBin, ['validate', `--config=${file}`], { stdio: 'pipe', env: { PATH: process.env.PATH } });
    step('validate production Jaeger config (Elasticsearch storage)', true, 'real Jaeger accepts it');
  } catch (err) {
    step('validate production Jaeger config (Elasticsearch storage)', false, String((err as { stderr?: Buffer }).stderr ?? err));
  }

  // 2. Jaeger with the config the chart gets (same builder), on loopback ports.
  writeFileSync(join(work, 'jaeger.yaml'), stringify(buildJaegerConfig({ maxTraces: 10_000, listenHost: HOST, ports: ports.jaeger })));
  const jaeger = start('jaeger', jaegerBin, ['--config', join(work, 'jaeger.yaml')]);
  await waitHttp(`http://${HOST}:${ports.jaeger.health}/status`, 'Jaeger', jaeger);
  const jaegerApi = `http://${HOST}:${ports.jaeger.queryHttp}`;

  // 3. The OTLP gateway (what the apps send to in production), local profile of the same config builder the stack uses.
  const wiredTo = process.env.E2E_BREAK === 'jaeger-endpoint' ? `${HOST}:${ports.jaeger.otlpHttp}` : jaegerOtlp;
  const collectorConfig: CollectorConfig = buildCollectorConfig({ profile: 'local', role: 'gateway', jaegerOtlpEndpoint: wiredTo, clusterName: 'e2e', environment: 'e2e', ports: ports.collector, prometheusPort: ports.prometheus, listenHost: HOST });
  const wiring = checkJaegerWiring(collectorConfig, jaegerOtlp);
  step('collector → Jaeger wiring', !wiring, wiring ?? `otlp/jaeger → ${jaegerOtlp}`);
  writeFileSync(join(work, 'collector.yaml'), stringify(collectorConfig));
  const startCollector = async () => {
    const c = start('collector', collectorBin, [`--config=${join(work, 'collector.yaml')}`]);
    await waitHttp(`http://${HOST}:${ports.collector.health}/`, 'collector', c);
    return c;
  };
  let collector = await startCollector();
  const promUrl = `http://${HOST}:${ports.prometheus}/metrics`;

  // 4. The sample app, started normally (dist/server.js), front → backend.
  const appEnv = (service: string, port: number) => ({
    PORT: String(port), HOST, OTEL_SERVICE_NAME: service, OTEL_EXPORTER_OTLP_ENDPOINT: `http://${HOST}:${ports.collector.otlpHttp}`, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    OTEL_METRIC_EXPORT_INTERVAL: '1000', OTEL_METRIC_EXPORT_TIMEOUT: '900', OTEL_BSP_SCHEDULE_DELAY: '200', OTEL_EXPORTER_OTLP_TIMEOUT: '2000', DEPLOYMENT_ENVIRONMENT: 'e2e',
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
  const orderTraces = [await order(), await order(), await order()];
  const errorTraces = [await failing(), await failing()];

  // 6. Jaeger has the trace, across both services, and the error span.
  let t = await pollUntil(async () => {
    const trace = await getTrace(jaegerApi, orderTraces[0]);
    const s = trace && summarizeTrace(trace);
    return s && s.services.includes('sample-app') && s.services.includes('sample-app-backend') ? s : undefined;
  }, { timeoutMs: WAIT_MS });
  step('trace in Jaeger (both services)', !!t.value, t.value ? `${t.value.spanCount} spans from ${t.value.services.join(', ')}` : `trace ${orderTraces[0]} not found: ${t.lastError ?? 'check the collector\'s otlp/jaeger exporter'}`, t.elapsedMs);
  const e = await pollUntil(async () => {
    const trace = await getTrace(jaegerApi, errorTraces[0]);
    const s = trace && summarizeTrace(trace);
    return s && s.errorSpans.length > 0 ? s : undefined;
  }, { timeoutMs: WAIT_MS });
  step('error span in Jaeger', !!e.value, e.value ? `error on ${e.value.errorSpans.map((s) => `${s.service}:${s.operation}`).join(', ')}` : `trace ${errorTraces[0]} has no error span`, e.elapsedMs);
  const d = await pollUntil(async () => (await getDependencies(jaegerApi)).find((x) => x.parent === 'sample-app' && x.child === 'sample-app-backend'), { timeoutMs: WAIT_MS });
  step('dependency edge sample-app → sample-app-backend', !!d.value, d.value ? `${d.value.callCount} calls` : 'no edge in /api/dependencies', d.elapsedMs);

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
}

main()
  .then(() => 0, (err) => {
    if (!(err instanceof E2eFailure)) console.error(err);
    return 1;
  })
  .then(async (code) => {
    await Promise.all(children.map(stop));
    console.log('\nE2E report');
    for (const r of report) console.log(`  ${r.ok ? 'ok  ' : 'FAIL'}  ${r.step.padEnd(48)} ${r.ms !== undefined ? `${String(r.ms).padStart(6)} ms` : '         '}  ${r.detail}`);
    const failed = report.filter((r) => !r.ok).length + (code && report.every((r) => r.ok) ? 1 : 0);
    console.log(`${report.filter((r) => r.ok).length} passed, ${failed} failed`);
    process.exit(code);
  });
