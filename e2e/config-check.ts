import { App } from 'cdktf';
import { parse } from 'yaml';
import { validateConfig } from '../config/load';
import { readStacks, resolveTemplate, StackJson } from '../ops/terraform-json';
import { buildMonitoringApp } from '../stacks/app';
import type { CollectorConfig, CollectorRole } from '../constructs/otel/collector-config';
import { buildCollectorConfig, JAEGER_EXPORTER } from '../constructs/otel/collector-config';
import { JAEGER_ELASTICSEARCH_BACKEND, JAEGER_PORTS, JaegerPorts } from '../constructs/jaeger/jaeger-config';
import { dailyIndexFamilies } from '../constructs/elasticsearch/names';
import type { MonitoringConfig } from '../config/schema';

type Kind = 'receivers' | 'processors' | 'exporters' | 'extensions';

/** Component type names that newer collectors list under a new name (old name still accepted). */
const ALIASES: Record<string, string[]> = { otlp: ['otlp_grpc'], otlphttp: ['otlp_http'], k8sattributes: ['k8s_attributes'], kubeletstats: ['kubelet_stats'], resourcedetection: ['resource_detection'] };

const typeOf = (id: string) => id.split('/')[0];

/**
 * Removes from a collector config the components a binary was not built with, and says
 * which: the in-cluster config is validated by the real binary "where its components build".
 */
export function restrictToComponents(config: CollectorConfig, available: Record<Kind, string[]>): { config: CollectorConfig; removed: string[] } {
  const has = (kind: Kind, id: string) => {
    const type = typeOf(id);
    return available[kind].includes(type) || (ALIASES[type] ?? []).some((a) => available[kind].includes(a));
  };
  const removed: string[] = [];
  const section = (kind: Kind) =>
    Object.fromEntries(
      Object.entries(config[kind]).filter(([id]) => {
        const ok = has(kind, id);
        if (!ok) removed.push(`${kind.slice(0, -1)} ${id}`);
        return ok;
      }),
    );
  const receivers = section('receivers');
  const processors = section('processors');
  const exporters = section('exporters');
  const extensions = section('extensions');
  const pipelines = Object.fromEntries(
    Object.entries(config.service.pipelines)
      .map(([name, p]) => [name, { receivers: p.receivers.filter((r) => r in receivers), processors: p.processors.filter((x) => x in processors), exporters: p.exporters.filter((e) => e in exporters) }] as const)
      .filter(([name, p]) => {
        const ok = p.receivers.length > 0 && p.exporters.length > 0;
        if (!ok) removed.push(`pipeline ${name}`);
        return ok;
      }),
  );
  return {
    config: { receivers, processors, exporters, extensions, service: { ...config.service, extensions: config.service.extensions.filter((e) => e in extensions), pipelines } },
    removed,
  };
}

/**
 * The collector's trace exporter must point at Jaeger's OTLP gRPC receiver. A mismatch
 * is a broken config produced by our code: name both ends.
 */
export function checkJaegerWiring(collector: CollectorConfig, jaegerOtlpGrpcEndpoint: string): string | undefined {
  const exporter = collector.exporters[JAEGER_EXPORTER] as { endpoint?: string } | undefined;
  if (!exporter) return `collector config has no ${JAEGER_EXPORTER} exporter: traces cannot reach Jaeger`;
  if (!collector.service.pipelines.traces?.exporters.includes(JAEGER_EXPORTER)) return `collector traces pipeline does not use ${JAEGER_EXPORTER}`;
  if (exporter.endpoint !== jaegerOtlpGrpcEndpoint) {
    return `collector exporter ${JAEGER_EXPORTER} sends to ${exporter.endpoint} but Jaeger's OTLP gRPC receiver listens on ${jaegerOtlpGrpcEndpoint}: the collector config must take its endpoint from the Jaeger stack's output`;
  }
  return undefined;
}

/** The roles whose in-cluster (kubernetes profile) config the e2e validates with the real binary. */
export const IN_CLUSTER_ROLES: readonly CollectorRole[] = ['agent', 'all-in-one', 'gateway', 'cluster'];

/**
 * The kubernetes-profile config of each role, with the inputs the stack gives it (Jaeger's
 * in-cluster OTLP endpoint, events to Elasticsearch for the roles that run the events pipeline).
 */
export function inClusterConfigs(): Record<CollectorRole, CollectorConfig> {
  const common = { profile: 'kubernetes', clusterName: 'e2e', environment: 'e2e' } as const;
  const jaegerOtlpEndpoint = 'jaeger.jaeger.svc.cluster.local:4317';
  const events = { endpoint: 'https://elasticsearch.elasticsearch.svc:9200', index: 'k8s-events', caFile: '/etc/elasticsearch-ca/ca.crt' };
  return {
    agent: buildCollectorConfig({ ...common, role: 'agent', gatewayOtlpEndpoint: 'otel-collector.observability.svc.cluster.local:4317' }),
    'all-in-one': buildCollectorConfig({ ...common, role: 'all-in-one', jaegerOtlpEndpoint, events }),
    gateway: buildCollectorConfig({ ...common, role: 'gateway', jaegerOtlpEndpoint }),
    cluster: buildCollectorConfig({ ...common, role: 'cluster', events }),
  };
}

