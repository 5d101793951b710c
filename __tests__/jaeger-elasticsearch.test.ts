import { TerraformStack, Testing } from 'cdktf';
import { parse } from 'yaml';
import { JAEGER_CONFIG_CHECKSUM_ENV, JAEGER_ES_CLIENT_CHECKSUM_ENV, JaegerAddOn, JaegerAddOnProps } from '../constructs/addons/jaeger';
import { ElasticsearchClientSecrets } from '../constructs/elasticsearch/client-secrets';
import { buildJaegerConfig, ES_MAX_REQUEST_LINE_BYTES, JAEGER_MAX_SPAN_AGE_DAYS_LIMIT, jaegerServiceSearchRequestLine } from '../constructs/jaeger/jaeger-config';
import { JAEGER_ES_USER, JAEGER_INDEX_FAMILIES, jaegerElasticsearchRole } from '../constructs/jaeger/names';
import { helmValueDocuments, resolveTemplate } from '../ops/terraform-json';
import { chartDataFile, resourcesOf, TfJson } from './helpers';

/**
 * Jaeger v2 on Elasticsearch (the production profile): the storage wiring inside the chart's
 * userconfig, the Secrets mounted where that config reads them, the pod rollout on credential
 * changes, and the replica safety (rolling updates, spread, PDB). In-memory stays the default.
 */

const CHART_VERSION = '4.11.1';
const ES_URL = 'https://elasticsearch.elasticsearch.svc:9200';
const resources = { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } };

interface Built {
  addOn: JaegerAddOn;
  json: TfJson;
  release: any;
  /** Values documents as Helm receives them (locals read), references kept as written (`${…}`). */
  texts: string[];
  /** The same, parsed. */
  docs: any[];
  /** Values documents with references to resources of the stack resolved (Secret names). */
  resolved: any[];
  /** Names of the client Secrets as the stack creates them. */
  secrets: { credentials: string; ca: string };
}

function build(props: Partial<JaegerAddOnProps> = {}, es: Partial<NonNullable<JaegerAddOnProps['elasticsearch']>> | null = {}): Built {
  const app = Testing.app();
  const stack = new TerraformStack(app, 'jaeger');
  const client = new ElasticsearchClientSecrets(stack, 'es-client', {
    namespace: 'jaeger',
    elasticsearch: { namespace: 'elasticsearch', namespaceUid: 'uid-of-elasticsearch-ns' },
    user: { username: JAEGER_ES_USER, roleName: 'jaeger_storage', role: jaegerElasticsearchRole(), owner: 'jaeger' },
    credentialsRevision: 1,
  });
  const addOn = new JaegerAddOn(stack, 'jaeger', {
    namespace: 'jaeger',
    chartVersion: CHART_VERSION,
    imageTag: '2.19.0',
    maxTraces: 50000,
    resources,
    ...props,
    elasticsearch:
      es === null
        ? undefined
        : { url: ES_URL, username: JAEGER_ES_USER, credentialsSecret: client.credentialsSecret, caSecret: client.caSecret, checksum: client.checksum, replicas: 1, maxSpanAgeDays: 7, elasticsearchMajor: 9, ...es },
  });
  const json = JSON.parse(Testing.synth(stack)) as TfJson;
  const release = resourcesOf(json, 'helm_release').find((r) => r.chart === 'jaeger');
  const secret = (suffix: string) => resourcesOf(json, 'kubernetes_secret_v1').find((s) => s.metadata.name.endsWith(suffix)).metadata.name as string;
  return {
    addOn,
    json,
    release,
    texts: (release.values as string[]).map((v) => resolveTemplate(v, 'jaeger', { jaeger: json }, 'keep')),
    docs: helmValueDocuments(json, release),
    resolved: (release.values as string[]).map((v) => parse(resolveTemplate(v, 'jaeger', { jaeger: json }))),
    secrets: { credentials: secret(`-${JAEGER_ES_USER}-credentials`), ca: secret('-ca') },
  };
}

/** Helm's merge of values documents: maps merge key by key, anything else (lists too) is replaced. */
function helmMerge(base: any, override: any): any {
  if (base && override && typeof base === 'object' && typeof override === 'object' && !Array.isArray(base) && !Array.isArray(override)) {
    const out = { ...base };
    for (const [k, v] of Object.entries(override)) out[k] = k in base ? helmMerge(base[k], v) : v;
    return out;
  }
  return override;
}

