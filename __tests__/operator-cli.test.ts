import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectorPodLabels } from '../constructs/otel/names';
import { AGENT_POD_SELECTOR, COLLECTOR_POD_SELECTOR } from '../ops/cluster-access';
import { realKubectl, RefusingApi, startRefusingApi } from './refusing-api';
import { FAKE_AGENT_KUBECTL_PODS, fakeGatewayWorld, fakeWorld, FLUENTD_PODS, fluentdKubectlPods as fluentdPods, fluentdTargets, gatewayPod } from './fake-world';

const ROOT = join(__dirname, '..');
const KUBECTL = join(__dirname, 'fixtures', 'fake-kubectl.js');

/** A working directory with a kind-mode kubeconfig where the tools expect it. */
function workdir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ops-'));
  mkdirSync(join(dir, '.kind', 'monitoring'), { recursive: true });
  writeFileSync(join(dir, '.kind', 'monitoring', 'kubeconfig'), 'apiVersion: v1\nkind: Config\n');
  return dir;
}

/** A self-signed certificate for "localhost" (the name verify reaches Elasticsearch by). */
function localhostTls(dir: string): { key: string; cert: string } {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost', '-days', '1'], { stdio: 'ignore' });
  return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
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

/** The node agents' pods as the fake kubectl lists them: one per fake node, with its node name. */
const agentPods = FAKE_AGENT_KUBECTL_PODS;

describe('npm run verify (CLI) with port-forwards and secrets through kubectl', () => {
  it('verifies TLS against the CA from the Secret and reports every hop', async () => {
    const dir = workdir();
    const tls = localhostTls(dir);
    const world = await fakeWorld({}, tls);
    const log = join(dir, 'kubectl.log');
    try {
      const child = runScript('verify.ts', dir, {
        VERIFY_TIMEOUT_SECONDS: '5',
        FAKE_KUBECTL_LOG: log,
        FAKE_KUBECTL_TARGETS: JSON.stringify({ 'svc/elasticsearch': world.ports.elasticsearch, 'svc/jaeger-query': world.ports.jaeger, 'svc/kibana-kb-http': world.ports.kibana, 'svc/sample-app': world.ports.app, 'svc/otel-collector': world.ports.prometheus, ...fluentdTargets(world.ports.fluentdPods) }),
        FAKE_KUBECTL_PODS: JSON.stringify([...fluentdPods, ...agentPods]),
        FAKE_KUBECTL_SECRETS: JSON.stringify({ 'elasticsearch-es-elastic-user/elastic': 'pw', 'elasticsearch-es-http-certs-public/ca.crt': tls.cert }),
      });
      const output = collect(child);
      expect(await exitOf(child)).toBe(0);
      expect(output.out()).toContain('(2 pods)');
      // Lines read through each pod's monitor_agent forward (84 each in the capture), the rest through its metrics forward.
      expect(output.out()).toContain('168 lines read, 128 records to Elasticsearch');
      expect(output.out()).toContain('16 passed, 0 failed');
      // Jaeger on Elasticsearch (dev): the Monitor tab's hop, read from the recorded answers of the real Jaeger.
      expect(output.out()).toMatch(/ok +Monitor tab: rate, errors, latency .* POST \/api\/orders 0\.12 req\/s/);
      // The agent hop names each node kubectl listed an agent on.
      expect(output.out()).toMatch(/node agents forwarded the spans .* kind-control-plane: \+16 spans in, \+16 forwarded.*; kind-worker: /);
      expect(output.out()).toContain('every hop of the example scenario is working');
      // Single layout: the collector through its Service; Fluentd's Running pods listed, each forwarded; the agents listed.
      const calls = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l).args as string[]);
      expect(calls.map((a) => a.slice(4).filter((x) => !x.startsWith('jsonpath=')).join(' ')).sort()).toEqual([
        '-n elasticsearch get secret elasticsearch-es-elastic-user -o',
        '-n elasticsearch get secret elasticsearch-es-http-certs-public -o',
        '-n elasticsearch port-forward --address 127.0.0.1 svc/elasticsearch :9200',
        '-n jaeger port-forward --address 127.0.0.1 svc/jaeger-query :16686',
        '-n kibana port-forward --address 127.0.0.1 svc/kibana-kb-http :5601',
        '-n logging get pods -l app.kubernetes.io/name=fluentd -o json',
        // Each Running Fluentd pod twice: its metrics and its monitor_agent (lines read). fluentd-q9m4z sorts first.
        `-n logging port-forward --address 127.0.0.1 pod/${FLUENTD_PODS[1]} :24220`,
        `-n logging port-forward --address 127.0.0.1 pod/${FLUENTD_PODS[1]} :24231`,
        `-n logging port-forward --address 127.0.0.1 pod/${FLUENTD_PODS[0]} :24220`,
        `-n logging port-forward --address 127.0.0.1 pod/${FLUENTD_PODS[0]} :24231`,
        `-n observability get pods -l ${AGENT_POD_SELECTOR} -o json`,
        '-n observability port-forward --address 127.0.0.1 svc/otel-collector :8889',
        '-n sample-app port-forward --address 127.0.0.1 svc/sample-app :8080',
      ]);
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
        FAKE_KUBECTL_TARGETS: JSON.stringify({ 'svc/elasticsearch': 9, 'svc/jaeger-query': world.ports.jaeger, 'svc/kibana-kb-http': world.ports.kibana, 'svc/sample-app': world.ports.app, 'svc/otel-collector': world.ports.prometheus }),
        FAKE_KUBECTL_SECRETS: JSON.stringify({ 'elasticsearch-es-elastic-user/elastic': 'pw', 'elasticsearch-es-http-certs-public/ca.crt': 'x' }),
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

describe('npm run verify (CLI), environment mode: the cluster the providers reach', () => {
  // The real kubectl against a listener that refuses every request: what is checked is that
  // verify's kubectl carries the KUBE_* credentials the providers read.
  let api: RefusingApi;
  beforeAll(async () => void (api = await startRefusingApi()));
  afterAll(() => api?.stop());

  it('uses KUBE_HOST, KUBE_CLUSTER_CA_CERT_DATA and KUBE_TOKEN; a refusal fails verify, naming it, without printing the token', async () => {
    const child = runScript('verify.ts', mkdtempSync(join(tmpdir(), 'ops-')), {
      KUBECTL: realKubectl(),
      MONITORING_CLUSTER_MODE: 'environment',
      MONITORING_SAMPLE_APP_IMAGE: 'ghcr.io/acme/sample-app:1.0.0',
      KUBE_HOST: `127.0.0.1:${api.port}`,
      KUBE_CLUSTER_CA_CERT_DATA: api.server.cert,
      KUBE_TOKEN: 'token-of-the-providers',
    });
    const output = collect(child);
    expect(await exitOf(child)).toBe(1);
    const seen = api.requests();
    expect(seen.length).toBeGreaterThan(0);
    for (const q of seen) expect(q.authorization).toBe('Bearer token-of-the-providers');
    expect(output.out()).toMatch(/^verify: kubectl [^\n]* exited 1:[\s\S]*You must be logged in to the server/);
    expect(output.out()).not.toContain('token-of-the-providers');
  });
});

describe('npm run verify (CLI), collector in the gateway layout', () => {
  const secrets = (ca: string) => JSON.stringify({ 'elasticsearch-es-elastic-user/elastic': 'pw', 'elasticsearch-es-http-certs-public/ca.crt': ca });
  const gatewayLabels = { ...collectorPodLabels('otel-collector'), 'pod-template-hash': '6b8f9c7d5' };
  /** Pods verify must not forward to: Pending, terminating, the cluster collector, another namespace. */
  const bystanders = [
    { name: 'otel-collector-6b8f9c7d5-pending', namespace: 'observability', labels: gatewayLabels, phase: 'Pending' },
    { name: 'otel-collector-6b8f9c7d5-leaving', namespace: 'observability', labels: gatewayLabels, phase: 'Running', deleting: true },
    { name: 'otel-collector-cluster-5c4d8-zz9', namespace: 'observability', labels: collectorPodLabels('otel-collector-cluster'), phase: 'Running' },
    { name: 'otel-collector-elsewhere', namespace: 'other', labels: gatewayLabels, phase: 'Running' },
  ];

  /** A gateway-layout config (kind mode, dev profile otherwise) in a fresh workdir. */
  function gatewayWorkdir(): string {
    const dir = workdir();
    writeFileSync(join(dir, 'monitoring-stack.yaml'), 'collector:\n  layout: gateway\n');
    return dir;
  }

  it.each(['one', 'split'] as const)('forwards to each Running gateway pod and sums their counters (counters on %s)', async (counters) => {
    const dir = gatewayWorkdir();
    const log = join(dir, 'kubectl.log');
    const tls = localhostTls(dir);
    const world = await fakeGatewayWorld({ replicas: 2, counters }, {}, tls);
    try {
      const child = runScript('verify.ts', dir, {
        VERIFY_TIMEOUT_SECONDS: '5',
        FAKE_KUBECTL_LOG: log,
        // No svc/otel-collector: a forward to the Service would fail the run.
        FAKE_KUBECTL_TARGETS: JSON.stringify({
          'svc/elasticsearch': world.ports.elasticsearch,
          'svc/jaeger-query': world.ports.jaeger,
          'svc/kibana-kb-http': world.ports.kibana,
          'svc/sample-app': world.ports.app,
          'svc/otel-collector-cluster': world.ports.clusterCollector,
          [`pod/${gatewayPod(0)}`]: world.ports.replicas[0],
          [`pod/${gatewayPod(1)}`]: world.ports.replicas[1],
          ...fluentdTargets(world.ports.fluentdPods),
        }),
        FAKE_KUBECTL_PODS: JSON.stringify([...bystanders, ...fluentdPods, ...agentPods, ...[1, 0].map((i) => ({ name: gatewayPod(i), namespace: 'observability', labels: gatewayLabels, phase: 'Running' }))]),
        FAKE_KUBECTL_SECRETS: secrets(tls.cert),
      });
      const output = collect(child);
      const code = await exitOf(child);
      expect(output.out()).toContain(`2 gateway replicas Running, each scraped: ${gatewayPod(0)}, ${gatewayPod(1)}`);
      expect(output.out()).toContain('orders +3, errors +1 (summed over 2 gateway replicas)');
      expect(output.out()).toContain('17 passed, 0 failed');
      expect(code).toBe(0);
      const calls = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l).args as string[]);
      const flags = ['--kubeconfig', join(dir, '.kind', 'monitoring', 'kubeconfig'), '--context', 'kind-monitoring'];
      expect(calls.filter((a) => a.includes('pods')).sort()).toEqual([
        [...flags, '-n', 'logging', 'get', 'pods', '-l', 'app.kubernetes.io/name=fluentd', '-o', 'json'],
        [...flags, '-n', 'observability', 'get', 'pods', '-l', AGENT_POD_SELECTOR, '-o', 'json'],
        [...flags, '-n', 'observability', 'get', 'pods', '-l', COLLECTOR_POD_SELECTOR, '-o', 'json'],
      ].sort());
      const forwards = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { pid: number; args: string[] }).filter((c) => c.args.includes('port-forward'));
      expect(forwards.map((c) => `${c.args[c.args.indexOf('-n') + 1]} ${c.args[c.args.length - 2]} ${c.args[c.args.length - 1]}`).sort()).toEqual([
        'elasticsearch svc/elasticsearch :9200',
        'jaeger svc/jaeger-query :16686',
        'kibana svc/kibana-kb-http :5601',
        `logging pod/${FLUENTD_PODS[1]} :24220`,
        `logging pod/${FLUENTD_PODS[1]} :24231`,
        `logging pod/${FLUENTD_PODS[0]} :24220`,
        `logging pod/${FLUENTD_PODS[0]} :24231`,
        `observability pod/${gatewayPod(0)} :8889`,
        `observability pod/${gatewayPod(1)} :8889`,
        'observability svc/otel-collector-cluster :8889',
        'sample-app svc/sample-app :8080',
      ]);
      for (const { pid } of forwards) expect(() => process.kill(pid, 0)).toThrow(); // every kubectl forward stopped
    } finally {
      await world.close();
    }
  });

  it('exits 1 naming the gateway when none of its pods is Running', async () => {
    const dir = gatewayWorkdir();
    const tls = localhostTls(dir);
    const world = await fakeGatewayWorld({ replicas: 0, counters: 'one' }, {}, tls);
    try {
      const child = runScript('verify.ts', dir, {
        VERIFY_TIMEOUT_SECONDS: '5',
        FAKE_KUBECTL_TARGETS: JSON.stringify({ 'svc/elasticsearch': world.ports.elasticsearch, 'svc/jaeger-query': world.ports.jaeger, 'svc/kibana-kb-http': world.ports.kibana, 'svc/sample-app': world.ports.app, 'svc/otel-collector-cluster': world.ports.clusterCollector }),
        FAKE_KUBECTL_PODS: JSON.stringify(bystanders),
        FAKE_KUBECTL_SECRETS: secrets(tls.cert),
      });
      const output = collect(child);
      expect(await exitOf(child)).toBe(1);
      expect(output.out()).toMatch(/FAILED {2}collector gateway replicas .* no Running pod matches app\.kubernetes\.io\/instance=otel-collector,app\.kubernetes\.io\/name=opentelemetry-collector in namespace observability/);
      expect(output.out()).toContain(`first failed hop: collector gateway replicas: the collector gateway has no Running replica, so nothing receives the apps' OTLP: kubectl -n observability get pods -l ${COLLECTOR_POD_SELECTOR}`);
    } finally {
      await world.close();
    }
  });
});

describe('npm run open', () => {
  it('forwards the five access points (Kibana included), prints their URLs and stops cleanly on Ctrl-C', async () => {
    const fixed = [9200, 16686, 8080, 8889, 5601];
    if (!(await portsFree(fixed))) throw new Error(`ports ${fixed.join(', ')} must be free for this test`);
    const dir = workdir();
    const world = await fakeWorld();
    const log = join(dir, 'kubectl.log');
    try {
      const child = runScript('open.ts', dir, {
        FAKE_KUBECTL_LOG: log,
        FAKE_KUBECTL_TARGETS: JSON.stringify({ 'svc/elasticsearch': world.ports.elasticsearch, 'svc/jaeger-query': world.ports.jaeger, 'svc/kibana-kb-http': world.ports.kibana, 'svc/sample-app': world.ports.app, 'svc/otel-collector': world.ports.prometheus }),
      });
      const output = collect(child);
      const deadline = Date.now() + 20000;
      while (!output.out().includes('Ctrl-C stops them.') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      for (const url of ['https://localhost:9200/', 'http://localhost:16686/', 'http://localhost:8080/', 'http://localhost:8889/metrics', 'http://localhost:5601/']) expect(output.out()).toContain(url);
      // Jaeger on Elasticsearch (dev): the Monitor tab on the Jaeger forward.
      expect(output.out()).toMatch(/Jaeger Monitor tab +http:\/\/localhost:16686\/monitor /);
      // The forwards really carry traffic (Kibana's too).
      expect((await fetch('http://127.0.0.1:8080/api/orders', { method: 'POST' })).status).toBe(201);
      expect((await fetch('http://127.0.0.1:5601/api/status')).status).toBe(401);
      const exited = exitOf(child);
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      const pids = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l).pid as number);
      expect(pids).toHaveLength(5);
      for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow(); // all kubectl children gone
      expect(await portsFree(fixed)).toBe(true);
    } finally {
      await world.close();
    }
  });
});