/** The production profile the e2e checks against, validated as `npm run synth` would. */
export function productionConfig(): MonitoringConfig {
  return validateConfig({ profile: 'production', cluster: { mode: 'environment', name: 'e2e' }, sampleApp: { image: 'ghcr.io/acme/sample-app:1.0.0' } }, 'production profile');
}

/** The dev profile (the default config, kind mode), validated as `npm run synth` would. */
export function devConfig(): MonitoringConfig {
  return validateConfig({}, 'dev profile');
}

/** A profile synthesized into `outdir`: every stack's cdk.tf.json, by stack name. */
export function synthStacks(outdir: string, config: MonitoringConfig): Record<string, StackJson> {
  const app = new App({ outdir });
  buildMonitoringApp(app, config);
  app.synth();
  return readStacks(outdir);
}

/** The production profile synthesized into `outdir`. */
export function productionStacks(outdir: string): Record<string, StackJson> {
  return synthStacks(outdir, productionConfig());
}

/**
 * The Jaeger config the production profile deploys (Elasticsearch storage), exactly as the
 * jaeger stack renders it into the chart's `userconfig`: synthesized, references resolved as
 * Terraform will (the Elasticsearch URL from the elasticsearch stack's outputs).
 */
export function productionJaegerConfig(outdir: string): Record<string, unknown> {
  return jaegerUserconfig(productionStacks(outdir));
}

/** The jaeger stack's chart `userconfig`, references resolved as Terraform will. */
export function jaegerUserconfig(stacks: Record<string, StackJson>): Record<string, unknown> {
  const release = Object.values(stacks.jaeger.resource?.helm_release ?? {}).find((r) => r.chart === 'jaeger');
  if (!release) throw new Error('production synth: no jaeger helm_release');
  const values = parse(resolveTemplate(release.values[0], 'jaeger', stacks));
  return values.userconfig;
}

/**
 * The shell of the logging stack's index-retention CronJob (the `sh -c` argument), as Terraform
 * will hand it to Kubernetes (template escapes such as `$${prefix}` read back to `${prefix}`).
 */
export function productionRetentionScript(stacks: Record<string, StackJson>): string {
  const jobs = Object.values(stacks.logging?.resource?.kubernetes_cron_job_v1 ?? {});
  const scripts = jobs.flatMap((job) => {
    const spec = (x: any) => (Array.isArray(x) ? x[0] : x);
    const containers = spec(spec(spec(spec(job.spec)?.job_template)?.spec)?.template)?.spec;
    return (spec(containers)?.container ?? []).map((c: { command?: string[] }) => c.command ?? []).filter((cmd: string[]) => cmd[0] === '/bin/sh' && cmd[1] === '-c' && /for prefix in/.test(cmd[2] ?? ''));
  });
  if (scripts.length !== 1) throw new Error(`production synth: expected one index-retention CronJob script in the logging stack, found ${scripts.length}`);
  return resolveTemplate(scripts[0][2], 'logging', stacks);
}

/** Every daily index family the stack writes and prunes (the retention job's list). */
export const retentionFamilies = dailyIndexFamilies;

/** A search engine peer the e2e runs on loopback (OpenSearch, plain http, no security plugin). */
export interface SearchPeer {
  /** e.g. http://127.0.0.1:39200 */
  readonly serverUrl: string;
  /** Where the e2e's Jaeger listens instead of 0.0.0.0. */
  readonly listenHost: string;
  /** Free loopback ports instead of the chart's fixed ones. */
  readonly ports: JaegerPorts;
  /**
   * Where the UI config is here (the chart mounts it at JAEGER_UI_CONFIG_FILE): required when the
   * production config names one, or Jaeger stops at start (it cannot read the file).
   */
  readonly uiConfigFile?: string;
}

