import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { retentionScript } from '../constructs/elasticsearch/index-retention';
import { JAEGER_PORTS } from '../constructs/jaeger/jaeger-config';
import { JAEGER_INDEX_FAMILIES } from '../constructs/jaeger/names';
import { jaegerConfigForSearchPeer, jaegerUserconfig, productionConfig, productionRetentionScript, productionStacks, retentionFamilies } from '../e2e/config-check';
import {
  deletedByScript, findJavaToolchain, javaMajor, OPENSEARCH_MAIN_CLASS, OPENSEARCH_READY_LINE, openSearchJavaArgs, otlpJsonTrace, retentionFixture, sourceHash, utcDay,
} from '../e2e/opensearch';
import type { StackJson } from '../ops/terraform-json';

const peerPorts = { otlpGrpc: 40001, otlpHttp: 40002, queryHttp: 40003, queryGrpc: 40004, health: 40005, metrics: 40006 };
const peer = { serverUrl: 'http://127.0.0.1:39200', listenHost: '127.0.0.1', ports: peerPorts, uiConfigFile: '/tmp/e2e/ui-config.json' };

let outdir: string;
let stacks: Record<string, StackJson>;
beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'e2e-opensearch-'));
  stacks = productionStacks(outdir);
});
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('the production Jaeger config for the OpenSearch peer', () => {
  it('changes only the server URL, tls, auth, version, the UI config path and the listen addresses, and names each change', () => {
    const production = jaegerUserconfig(stacks) as any;
    const before = structuredClone(production);
    const { config, changes } = jaegerConfigForSearchPeer(production, peer) as { config: any; changes: string[] };
    expect(production).toEqual(before); // not mutated

    const es = config.extensions.jaeger_storage.backends.es.elasticsearch;
    const prodEs = production.extensions.jaeger_storage.backends.es.elasticsearch;
    expect(es.server_urls).toEqual(['http://127.0.0.1:39200']);
    expect(es.version).toBe(7);
    expect(prodEs.version).toBe(9);
    expect(es).not.toHaveProperty('tls');
    expect(es).not.toHaveProperty('auth');
    // Everything else of the backend as rendered, replicas (1) included.
    const { server_urls: _a, version: _b, tls: _c, auth: _d, ...restProd } = prodEs;
    const { server_urls: _e, version: _f, ...rest } = es;
    expect(rest).toEqual(restProd);
    expect(rest).toMatchObject({ create_mappings: true, use_ilm: false, use_aliases: false, disable_health_check: true, max_span_age: '168h' });
    expect(rest.indices.spans).toEqual({ shards: 1, replicas: 1, rollover_frequency: 'day' });
    // The Monitor tab's metric backend reaches the same peer the same way.
    expect(production.extensions.jaeger_storage.metric_backends['es-metrics'].elasticsearch).toEqual(prodEs);
    expect(config.extensions.jaeger_storage.metric_backends['es-metrics'].elasticsearch).toEqual(es);

    // Each listener on loopback at the peer's port of the same name.
    expect(config.receivers.otlp.protocols).toEqual({ grpc: { endpoint: '127.0.0.1:40001' }, http: { endpoint: '127.0.0.1:40002' } });
    expect(config.extensions.jaeger_query.http.endpoint).toBe('127.0.0.1:40003');
    expect(config.extensions.jaeger_query.grpc.endpoint).toBe('127.0.0.1:40004');
    expect(config.extensions.healthcheckv2.http.endpoint).toBe('127.0.0.1:40005');
    expect(config.service.telemetry.metrics.readers[0].pull.exporter.prometheus).toEqual({ host: '127.0.0.1', port: 40006 });
    expect(JSON.stringify(config)).not.toContain('0.0.0.0');

    // Pipeline, exporter and query wiring as rendered.
    expect(config.service.pipelines).toEqual(production.service.pipelines);
    expect(config.exporters).toEqual(production.exporters);
    expect(config.extensions.jaeger_query.storage).toEqual(production.extensions.jaeger_query.storage);
    expect(config.service.extensions).toEqual(production.service.extensions);
    expect(config.processors).toEqual(production.processors);

    expect(changes).toEqual([
      'server_urls ["https://elasticsearch.elasticsearch.svc:9200"] → ["http://127.0.0.1:39200"] (trace backend es, metric backend es-metrics)',
      'no tls (plain http peer)',
      'no auth (no security plugin)',
      'version 7 (production 9: OpenSearch 2 speaks the ES 7 API)',
      'ui.config_file /etc/jaeger/ui-config.json → /tmp/e2e/ui-config.json',
      '6 listen addresses 0.0.0.0:<chart port> → 127.0.0.1:<free port>',
    ]);
    expect(config.extensions.jaeger_query.ui).toEqual({ config_file: '/tmp/e2e/ui-config.json' });
    expect(production.extensions.jaeger_query.ui).toEqual({ config_file: '/etc/jaeger/ui-config.json' });
    // Without the peer's copy Jaeger would stop at start: refused here with the reason.
    expect(() => jaegerConfigForSearchPeer(production, { ...peer, uiConfigFile: undefined })).toThrow('production Jaeger config reads its UI config from /etc/jaeger/ui-config.json');
  });

  it('refuses a production listener it has no loopback port for, and a config without Elasticsearch storage', () => {
    const production = jaegerUserconfig(stacks) as any;
    const extra = structuredClone(production);
    extra.extensions.pprof = { endpoint: '0.0.0.0:1777' };
    expect(() => jaegerConfigForSearchPeer(extra, peer)).toThrow('production Jaeger config listens on port 1777 at extensions.pprof.endpoint, which is none of JAEGER_PORTS');
    const memory = structuredClone(production);
    memory.extensions.jaeger_storage.backends = { memstore: { memory: { max_traces: 1 } } };
    expect(() => jaegerConfigForSearchPeer(memory, peer)).toThrow('production Jaeger config has no extensions.jaeger_storage.backends.es.elasticsearch');
    const prometheus = structuredClone(production);
    prometheus.extensions.jaeger_storage.metric_backends['es-metrics'] = { prometheus: { endpoint: 'http://prometheus:9090' } };
    expect(() => jaegerConfigForSearchPeer(prometheus, peer)).toThrow('metric backend es-metrics is not an elasticsearch one');
  });

  it('knows every chart port', () => {
    expect(Object.keys(peerPorts).sort()).toEqual(Object.keys(JAEGER_PORTS).sort());
  });
});