/** The path at which the pod sees key `key` of Secret `secretName` (through jaeger.extraVolumes/extraVolumeMounts). */
function podFileOf(values: any, secretName: string, key: string): string | undefined {
  const volume = (values.jaeger.extraVolumes ?? []).find((v: any) => v.secret?.secretName === secretName);
  if (!volume) return undefined;
  const items: { key: string; path: string }[] | undefined = volume.secret.items;
  const path = items ? items.find((i) => i.key === key)?.path : key;
  const mount = (values.jaeger.extraVolumeMounts ?? []).find((m: any) => m.name === volume.name);
  return path && mount ? `${mount.mountPath}/${path}` : undefined;
}

const esBackend = (values: any) => values.userconfig.extensions.jaeger_storage.backends.es.elasticsearch;

describe('Jaeger on Elasticsearch: storage wiring', () => {
  const b = build({ replicas: 2 });
  const [values] = b.docs;
  const es = esBackend(values);

  it('uses the elasticsearch backend for the query service and the exporter, and no memstore', () => {
    const backends = values.userconfig.extensions.jaeger_storage.backends;
    expect(Object.keys(backends)).toEqual(['es']);
    expect(Object.keys(backends.es)).toEqual(['elasticsearch']);
    expect(values.userconfig.extensions.jaeger_query.storage).toEqual({ traces: 'es', metrics: 'es-metrics' });
    expect(values.userconfig.exporters.jaeger_storage_exporter).toEqual({ trace_storage: 'es' });
    expect(JSON.stringify(values.userconfig)).not.toMatch(/memstore|"memory"|max_traces/);
  });

  it("reads the Monitor tab's metrics from the same indices: a metric backend with the trace backend's client settings, its own object", () => {
    const storage = values.userconfig.extensions.jaeger_storage;
    expect(Object.keys(storage.metric_backends)).toEqual(['es-metrics']);
    expect(Object.keys(storage.metric_backends['es-metrics'])).toEqual(['elasticsearch']);
    expect(storage.metric_backends['es-metrics'].elasticsearch).toEqual(es);
    // Written out in full (no YAML anchor/alias the values diff would hide it behind).
    expect(storage.metric_backends['es-metrics'].elasticsearch).not.toBe(es);
    expect(b.texts[0].match(/password_file: \/etc\/jaeger\/es-credentials\/password/g)).toHaveLength(2);
  });

  it('connects to the https URL as the file-realm user, the password read from a file', () => {
    expect(es.server_urls).toEqual([ES_URL]);
    expect(es.auth).toEqual({ basic: { username: 'jaeger', password_file: '/etc/jaeger/es-credentials/password' } });
    // The password reaches the pod only through the mounted Secret, never through the values.
    expect(b.texts.join('\n')).toContain('password_file: /etc/jaeger/es-credentials/password');
    expect(b.texts.join('\n')).not.toMatch(/random_password|data\.password|\bpassword:/);
  });

  it('reads the password and CA files exactly where the Secrets are mounted', () => {
    const [resolved] = b.resolved;
    expect(podFileOf(resolved, b.secrets.credentials, 'password')).toBe(es.auth.basic.password_file);
    expect(podFileOf(resolved, b.secrets.ca, 'ca.crt')).toBe(es.tls.ca_file);
    expect(es.tls.ca_file).toBe('/etc/jaeger/es-ca/ca.crt');
    for (const m of values.jaeger.extraVolumeMounts) expect(m.readOnly).toBe(true);
    // Only the password key of the credentials Secret, readable by the pod's group, not by others.
    const credentials = resolved.jaeger.extraVolumes.find((v: any) => v.secret.secretName === b.secrets.credentials);
    expect(credentials.secret.items).toEqual([{ key: 'password', path: 'password' }]);
    expect(credentials.secret.defaultMode & 0o007).toBe(0);
  });

  it('verifies the server certificate against our CA (no insecure TLS)', () => {
    expect(es.tls).toEqual({ ca_file: '/etc/jaeger/es-ca/ca.crt' });
    expect(es.tls.insecure ?? false).toBe(false);
    expect(es.tls.insecure_skip_verify ?? false).toBe(false);
  });

  it('writes daily indices without prefix or aliases, with Jaeger creating its own templates', () => {
    expect(es.create_mappings).toBe(true);
    expect(es.use_ilm).toBe(false);
    expect(es.use_aliases).toBe(false);
    expect(es.indices.index_prefix).toBeUndefined();
    expect(Object.keys(es.indices).sort()).toEqual(['dependencies', 'sampling', 'services', 'spans']);
    // Jaeger's default date_layout is the daily 2006-01-02; unquoted in YAML it would be a timestamp.
    for (const index of Object.values<any>(es.indices)) expect(index).toEqual({ shards: 1, replicas: 1, rollover_frequency: 'day' });
    // One object per family in the YAML (no anchors/aliases in the values diff).
    expect(b.texts[0]).toContain('max_span_age: 168h');
    expect(b.texts.join('\n')).not.toMatch(/&a\d|\*a\d/);
  });

  it('looks back exactly the retention period and takes the shard/replica counts', () => {
    expect(es.max_span_age).toBe('168h');
    const custom = esBackend(build({}, { shards: 3, replicas: 2, maxSpanAgeDays: 30 }).docs[0]);
    expect(custom.max_span_age).toBe('720h');
    for (const index of Object.values<any>(custom.indices)) expect(index).toMatchObject({ shards: 3, replicas: 2 });
  });

  it('sets the Elasticsearch major and no health check, so the role needs no `monitor`', () => {
    expect(es.version).toBe(9);
    expect(es.disable_health_check).toBe(true);
    expect(esBackend(build({}, { elasticsearchMajor: undefined }).docs[0]).version).toBe(8);
    expect(jaegerElasticsearchRole(JAEGER_INDEX_FAMILIES).cluster).not.toContain('monitor');
  });

  it('rejects settings that would leak the password, skip verification or query nothing', () => {
    const es = { serverUrl: ES_URL, username: 'jaeger', passwordFile: '/p', caFile: '/ca.crt', replicas: 0, maxSpanAgeDays: 7 };
    expect(() => buildJaegerConfig({ maxTraces: 1, elasticsearch: { ...es, serverUrl: 'http://elasticsearch:9200' } })).toThrow(/https/);
    expect(() => buildJaegerConfig({ maxTraces: 1, elasticsearch: { ...es, maxSpanAgeDays: 0 } })).toThrow(/maxSpanAgeDays/);
    expect(() => buildJaegerConfig({ maxTraces: 1, elasticsearch: { ...es, elasticsearchMajor: 0 } })).toThrow(/elasticsearchMajor/);
    expect(() => buildJaegerConfig({ maxTraces: 1, elasticsearch: { ...es, passwordFile: 'password' } })).toThrow(/absolute/);
  });

  it('caps the lookback where the service search URL (one index per day) still fits Elasticsearch\'s request line', () => {
    expect(jaegerServiceSearchRequestLine(7)).toMatch(/^GET \/jaeger-service-2006-01-02(%2Cjaeger-service-2006-01-02){7}\/_search\?/);
    expect(jaegerServiceSearchRequestLine(JAEGER_MAX_SPAN_AGE_DAYS_LIMIT).length).toBeLessThanOrEqual(ES_MAX_REQUEST_LINE_BYTES);
    expect(JAEGER_MAX_SPAN_AGE_DAYS_LIMIT).toBeGreaterThanOrEqual(90);
    expect(jaegerServiceSearchRequestLine(365).length).toBeGreaterThan(ES_MAX_REQUEST_LINE_BYTES);
    const es = { serverUrl: ES_URL, username: 'jaeger', passwordFile: '/p', caFile: '/ca.crt', replicas: 0 };
    expect(buildJaegerConfig({ maxTraces: 1, elasticsearch: { ...es, maxSpanAgeDays: JAEGER_MAX_SPAN_AGE_DAYS_LIMIT } }).extensions.jaeger_storage.backends.es).toBeDefined();
    expect(() => buildJaegerConfig({ maxTraces: 1, elasticsearch: { ...es, maxSpanAgeDays: JAEGER_MAX_SPAN_AGE_DAYS_LIMIT + 1 } })).toThrow(/http\.max_initial_line_length; use at most/);
  });
});