/**
 * The e2e variant of the production Jaeger config, for a Jaeger that stores into a local
 * OpenSearch 2 node: changed ONLY where that peer differs from the production Elasticsearch,
 * each change named in `changes` (the e2e prints them).
 * Each change applies to the trace backend and to the metric backends (the Monitor tab's reader of
 * the same span indices), which connect to the same engine with the same settings.
 * - server_urls: the peer's http URL (production: https://elasticsearch.elasticsearch.svc:9200);
 * - no `tls` (plain http: the peer has no certificate, and our CA file is not mounted here);
 * - no `auth` (no security plugin: nothing to authenticate to; the password file is not mounted);
 * - `version: 7`: OpenSearch 2 speaks the Elasticsearch 7 API and takes Jaeger's 7 mappings
 *   (legacy `_template`); production sets 9 (v8 client, `_index_template`);
 * - every listen address → listenHost and the peer's free ports (production: 0.0.0.0 and the
 *   chart's fixed ports), by matching each production port with its JAEGER_PORTS name;
 * - `jaeger_query.ui.config_file` → the peer's copy of the UI config (production: the chart's mount).
 * Kept as rendered: create_mappings, use_ilm/use_aliases, max_span_age, disable_health_check,
 * indices.* (shards, replicas 1 too: a single node leaves the replica unassigned, the indices
 * yellow, which neither Jaeger's writes nor reads wait on, and the index then shows that
 * Jaeger's template carried our replicas setting), the pipeline and the exporter/query wiring.
 */
export function jaegerConfigForSearchPeer(production: Record<string, unknown>, peer: SearchPeer): { config: Record<string, unknown>; changes: string[] } {
  const config = structuredClone(production) as any;
  const storage = config?.extensions?.jaeger_storage;
  const es = storage?.backends?.[JAEGER_ELASTICSEARCH_BACKEND]?.elasticsearch;
  if (!es) throw new Error(`production Jaeger config has no extensions.jaeger_storage.backends.${JAEGER_ELASTICSEARCH_BACKEND}.elasticsearch`);
  // The metric backend (the Monitor tab) reaches the same engine with the same settings: changed alike.
  const metricNames = Object.keys(storage.metric_backends ?? {});
  for (const name of metricNames) {
    if (!storage.metric_backends[name]?.elasticsearch) throw new Error(`production Jaeger config: metric backend ${name} is not an elasticsearch one, which the peer cannot serve`);
  }
  const clients = [es, ...metricNames.map((name) => storage.metric_backends[name].elasticsearch)];
  const where = metricNames.length ? ` (trace backend ${JAEGER_ELASTICSEARCH_BACKEND}, metric backend${metricNames.length > 1 ? 's' : ''} ${metricNames.join(', ')})` : '';
  const changes: string[] = [];
  changes.push(`server_urls ${JSON.stringify(es.server_urls)} → ["${peer.serverUrl}"]${where}`);
  for (const c of clients) c.server_urls = [peer.serverUrl];
  if (clients.some((c) => 'tls' in c)) {
    for (const c of clients) delete c.tls;
    changes.push('no tls (plain http peer)');
  }
  if (clients.some((c) => 'auth' in c)) {
    for (const c of clients) delete c.auth;
    changes.push('no auth (no security plugin)');
  }
  if (es.version !== 7) changes.push(`version 7 (production ${es.version}: OpenSearch 2 speaks the ES 7 API)`);
  for (const c of clients) c.version = 7;
  const ui = config?.extensions?.jaeger_query?.ui;
  if (ui?.config_file) {
    if (!peer.uiConfigFile) throw new Error(`production Jaeger config reads its UI config from ${ui.config_file}: give the peer's copy (uiConfigFile)`);
    changes.push(`ui.config_file ${ui.config_file} → ${peer.uiConfigFile}`);
    ui.config_file = peer.uiConfigFile;
  }
  const nameOfPort = new Map(Object.entries(JAEGER_PORTS).map(([name, port]) => [port, name as keyof JaegerPorts]));
  const loopbackPort = (port: number, path: string) => {
    const name = nameOfPort.get(port);
    if (!name) throw new Error(`production Jaeger config listens on port ${port} at ${path}, which is none of JAEGER_PORTS: no loopback port for it`);
    return peer.ports[name];
  };
  let listeners = 0;
  const walk = (node: any, path: string): any => {
    if (typeof node === 'string') {
      const m = /^(?:0\.0\.0\.0|\[::\])?:(\d+)$/.exec(node);
      if (!m) return node;
      listeners++;
      return `${peer.listenHost}:${loopbackPort(Number(m[1]), path)}`;
    }
    if (Array.isArray(node)) return node.map((x, i) => walk(x, `${path}[${i}]`));
    if (node && typeof node === 'object') {
      if (node.host === '0.0.0.0' && typeof node.port === 'number') {
        listeners++;
        node.host = peer.listenHost;
        node.port = loopbackPort(node.port, path);
      }
      for (const key of Object.keys(node)) node[key] = walk(node[key], path ? `${path}.${key}` : key);
    }
    return node;
  };
  walk(config, '');
  if (JSON.stringify(config).includes('0.0.0.0')) throw new Error('production Jaeger config: a 0.0.0.0 address is left that the e2e cannot map to loopback');
  changes.push(`${listeners} listen addresses 0.0.0.0:<chart port> → ${peer.listenHost}:<free port>`);
  return { config, changes };
}