describe('the retention script the e2e runs on the real engine', () => {
  it('is the production CronJob script: every family we write, 7 days', () => {
    const families = retentionFamilies(productionConfig());
    expect(families).toEqual(['fluentd', 'fluentd-rejected', 'k8s-events', ...JAEGER_INDEX_FAMILIES]);
    expect(productionRetentionScript(stacks)).toBe(retentionScript(families, 7));
  });

  it('dates one index 30 days ago and one today (UTC) per family', () => {
    const now = new Date('2026-03-01T00:30:00Z');
    expect(utcDay(now)).toBe('2026-03-01');
    expect(retentionFixture(['fluentd', 'jaeger-span'], now)).toEqual({ expired: ['fluentd-2026-01-30', 'jaeger-span-2026-01-30'], current: ['fluentd-2026-03-01', 'jaeger-span-2026-03-01'] });
  });

  it('reads the indices the script says it deletes', () => {
    const out = 'deleting fluentd-2026-01-30 (older than 2026-02-22)\nsomething else\ndeleting jaeger-span-2026-01-30 (older than 2026-02-22)\n';
    expect(deletedByScript(out)).toEqual(['fluentd-2026-01-30', 'jaeger-span-2026-01-30']);
    expect(deletedByScript('')).toEqual([]);
  });
});