describe('Jaeger on Elasticsearch: replicas and rollout', () => {
  const b = build({ replicas: 3 });
  const [values, rollout] = b.docs;

  it('runs the replicas with rolling updates spread over nodes, security contexts unchanged', () => {
    expect(values.jaeger.replicas).toBe(3);
    expect(values.jaeger.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
    expect(values.jaeger.topologySpreadConstraints).toEqual([{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: b.addOn.selector } }]);
    expect(values.jaeger.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(values.jaeger.podSecurityContext).toMatchObject({ runAsNonRoot: true, fsGroup: 10001 });
  });

  it('keeps one pod through node drains with a PDB selecting exactly the chart\'s pod labels', () => {
    const pdbs = resourcesOf(b.json, 'kubernetes_pod_disruption_budget_v1');
    expect(pdbs).toHaveLength(1);
    const [pdb] = pdbs;
    // The chart's pod labels: jaeger.selectorLabels (chart name, release name) + component all-in-one.
    const podLabels = { 'app.kubernetes.io/name': 'jaeger', 'app.kubernetes.io/instance': b.release.name, 'app.kubernetes.io/component': 'all-in-one' };
    expect(pdb.spec.selector.match_labels).toEqual(podLabels);
    expect(b.addOn.selector).toEqual(podLabels);
    expect(pdb.spec.min_available).toBe('1');
    expect(pdb.spec.max_unavailable).toBeUndefined();
    expect(pdb.metadata.namespace).toBe(b.release.namespace);
  });

  it('has no PDB with a single replica (it would block every drain)', () => {
    expect(resourcesOf(build({ replicas: 1 }).json, 'kubernetes_pod_disruption_budget_v1')).toEqual([]);
    expect(build({}).docs[0].jaeger.replicas).toBe(1);
  });

  it('rolls the pods on a credentials/CA change and on a values change: Helm\'s list replacement keeps both env vars', () => {
    const esEnv = values.jaeger.extraEnv.find((e: any) => e.name === JAEGER_ES_CLIENT_CHECKSUM_ENV);
    // A Terraform expression over the Secrets' data, not a synth-time constant.
    expect(esEnv.value).toMatch(/^\$\{.*sha256\(.*kubernetes_secret_v1\..*\}$/);
    const merged = helmMerge(values, rollout);
    expect(merged.jaeger.extraEnv.map((e: any) => e.name)).toEqual([JAEGER_ES_CLIENT_CHECKSUM_ENV, JAEGER_CONFIG_CHECKSUM_ENV]);
    expect(merged.jaeger.extraEnv[0]).toEqual(esEnv);
    expect(merged.jaeger.extraEnv[1].value).toMatch(/^\$\{sha256\(local\.[\w-]+\)\}$/);
    // Everything else the values set survives the merge.
    expect(merged.jaeger.extraVolumes).toEqual(values.jaeger.extraVolumes);
    expect(merged.userconfig).toEqual(values.userconfig);
  });
});

describe('Jaeger in memory (jaeger.storage: memory)', () => {
  const b = build({}, null);
  const [values, rollout] = b.docs;

  it('renders one pod with the chart\'s Recreate strategy and no Elasticsearch wiring', () => {
    expect(Object.keys(values.jaeger).sort()).toEqual(['image', 'podSecurityContext', 'resources', 'securityContext']);
    expect(values.userconfig.extensions.jaeger_storage.backends).toEqual({ memstore: { memory: { max_traces: 50000 } } });
    expect(values.userconfig.extensions.jaeger_query.storage).toEqual({ traces: 'memstore' });
    expect(values.userconfig.extensions.jaeger_storage).not.toHaveProperty('metric_backends');
    expect(values.userconfig.exporters.jaeger_storage_exporter).toEqual({ trace_storage: 'memstore' });
    expect(rollout).toEqual({ jaeger: { extraEnv: [{ name: JAEGER_CONFIG_CHECKSUM_ENV, value: expect.stringMatching(/^\$\{sha256\(local\.[\w-]+\)\}$/) }] } });
    expect(resourcesOf(b.json, 'kubernetes_pod_disruption_budget_v1')).toEqual([]);
  });

  it('refuses more than one replica: each would keep its own traces', () => {
    expect(() => build({ replicas: 2 }, null)).toThrow(/in-memory storage.*set elasticsearch/);
    expect(() => build({ replicas: 0 })).toThrow(/replicas must be an integer >= 1/);
  });
});

describe('Jaeger values keys exist in chart 4.11.1', () => {
  /**
   * `.Values.*` paths read by jaegertracing/helm-charts@jaeger-4.11.1
   * charts/jaeger/templates/jaeger/jaeger-deploy.yaml (`grep -o '\.Values\.[A-Za-z0-9_.]*'`),
   * plus `jaeger.image` (read by the `jaeger.image` helper in _helpers.tpl). values.yaml lacks
   * `strategy` and `topologySpreadConstraints` (it has the typo `topologySpreadContraints`).
   */
  const DEPLOYMENT_READS = [
    'jaeger.affinity', 'jaeger.args', 'jaeger.enabled', 'jaeger.extraEnv', 'jaeger.extraVolumeMounts', 'jaeger.extraVolumes', 'jaeger.image',
    'jaeger.nodeSelector', 'jaeger.podLabels', 'jaeger.podSecurityContext', 'jaeger.replicas', 'jaeger.resources', 'jaeger.securityContext',
    'jaeger.strategy', 'jaeger.tolerations', 'jaeger.topologySpreadConstraints', 'uiconfig', 'userconfig',
  ];
  const FREE_FORM = new Set(['userconfig']);

  function keyPaths(value: unknown, depth: number, prefix = ''): string[] {
    if (depth === 0 || value === null || typeof value !== 'object' || Array.isArray(value)) return [];
    return Object.entries(value).flatMap(([k, v]) => [`${prefix}${k}`, ...(FREE_FORM.has(`${prefix}${k}`) ? [] : keyPaths(v, depth - 1, `${prefix}${k}.`))]);
  }
  function inValuesYaml(upstream: any, path: string): boolean {
    let node = upstream;
    for (const part of path.split('.')) {
      if (node && typeof node === 'object' && part in node) node = node[part];
      else return false;
    }
    return true;
  }
  const readByDeployment = (path: string) => DEPLOYMENT_READS.some((r) => path === r || path.startsWith(`${r}.`));
  const upstream = parse(chartDataFile('chart-values', 'jaeger', `${CHART_VERSION}.yaml`));
  const [values, rollout] = build({ replicas: 2 }).docs;

  it.each([['values', values], ['rollout', rollout]])('every key of the %s document is in values.yaml or read by the deployment template', (_, doc) => {
    const unknown = keyPaths(doc, 2).filter((p) => !inValuesYaml(upstream, p) && !readByDeployment(p));
    expect(unknown).toEqual([]);
  });

  it('every jaeger.* key we set reaches the Deployment (a key only in values.yaml is not enough)', () => {
    const unread = keyPaths(values, 2).filter((p) => p.startsWith('jaeger.') && !readByDeployment(p));
    expect(unread).toEqual([]);
    // The check catches values.yaml's misspelt key, which no template reads.
    expect(inValuesYaml(upstream, 'jaeger.topologySpreadContraints')).toBe(true);
    expect(readByDeployment('jaeger.topologySpreadContraints')).toBe(false);
  });
});

describe('Elasticsearch role of Jaeger', () => {
  const role = jaegerElasticsearchRole(JAEGER_INDEX_FAMILIES);

  it('grants nothing outside Jaeger\'s daily indices', () => {
    const names = role.indices.flatMap((i) => i.names);
    expect(names.sort()).toEqual(JAEGER_INDEX_FAMILIES.map((f) => `${f}-*`).sort());
    for (const name of names) {
      expect(name).toMatch(/^jaeger-[a-z]+-\*$/);
      expect(['*', 'jaeger-*', 'jaeger*']).not.toContain(name);
    }
  });

  it('grants writes and reads, no delete or admin, and only index templates on the cluster', () => {
    expect(role.cluster).toEqual(['manage_index_templates']);
    const privileges = role.indices.flatMap((i) => i.privileges);
    expect(privileges.sort()).toEqual(['auto_configure', 'index', 'read']);
    for (const p of ['all', 'manage', 'delete', 'delete_index', 'write', 'create_index']) expect(privileges).not.toContain(p);
  });

  it('refuses index names outside Jaeger\'s', () => {
    expect(() => jaegerElasticsearchRole(['logs'])).toThrow(/not a Jaeger index family/);
    expect(() => jaegerElasticsearchRole(['jaeger-*'])).toThrow(/not a Jaeger index family/);
    expect(() => jaegerElasticsearchRole([])).toThrow(/no index families/);
  });

  it('covers the index families Jaeger writes and the templates it puts', () => {
    expect(JAEGER_INDEX_FAMILIES).toEqual(['jaeger-span', 'jaeger-service', 'jaeger-dependencies', 'jaeger-sampling']);
    expect(JAEGER_ES_USER).toBe('jaeger');
  });
});
