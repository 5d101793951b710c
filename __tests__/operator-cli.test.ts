import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fakeWorld } from './fake-world';

const ROOT = join(__dirname, '..');
const KUBECTL = join(__dirname, 'fixtures', 'fake-kubectl.js');

/** A working directory with a kind-mode kubeconfig where the tools expect it. */
function workdir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ops-'));
  mkdirSync(join(dir, '.kind', 'monitoring'), { recursive: true });
  writeFileSync(join(dir, '.kind', 'monitoring', 'kubeconfig'), 'apiVersion: v1\nkind: Config\n');
  return dir;
}

function runScript(script: string, cwd: string, env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['-r', require.resolve('ts-node/register/transpile-only'), join(ROOT, 'scripts', script)], {
    cwd,
    env: { PATH: process.env.PATH!, HOME: process.env.HOME!, TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'), KUBECTL: KUBECTL, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function collect(child: ChildProcess): { out: () => string } {
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return { out: () => out };
}

const exitOf = (child: ChildProcess) => new Promise<number | null>((r) => child.once('exit', (code) => r(code)));

async function portsFree(ports: number[]): Promise<boolean> {
  for (const port of ports) {
    const free = await new Promise<boolean>((resolve) => {
      const s = createServer().once('error', () => resolve(false)).listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (!free) return false;
  }
  return true;
}

describe('npm run verify (CLI) with port-forwards and secrets through kubectl', () => {
  it('verifies TLS against the CA from the Secret and reports every hop', async () => {
    const dir = workdir();
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost', '-days', '1'], { stdio: 'ignore' });
    const tls = { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
    const world = await fakeWorld({}, tls);
    try {
      const child = runScript('verify.ts', dir, {
        VERIFY_TIMEOUT_SECONDS: '5',
        FAKE_KUBECTL_TARGETS: JSON.stringify({ 'svc/elasticsearch': world.ports.elasticsearch, 'svc/jaeger-query': world.ports.jaeger, 'svc/sample-app': world.ports.app, 'svc/otel-collector': world.ports.prometheus }),
        FAKE_KUBECTL_SECRETS: JSON.stringify({ 'elasticsearch-es-elastic-user/elastic': 'pw', 'elasticsearch-http-certificate/ca.crt': tls.cert }),
      });
      const output = collect(child);
      expect(await exitOf(child)).toBe(0);
      expect(output.out()).toContain('9 passed, 0 failed');
      expect(output.out()).toContain('every hop of the example scenario is working');
    } finally {
      await world.close();
    }
  });

  it('exits 1 naming the first failed hop and its cause', async () => {
    const dir = workdir();
    const world = await fakeWorld({ jaeger: 'missing' });
    try {
      const child = runScript('verify.ts', dir, {
        VERIFY_TIMEOUT_SECONDS: '2',
        FAKE_KUBECTL_TARGETS: JSON.stringify({ 'svc/elasticsearch': 9, 'svc/jaeger-query': world.ports.jaeger, 'svc/sample-app': world.ports.app, 'svc/otel-collector': world.ports.prometheus }),
        FAKE_KUBECTL_SECRETS: JSON.stringify({ 'elasticsearch-es-elastic-user/elastic': 'pw', 'elasticsearch-http-certificate/ca.crt': 'x' }),
      });
      const output = collect(child);
      expect(await exitOf(child)).toBe(1);
      expect(output.out()).toMatch(/first failed hop: access log in fluentd-\*: no access log: is the Fluentd DaemonSet running\? kubectl -n logging logs ds\/fluentd/);
    } finally {
      await world.close();
    }
  });

  it('says to deploy first when there is no kubeconfig', async () => {
    const child = runScript('verify.ts', mkdtempSync(join(tmpdir(), 'ops-')), {});
    const output = collect(child);
    expect(await exitOf(child)).toBe(1);
    expect(output.out()).toMatch(/^verify: no kubeconfig at .*\.kind\/monitoring\/kubeconfig: deploy the stacks first/);
  });
});

describe('npm run open', () => {
  it('forwards the four access points, prints their URLs and stops cleanly on Ctrl-C', async () => {
    const fixed = [9200, 16686, 8080, 8889];
    if (!(await portsFree(fixed))) throw new Error(`ports ${fixed.join(', ')} must be free for this test`);
    const dir = workdir();
    const world = await fakeWorld();
    const log = join(dir, 'kubectl.log');
    try {
      const child = runScript('open.ts', dir, {
        FAKE_KUBECTL_LOG: log,
        FAKE_KUBECTL_TARGETS: JSON.stringify({ 'svc/elasticsearch': world.ports.elasticsearch, 'svc/jaeger-query': world.ports.jaeger, 'svc/sample-app': world.ports.app, 'svc/otel-collector': world.ports.prometheus }),
      });
      const output = collect(child);
      const deadline = Date.now() + 20000;
      while (!output.out().includes('Ctrl-C stops them.') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      for (const url of ['https://localhost:9200/', 'http://localhost:16686/', 'http://localhost:8080/', 'http://localhost:8889/metrics']) expect(output.out()).toContain(url);
      // The forwards really carry traffic.
      expect((await fetch('http://127.0.0.1:8080/api/orders', { method: 'POST' })).status).toBe(201);
      const exited = exitOf(child);
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      const pids = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l).pid as number);
      expect(pids).toHaveLength(4);
      for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow(); // all kubectl children gone
      expect(await portsFree(fixed)).toBe(true);
    } finally {
      await world.close();
    }
  });
});
