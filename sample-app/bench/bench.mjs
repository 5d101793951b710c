// OTel on vs off, same machine, same run: throughput and p99 of the real app (dist/server.js)
// under autocannon on 127.0.0.1. With OTel on, spans and metrics go to a local OTLP sink.
// Prints the ratios against the targets and writes bench-results/sample-app.json.
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const duration = Number(process.env.BENCH_DURATION ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 20);
const TARGETS = { throughputRatio: 0.85, p99Ratio: 1.3 };

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

async function startSink() {
  let requests = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      requests++;
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)), requests: () => requests };
}

async function startApp(env) {
  const port = await freePort();
  const child = spawn(process.execPath, [join(here, '..', 'dist', 'server.js')], {
    env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) return { url, stop: () => new Promise((r) => (child.once('exit', r), child.kill('SIGTERM'))) };
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error('app did not start');
}

function load(url, seconds) {
  return autocannon({
    url: `${url}/api/orders`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ item: 'bench', quantity: 1 }),
    connections,
    duration: seconds,
  });
}

async function measure(label, env) {
  const app = await startApp(env);
  try {
    await load(app.url, 2); // warm-up: JIT, connection pools
    const r = await load(app.url, duration);
    if (r.non2xx > 0 || r.errors > 0) throw new Error(`${label}: ${r.non2xx} non-2xx, ${r.errors} errors`);
    return { label, requestsPerSec: r.requests.average, p99Ms: r.latency.p99, p50Ms: r.latency.p50, total: r.requests.total };
  } finally {
    await app.stop();
  }
}

const sink = await startSink();
const off = await measure('otel-off', { OTEL_SDK_DISABLED: 'true' });
const on = await measure('otel-on', { OTEL_SERVICE_NAME: 'sample-app', OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' });
await sink.close();

const throughputRatio = on.requestsPerSec / off.requestsPerSec;
const p99Ratio = on.p99Ms / Math.max(off.p99Ms, 1);
const result = {
  date: new Date().toISOString(),
  node: process.version,
  durationSeconds: duration,
  connections,
  off,
  on,
  otlpExportRequests: sink.requests(),
  throughputRatio,
  p99Ratio,
  targets: TARGETS,
  meetsTargets: throughputRatio >= TARGETS.throughputRatio && p99Ratio <= TARGETS.p99Ratio,
};
console.log(`sample-app benchmark (${duration}s, ${connections} connections, POST /api/orders)`);
console.log(`  otel off: ${off.requestsPerSec.toFixed(0)} req/s, p99 ${off.p99Ms} ms`);
console.log(`  otel on : ${on.requestsPerSec.toFixed(0)} req/s, p99 ${on.p99Ms} ms (${result.otlpExportRequests} OTLP exports)`);
console.log(`  throughput on/off: ${throughputRatio.toFixed(2)} (target >= ${TARGETS.throughputRatio})  p99 on/off: ${p99Ratio.toFixed(2)} (target <= ${TARGETS.p99Ratio})  ${result.meetsTargets ? 'OK' : 'MISSED'}`);
mkdirSync(join(here, '..', 'bench-results'), { recursive: true });
writeFileSync(join(here, '..', 'bench-results', 'sample-app.json'), JSON.stringify(result, null, 2));
