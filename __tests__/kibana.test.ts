/**
 * The Kibana stack as synthesized: what we hand ECK through the eck-kibana chart (plain HTTP,
 * the public address, the Elasticsearch reference across namespaces, sizing), the production
 * profile's spread and PodDisruptionBudget over the labels ECK gives Kibana's pods, and the
 * operator managing Kibana's namespace.
 */
import Ajv from 'ajv';
import { parse } from 'yaml';
import crd from '../checks/upstream/eck-kibana-crd-spec.json';
import { kibanaPodLabels } from '../constructs/kibana/names';
import { readStacks, resolveTemplate } from '../ops/terraform-json';
import { build, config, helmRelease, outdirOf, resourcesOf, synth } from './helpers';

const EXISTING = { mode: 'existing', kubeconfigPath: '/dev/null', context: 'prod' };

function kibanaOf(overrides: Record<string, unknown> = {}) {
  const cfg = config(overrides);
  const app = build(cfg);
  const stacks = readStacks(outdirOf(app));
  const json = synth(app.kibana!);
  const release = helmRelease(json, 'eck-kibana');
  const values = parse(resolveTemplate(release.values[0], 'kibana', stacks));
  return { cfg, app, stacks, json, release, values };
}

describe('Kibana, dev profile', () => {
  const { cfg, stacks, json, release, values } = kibanaOf();

  it('is one ECK Kibana of the Elasticsearch version, in its own restricted namespace, connected to our cluster across namespaces', () => {
    expect(release).toMatchObject({ name: 'kibana', chart: 'eck-kibana', repository: 'https://helm.elastic.co', version: '0.20.0', atomic: true, wait: true });
    expect(resolveTemplate(release.namespace, 'kibana', stacks)).toBe('kibana');
    expect(values).toMatchObject({ fullnameOverride: 'kibana', version: cfg.elasticsearch.version, count: 1, elasticsearchRef: { name: 'elasticsearch', namespace: 'elasticsearch' } });
    const ns = resourcesOf(json, 'kubernetes_namespace_v1')[0];
    expect(ns.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });

  it('serves plain HTTP at the address users open (port-forward), sized by the profile', () => {
    expect(values.http).toEqual({ tls: { selfSignedCertificate: { disabled: true } } });
    expect(values.config['server.publicBaseUrl']).toBe('http://localhost:5601');
    expect(values.podTemplate.spec.containers).toEqual([expect.objectContaining({ name: 'kibana', resources: cfg.kibana.resources })]);
    expect(values.podTemplate.spec.topologySpreadConstraints).toBeUndefined();
    expect(resourcesOf(json, 'kubernetes_pod_disruption_budget_v1')).toEqual([]);
    // The data-view Job reaches ECK's HTTP Service over http.
    const job = resourcesOf(json, 'kubernetes_job_v1')[0];
    const url = job.spec.template.spec.container[0].env.find((e: any) => e.name === 'KB_URL').value;
    expect(resolveTemplate(url, 'kibana', stacks)).toBe('http://kibana-kb-http.kibana.svc:5601');
  });

  it('a custom public address reaches Kibana', () => {
    expect(kibanaOf({ kibana: { publicUrl: 'https://kibana.example.com' } }).values.config['server.publicBaseUrl']).toBe('https://kibana.example.com');
  });

  it("the ECK operator manages Kibana's namespace next to Elasticsearch's", () => {
    const operator = parse(resolveTemplate(helmRelease(stacks.elasticsearch as any, 'eck-operator').values[0], 'elasticsearch', stacks));
    expect(operator.managedNamespaces).toEqual(['elasticsearch', 'kibana']);
  });
});

describe('Kibana, production profile', () => {
  const { json, values } = kibanaOf({ profile: 'production', cluster: EXISTING, sampleApp: { image: 'ghcr.io/acme/sample-app:1.0.0' } });
  const pods = kibanaPodLabels();

  it('runs 2 replicas spread over nodes and zones (softly) by the labels ECK gives its pods', () => {
    expect(values.count).toBe(2);
    expect(values.podTemplate.spec.topologySpreadConstraints).toEqual([
      { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: pods } },
      { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: pods } },
    ]);
    expect(values.podTemplate.spec.containers[0].resources).toEqual({ requests: { cpu: '500m', memory: '2Gi' }, limits: { cpu: '1', memory: '2Gi' } });
  });

  it('keeps one Kibana up through drains (a PDB: the Kibana resource has no field for one)', () => {
    const [pdb] = resourcesOf(json, 'kubernetes_pod_disruption_budget_v1');
    expect(pdb.spec).toEqual({ max_unavailable: '1', selector: { match_labels: pods } });
    expect(pdb.depends_on.some((d: string) => d.startsWith('helm_release.eck-kibana'))).toBe(true);
  });
});

describe("the Kibana resource the chart renders, against ECK's CRD (unknown fields would be pruned silently)", () => {
  const validate = new Ajv({ strict: false, allErrors: true }).compile(crd.spec);
  /** The spec eck-kibana 0.20.0 renders from values: the mapped keys, copied under the same names. */
  const specOf = (values: Record<string, unknown>) => Object.fromEntries(Object.entries(values).filter(([k]) => crd.chartMapping.keys.includes(k)));
  const errors = (spec: unknown) => (validate(spec) ? [] : validate.errors!.map((e) => `${e.instancePath} ${e.message}${'additionalProperty' in e.params ? ` (${e.params.additionalProperty})` : ''}`));

  it.each([
    ['dev', {}],
    ['production', { profile: 'production', cluster: EXISTING, sampleApp: { image: 'ghcr.io/acme/sample-app:1.0.0' } }],
  ])('%s: every value we set is a field of the Kibana spec', (_name, overrides) => {
    const { values } = kibanaOf(overrides);
    // Only the chart's own keys are not spec fields.
    expect(Object.keys(values).filter((k) => !crd.chartMapping.keys.includes(k))).toEqual(['fullnameOverride']);
    expect(errors(specOf(values))).toEqual([]);
  });

  it('a misspelt field is caught', () => {
    const { values } = kibanaOf();
    expect(errors({ ...specOf(values), http: { tls: { selfSignedCertificat: { disabled: true } } } })).toEqual(['/http/tls must NOT have additional properties (selfSignedCertificat)']);
    expect(errors({ ...specOf(values), elasticsearchRef: { name: 'elasticsearch', namespce: 'elasticsearch' } })).toEqual(['/elasticsearchRef must NOT have additional properties (namespce)']);
    expect(errors({ ...specOf(values), count: '2' })).toEqual(['/count must be integer']);
  });
});
