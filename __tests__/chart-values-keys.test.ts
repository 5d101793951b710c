import { parse } from 'yaml';
import { build, chartDataFile, config, helmRelease, helmValues, synth } from './helpers';

/**
 * Charts without a values schema ignore unknown keys silently, so every key we set must be
 * one the pinned chart's values.yaml has (set, or documented in a comment). Checked to a
 * depth where a typo would lose a setting; deeper levels are the CRD's or config's own.
 */
/**
 * Values that the chart passes through whole: a config document (userconfig, uiconfig), or a Kubernetes object the
 * template renders with toYaml (eck-operator 3.5.0 statefulset.yaml: podSecurityContext).
 * Their keys are not the chart's.
 */
const FREE_FORM = new Set(['userconfig', 'uiconfig', 'podSecurityContext']);

function keyPaths(value: unknown, depth: number, prefix = ''): string[] {
  if (depth === 0 || value === null || typeof value !== 'object' || Array.isArray(value)) return [];
  return Object.entries(value).flatMap(([k, v]) => [`${prefix}${k}`, ...(FREE_FORM.has(`${prefix}${k}`) ? [] : keyPaths(v, depth - 1, `${prefix}${k}.`))]);
}

/**
 * Keys the chart's templates read although its values.yaml does not list them (read in
 * jaegertracing/helm-charts@jaeger-4.11.1 charts/jaeger/templates/jaeger/jaeger-deploy.yaml;
 * values.yaml spells the second one `topologySpreadContraints`, which no template reads).
 */
const TEMPLATE_ONLY: Record<string, string[]> = { jaeger: ['jaeger.strategy', 'jaeger.topologySpreadConstraints'] };

function knownTo(upstreamText: string, path: string): boolean {
  const upstream = parse(upstreamText);
  let node: any = upstream;
  for (const part of path.split('.')) {
    if (node && typeof node === 'object' && part in node) node = node[part];
    else {
      // documented but commented out, e.g. "# fullnameOverride: ..." or "  # resources:"
      const leaf = path.split('.').pop()!;
      return new RegExp(`^\\s*#\\s*${leaf.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:`, 'm').test(upstreamText);
    }
  }
  return true;
}

const app = build();
const es = synth(app.elasticsearch);
const jaeger = synth(app.jaeger);
const production = build(config({ profile: 'production', cluster: { mode: 'existing', kubeconfigPath: '/dev/null', context: 'prod' }, sampleApp: { image: 'ghcr.io/acme/app:1.0.0' } }));
const prodJaeger = synth(production.jaeger);
const kibana = synth(app.kibana!);
const prodKibana = synth(production.kibana!);
/** chart, the version the stack pins (from the config defaults), the values, depth checked. */
const cases: [string, string, any, number][] = [
  ['eck-operator', helmRelease(es, 'eck-operator').version, helmValues(es, 'eck-operator'), 2],
  ['eck-elasticsearch', helmRelease(es, 'eck-elasticsearch').version, helmValues(es, 'eck-elasticsearch'), 1],
  ['jaeger', helmRelease(jaeger, 'jaeger').version, helmValues(jaeger, 'jaeger'), 2],
  // The second values document: the checksum that rolls the pod.
  ['jaeger', helmRelease(jaeger, 'jaeger').version, parse(helmRelease(jaeger, 'jaeger').values[1]), 2],
  // Production: 3 nodes on claims; Jaeger on Elasticsearch with replicas, strategy, mounts.
  ['eck-elasticsearch', helmRelease(es, 'eck-elasticsearch').version, helmValues(synth(production.elasticsearch), 'eck-elasticsearch'), 1],
  ['jaeger', helmRelease(prodJaeger, 'jaeger').version, helmValues(prodJaeger, 'jaeger'), 2],
  // Kibana's config, http, podTemplate are the Kibana resource's own (ECK's CRD), passed through whole.
  ['eck-kibana', helmRelease(kibana, 'eck-kibana').version, helmValues(kibana, 'eck-kibana'), 1],
  ['eck-kibana', helmRelease(prodKibana, 'eck-kibana').version, helmValues(prodKibana, 'eck-kibana'), 1],
];

describe('Helm values keys exist in the pinned charts', () => {
  it.each(cases)('%s %s values use only keys of the chart\'s values.yaml', (chart, version, values, depth) => {
    const upstream = chartDataFile('chart-values', chart, `${version}.yaml`);
    const unknown = keyPaths(values, depth).filter((p) => !knownTo(upstream, p) && !TEMPLATE_ONLY[chart]?.includes(p));
    expect(unknown).toEqual([]);
  });

  it('catches a key of the old Jaeger 3.x layout', () => {
    const upstream = chartDataFile('chart-values', 'jaeger', `${helmRelease(jaeger, 'jaeger').version}.yaml`);
    expect(keyPaths({ allInOne: { enabled: true }, provisionDataStore: { cassandra: false } }, 2).filter((p) => !knownTo(upstream, p))).toEqual(['allInOne', 'allInOne.enabled', 'provisionDataStore', 'provisionDataStore.cassandra']);
  });
});
