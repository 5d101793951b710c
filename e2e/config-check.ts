import { App } from 'cdktf';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { validateConfig } from '../config/load';
import { resolveTemplate, StackJson } from '../ops/terraform-json';
import { buildMonitoringApp } from '../stacks/app';
import type { CollectorConfig, CollectorRole } from '../constructs/otel/collector-config';
import { buildCollectorConfig, JAEGER_EXPORTER } from '../constructs/otel/collector-config';

type Kind = 'receivers' | 'processors' | 'exporters' | 'extensions';

/** Component type names that newer collectors list under a new name (old name still accepted). */
const ALIASES: Record<string, string[]> = { otlp: ['otlp_grpc'], otlphttp: ['otlp_http'], k8sattributes: ['k8s_attributes'] };

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
export const IN_CLUSTER_ROLES: readonly CollectorRole[] = ['all-in-one', 'gateway', 'cluster'];

/**
 * The kubernetes-profile config of each role, with the inputs the stack gives it (Jaeger's
 * in-cluster OTLP endpoint, events to Elasticsearch for the roles that run the events pipeline).
 */
export function inClusterConfigs(): Record<CollectorRole, CollectorConfig> {
  const common = { profile: 'kubernetes', clusterName: 'e2e', environment: 'e2e' } as const;
  const jaegerOtlpEndpoint = 'jaeger.jaeger.svc.cluster.local:4317';
  const events = { endpoint: 'https://elasticsearch.elasticsearch.svc:9200', index: 'k8s-events', caFile: '/etc/elasticsearch-ca/ca.crt' };
  return {
    'all-in-one': buildCollectorConfig({ ...common, role: 'all-in-one', jaegerOtlpEndpoint, events }),
    gateway: buildCollectorConfig({ ...common, role: 'gateway', jaegerOtlpEndpoint }),
    cluster: buildCollectorConfig({ ...common, role: 'cluster', events }),
  };
}

/**
 * The Jaeger config the production profile deploys (Elasticsearch storage), exactly as the
 * jaeger stack renders it into the chart's `userconfig`: synthesized, references resolved as
 * Terraform will (the Elasticsearch URL from the elasticsearch stack's outputs).
 */
export function productionJaegerConfig(outdir: string): Record<string, unknown> {
  const app = new App({ outdir });
  buildMonitoringApp(app, validateConfig({ profile: 'production', cluster: { mode: 'environment', name: 'e2e' }, sampleApp: { image: 'ghcr.io/acme/sample-app:1.0.0' } }, 'production profile'));
  app.synth();
  const stacks: Record<string, StackJson> = {};
  for (const name of readdirSync(join(outdir, 'stacks'))) stacks[name] = JSON.parse(readFileSync(join(outdir, 'stacks', name, 'cdk.tf.json'), 'utf8'));
  const release = Object.values(stacks.jaeger.resource?.helm_release ?? {}).find((r) => r.chart === 'jaeger');
  if (!release) throw new Error('production synth: no jaeger helm_release');
  const values = parse(resolveTemplate(release.values[0], 'jaeger', stacks));
  return values.userconfig;
}