describe('OpenSearch node build and start', () => {
  it('keys the build by a hash of the sources, ignoring a Maven target/', () => {
    const dir = mkdtempSync(join(tmpdir(), 'os-src-'));
    try {
      mkdirSync(join(dir, 'src'));
      writeFileSync(join(dir, 'pom.xml'), '<project/>');
      writeFileSync(join(dir, 'src', 'Main.java'), 'class Main {}');
      const h = sourceHash(dir);
      expect(h).toMatch(/^[0-9a-f]{12}$/);
      mkdirSync(join(dir, 'target'));
      writeFileSync(join(dir, 'target', 'x.class'), 'x');
      expect(sourceHash(dir)).toBe(h);
      writeFileSync(join(dir, 'src', 'Main.java'), 'class Main { }');
      expect(sourceHash(dir)).not.toBe(h);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(sourceHash(join(__dirname, '..', 'tools', 'opensearch-node'))).toMatch(/^[0-9a-f]{12}$/);
  });

  it('reads the Java feature release from java -version', () => {
    expect(javaMajor('openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment')).toBe(17);
    expect(javaMajor('openjdk version "25" 2025-09-16')).toBe(25);
    expect(javaMajor('java version "1.8.0_292"')).toBe(8);
    expect(javaMajor('no java here')).toBeUndefined();
  });

  it('names what is missing: Java, Java 17+, Maven', () => {
    const probe = (have: Record<string, string | false>) => (command: string) => {
      const out = have[command];
      return out === undefined || out === false ? { ok: false, output: '' } : { ok: true, output: out };
    };
    const java17 = 'openjdk version "17.0.15" 2025-04-15';
    expect(findJavaToolchain({}, probe({ java: java17, mvn: 'Apache Maven 3.8.7' }))).toEqual({ toolchain: { java: 'java', javaVersion: '17', mvn: 'mvn' } });
    expect(findJavaToolchain({ JAVA_HOME: '/opt/jdk' }, probe({ '/opt/jdk/bin/java': java17, mvn: 'x' })).toolchain?.java).toBe('/opt/jdk/bin/java');
    expect(findJavaToolchain({}, probe({ mvn: 'x' }))).toEqual({ missing: 'no Java runtime (java)' });
    expect(findJavaToolchain({}, probe({ java: java17 }))).toEqual({ missing: 'no Maven (mvn)' });
    expect(findJavaToolchain({}, probe({ java: 'openjdk version "11.0.2"', mvn: 'x' }))).toEqual({ missing: 'no Java 17+ (java is Java 11)' });
    expect(findJavaToolchain({ JAVA_HOME: '/nope' }, probe({}))).toEqual({ missing: 'no Java runtime (/nope/bin/java, from JAVA_HOME) and no Maven (mvn)' });
  });

  it('starts our main class with the port and data directory, and knows its ready line', () => {
    const args = openSearchJavaArgs({ classpath: '/c/a.jar:/c/b.jar' }, 39200, '/tmp/os-data');
    expect(args.slice(-5)).toEqual(['-cp', '/c/a.jar:/c/b.jar', OPENSEARCH_MAIN_CLASS, '39200', '/tmp/os-data']);
    expect(OPENSEARCH_READY_LINE.exec('opensearch-node ready http://127.0.0.1:39200 (OpenSearch 2.19.6, data /tmp/x)')?.[1]).toBe('http://127.0.0.1:39200');
  });

  it('writes an OTLP/JSON request with hex ids and nanosecond strings', () => {
    const body = otlpJsonTrace({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), service: 'svc', name: 'op', startMs: 1_700_000_000_000 }) as any;
    const span = body.resourceSpans[0].scopeSpans[0].spans[0];
    expect(body.resourceSpans[0].resource.attributes).toEqual([{ key: 'service.name', value: { stringValue: 'svc' } }]);
    expect(span).toMatchObject({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), name: 'op', startTimeUnixNano: '1700000000000000000', endTimeUnixNano: '1700000000005000000' });
  });
});
