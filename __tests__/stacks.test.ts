import Ajv from 'ajv';
import { build, config, helmValues, resourcesOf, resourceTypes, chartDataFile, synth, TfJson } from './helpers';
import { componentsInUse } from '../constructs/otel/collector-config';
import { AGENT_SERVICE, COLLECTOR_SERVICE } from '../constructs/otel/names';
import { DOCUMENT_ID_KEY, FLUENTD_MONITOR_PORT, FLUENTD_PLUGIN_FILES, FLUENTD_PLUGIN_IDS } from '../constructs/fluentd/fluent-conf';
import { parseFluentConf, sectionsOf } from './fluent-conf-text';

const app = build();
const json = {
  cluster: synth(app.cluster),
  elasticsearch: synth(app.elasticsearch),
  jaeger: synth(app.jaeger),
  collector: synth(app.collector),
  logging: synth(app.logging),
  sampleApp: synth(app.sampleApp),
};

describe('resources per stack (kind mode)', () => {
  it.each<[keyof typeof json, string[]]>([
    ['cluster', ['docker_container', 'docker_image', 'kind_cluster', 'kubernetes_config_map_v1', 'local_file']],
    // No random_password or tls_* resource: passwords are ephemeral, ECK issues the certificate.
    ['elasticsearch', ['helm_release', 'kubernetes_config_map_v1', 'kubernetes_job_v1', 'kubernetes_namespace_v1', 'kubernetes_network_policy_v1', 'kubernetes_secret_v1', 'kubernetes_service_v1']],
    // Secrets: Jaeger's Elasticsearch user (dev stores traces there too), its password and CA copies.
    ['jaeger', ['helm_release', 'kubernetes_namespace_v1', 'kubernetes_network_policy_v1', 'kubernetes_secret_v1', 'kubernetes_service_v1']],
    ['collector', ['helm_release', 'kubernetes_namespace_v1', 'kubernetes_network_policy_v1', 'kubernetes_secret_v1']],
    ['logging', ['kubernetes_cluster_role_binding_v1', 'kubernetes_cluster_role_v1', 'kubernetes_config_map_v1', 'kubernetes_cron_job_v1', 'kubernetes_daemon_set_v1', 'kubernetes_namespace_v1', 'kubernetes_network_policy_v1', 'kubernetes_secret_v1', 'kubernetes_service_account_v1']],
    ['sampleApp', ['docker_image', 'docker_registry_image', 'kubernetes_deployment_v1', 'kubernetes_namespace_v1', 'kubernetes_network_policy_v1', 'kubernetes_service_v1']],
  ])('%s has exactly its resource types', (stack, types) => {
    expect(resourceTypes(json[stack])).toEqual(types);
  });
});

describe('kind cluster binding', () => {
  const kind = resourcesOf(json.cluster, 'kind_cluster')[0];
  it('synthesizes the provider schema: kind_config as one object, node as a list', () => {
    expect(json.cluster.terraform.required_providers.kind).toEqual({ source: 'tehcyx/kind', version: '0.11.0' });
    expect(kind.name).toBe('monitoring');
    expect(kind.wait_for_ready).toBe(true);
    expect(kind.kind_config.kind).toBe('Cluster');
    expect(kind.kind_config.api_version).toBe('kind.x-k8s.io/v1alpha4');
    expect(Array.isArray(kind.kind_config.node)).toBe(true);
    expect(kind.kind_config.node.map((n: any) => n.role)).toEqual(['control-plane']);
    expect(kind.kind_config.node[0].extra_mounts[0]).toMatchObject({ container_path: '/etc/containerd/certs.d', read_only: true });
  });
  it('adds the configured workers', () => {
    const withWorkers = synth(build(config({ cluster: { mode: 'kind', workers: 2 } })).cluster);
    expect(resourcesOf(withWorkers, 'kind_cluster')[0].kind_config.node.map((n: any) => n.role)).toEqual(['control-plane', 'worker', 'worker']);
  });
  it('runs the local registry on 127.0.0.1 in the kind network, mapped by hosts.toml', () => {
    const registry = resourcesOf(json.cluster, 'docker_container')[0];
    expect(registry.name).toBe('kind-registry');
    expect(registry.ports).toEqual([{ internal: 5000, external: 5001, ip: '127.0.0.1' }]);
    expect(registry.networks_advanced).toEqual([{ name: 'kind' }]);
    const file = resourcesOf(json.cluster, 'local_file')[0];
    expect(file.filename).toMatch(/certs\.d\/localhost:5001\/hosts\.toml$/);
    expect(file.content).toContain('[host."http://kind-registry:5000"]');
  });
  it('hands other stacks the kubeconfig file kind writes, never a credential', () => {
    const outputs = json.cluster.output!;
    for (const name of ['client_certificate', 'client_key', 'cluster_ca_certificate', 'kubeconfig']) expect(outputs).not.toHaveProperty(name);
    const provider = (json.elasticsearch.provider as any).kubernetes[0];
    expect(Object.keys(provider).filter((k) => k !== 'alias').sort()).toEqual(['config_context', 'config_path']);
    // Path and context come from the cluster stack (so its stacks deploy after it, and both are
    // unknown together before it exists): remote-state outputs of kind_cluster.kubeconfig_path and .name.
    const [, output] = /^\$\{data\.terraform_remote_state\.[^.]+\.outputs\.([^}]+)\}$/.exec(provider.config_path)!;
    expect(outputs[output].value).toMatch(/^\$\{kind_cluster\.[^.]+\.kubeconfig_path\}$/);
    const [, contextOutput] = /^kind-\$\{data\.terraform_remote_state\.[^.]+\.outputs\.([^}]+)\}$/.exec(provider.config_context)!;
    expect(outputs[contextOutput].value).toMatch(/^\$\{kind_cluster\.[^.]+\.name\}$/);
    expect(resourcesOf(json.cluster, 'kind_cluster')[0].name).toBe('monitoring'); // context kind-monitoring
    // Relative to a stack directory: the same for every stack (siblings under <outdir>/stacks).
    expect(resourcesOf(json.cluster, 'kind_cluster')[0].kubeconfig_path).toMatch(/^\.\.\/\.\.\/.*\.kind\/monitoring\/kubeconfig$/);
  });
});

describe('Helm charts are the official ones, pinned', () => {
  const releases = [json.elasticsearch, json.jaeger, json.collector].flatMap((j) => resourcesOf(j, 'helm_release'));
  it.each([
    ['eck-operator', 'https://helm.elastic.co', '3.5.0'],
    ['eck-elasticsearch', 'https://helm.elastic.co', '0.20.0'],
    ['jaeger', 'https://jaegertracing.github.io/helm-charts', '4.11.1'],
    ['opentelemetry-collector', 'https://open-telemetry.github.io/opentelemetry-helm-charts', '0.170.0'],
  ])('%s from %s at %s', (chart, repository, version) => {
    const release = releases.find((r) => r.chart === chart);
    expect(release).toMatchObject({ repository, version, atomic: true, wait: true });
  });
});

describe('elasticsearch', () => {
  const values = helmValues(json.elasticsearch, 'eck-elasticsearch');
  it("is one bounded node serving TLS with ECK's certificate and every client's file-realm user", () => {
    expect(values.nodeSets).toHaveLength(1);
    expect(values.nodeSets[0].count).toBe(1);
    const container = values.nodeSets[0].podTemplate.spec.containers[0];
    expect(container.env).toContainEqual({ name: 'ES_JAVA_OPTS', value: '-Xms640m -Xmx640m' });
    expect(container.resources.limits).toEqual({ cpu: '2', memory: '1536Mi' });
    expect(values.http.tls).not.toHaveProperty('certificate');
    // Names only: each client stack creates its user's Secrets (ECK skips them until then).
    const users = ['index-templates', 'log-writer', 'events-writer', 'index-janitor', 'jaeger', 'kibana-data-views'];
    expect(values.auth.fileRealm).toEqual(users.map((u) => ({ secretName: `elasticsearch-${u}-user` })));
    expect(values.auth.roles).toEqual(users.map((u) => ({ secretName: `elasticsearch-${u}-role` })));
  });
  it('keeps no password, key or CA in its resources or outputs', () => {
    expect(resourcesOf(json.elasticsearch, 'random_password')).toEqual([]);
    expect(Object.keys(json.elasticsearch.resource!).filter((t) => t.startsWith('tls_'))).toEqual([]);
    expect(Object.keys(json.elasticsearch.output!).filter((o) => /password|certificate|key/.test(o) && !o.endsWith('_command'))).toEqual([]);
    // The gate's own user: written write-only, every key in data_wo (the provider ignores data then).
    const gateUser = resourcesOf(json.elasticsearch, 'kubernetes_secret_v1').find((s) => s.metadata.name === 'elasticsearch-index-templates-user');
    expect(gateUser.data).toBeUndefined();
    expect(Object.keys(gateUser.data_wo).sort()).toEqual(['password', 'roles', 'username']);
    expect(gateUser.data_wo.password).toMatch(/^\$\{ephemeral\.random_password\.[^.]+\.result\}$/);
    expect(gateUser.data_wo_revision).toBe(1);
  });
  it('covers the Service names clients use in the certificate', () => {
    const sans = values.http.tls.selfSignedCertificate.subjectAltNames;
    expect(sans).toEqual(expect.arrayContaining([{ dns: 'elasticsearch.elasticsearch.svc' }, { dns: 'elasticsearch.elasticsearch.svc.cluster.local' }, { dns: 'localhost' }, { ip: '127.0.0.1' }]));
  });
  it('persistence switches emptyDir for a claim', () => {
    const v = helmValues(synth(build(config({ elasticsearch: { persistence: { enabled: true, size: '10Gi' } } })).elasticsearch), 'eck-elasticsearch');
    expect(v.nodeSets[0].volumeClaimTemplates[0].spec.resources.requests.storage).toBe('10Gi');
    expect(v.nodeSets[0].podTemplate.spec.volumes).toBeUndefined();
  });
});

describe('jaeger', () => {
  const values = helmValues(json.jaeger, 'jaeger');
  it("uses the 4.x (Jaeger v2) layout with the dev Elasticsearch as storage (one shard, no replica on the one node) and the Monitor tab's metric backend", () => {
    for (const oldKey of ['allInOne', 'provisionDataStore', 'agent', 'collector', 'query']) expect(values).not.toHaveProperty(oldKey);
    const storage = values.userconfig.extensions.jaeger_storage;
    expect(Object.keys(storage.backends)).toEqual(['es']);
    for (const index of Object.values<any>(storage.backends.es.elasticsearch.indices)) expect(index).toEqual({ shards: 1, replicas: 0, rollover_frequency: 'day' });
    // The metrics are read from the same span indices, with the same client settings.
    expect(storage.metric_backends).toEqual({ 'es-metrics': { elasticsearch: storage.backends.es.elasticsearch } });
    expect(values.userconfig.extensions.jaeger_query.storage).toEqual({ traces: 'es', metrics: 'es-metrics' });
    expect(values.jaeger.replicas).toBe(1);
    expect(values.userconfig.receivers.otlp.protocols.grpc.endpoint).toBe('0.0.0.0:4317');
    expect(values.userconfig.extensions.jaeger_query.http.endpoint).toBe('0.0.0.0:16686');
    expect(values.userconfig.extensions.healthcheckv2.http.endpoint).toBe('0.0.0.0:13133');
    expect(values.jaeger.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    expect(values.jaeger.resources.limits.memory).toBe('512Mi');
  });
  it('adds the jaeger-query Service users type', () => {
    const svc = resourcesOf(json.jaeger, 'kubernetes_service_v1')[0];
    expect(svc.metadata.name).toBe('jaeger-query');
    expect(svc.spec.port.map((p: any) => p.port)).toContain(16686);
    expect(svc.spec.selector['app.kubernetes.io/instance']).toBe('jaeger');
  });
  it('the Jaeger keys we set exist in the pinned chart values.yaml', () => {
    const upstream = chartDataFile('chart-values', 'jaeger', '4.11.1.yaml');
    for (const key of ['fullnameOverride:', 'userconfig:', '  podSecurityContext:', '  securityContext:', '  image:', '  # resources:']) expect(upstream).toContain(key);
  });
});

describe('otel-collector', () => {
  const values = helmValues(json.collector, 'opentelemetry-collector', COLLECTOR_SERVICE);
  const agent = helmValues(json.collector, 'opentelemetry-collector', AGENT_SERVICE);
  const cfg = values.config;
  it('passes the pinned chart values schema', () => {
    const schema = JSON.parse(chartDataFile('chart-schemas', 'opentelemetry-collector', '0.170.0.json'));
    const ajv = new Ajv({ strict: false, allErrors: true });
    const validate = ajv.compile(schema);
    // Helm validates the merged values; apiVersion comes from the chart's own defaults.
    expect(validate({ apiVersion: 'apps/v1', ...values }) ? [] : validate.errors).toEqual([]);
  });
  it('uses the contrib image (the k8s distribution has no prometheus exporter), pinned', () => {
    expect(values.image).toEqual({ repository: 'otel/opentelemetry-collector-contrib', tag: '0.158.0' });
    expect(values.mode).toBe('statefulset');
  });
  it('pipelines contain exactly the intended components, limiter first and batch last', () => {
    const p = cfg.service.pipelines;
    expect(p.traces).toEqual({ receivers: ['otlp'], processors: ['memory_limiter', 'resource', 'batch'], exporters: ['otlp/jaeger', 'debug'] });
    expect(p.metrics).toEqual({ receivers: ['otlp', 'prometheus', 'k8s_cluster'], processors: ['memory_limiter', 'resource', 'batch'], exporters: ['prometheus', 'debug'] });
    expect(p['logs/events'].exporters).toEqual(['elasticsearch/events']);
    expect(p.logs).toBeNull();
    expect(cfg.receivers.jaeger).toBeNull();
    expect(cfg.receivers.zipkin).toBeNull();
    expect(cfg.service.extensions).toContain('health_check');
  });
  it('exports traces to the Jaeger stack output through remote state', () => {
    expect(cfg.exporters['otlp/jaeger'].endpoint).toMatch(/^\$\{data\.terraform_remote_state\.cross-stack-reference-input-jaeger\.outputs\.[^}]+\}\.\$\{data\.terraform_remote_state\.cross-stack-reference-input-jaeger\.outputs\.[^}]+\}\.svc\.cluster\.local:4317$/);
    expect(json.collector.data!.terraform_remote_state['cross-stack-reference-input-jaeger']).toBeDefined();
  });
  it('exposes the Prometheus exporter on 8889 through the Service; the kubelets are scraped by the agents, each its own node', () => {
    expect(values.ports['prom-exporter']).toEqual({ enabled: true, containerPort: 8889, servicePort: 8889, protocol: 'TCP' });
    expect(cfg.exporters.prometheus.endpoint).toBe('0.0.0.0:8889');
    expect(values.replicaCount).toBe(1);
    expect(cfg.extensions.k8s_observer).toBeUndefined();
    expect(agent.config.receivers.kubelet_stats.endpoint).toBe('https://${env:K8S_NODE_IP}:10250');
  });
  it('RBAC is read-only; kubelet stats need nodes/stats (the agent only), not nodes/proxy', () => {
    for (const v of [values, agent]) {
      const verbs = new Set(v.clusterRole.rules.flatMap((r: any) => r.verbs));
      expect([...verbs].sort()).toEqual(['get', 'list', 'watch']);
      const resources = v.clusterRole.rules.flatMap((r: any) => r.resources);
      expect(resources.includes('nodes/stats')).toBe(v === agent);
      expect(resources).not.toContain('nodes/proxy');
    }
  });
  it('the node agent forwards to this collector, after it (depends_on), and the apps reach the agent', () => {
    expect(agent.mode).toBe('daemonset');
    expect(agent.config.exporters['otlp/gateway'].endpoint).toMatch(/^\$\{helm_release\.collector_release_[0-9A-F]+\.name\}\.\$\{helm_release\.collector_release_[0-9A-F]+\.namespace\}\.svc\.cluster\.local:4317$/);
    const releases = resourcesOf(json.collector, 'helm_release');
    const agentRelease = releases.find((r: any) => r.name === AGENT_SERVICE);
    const collectorKey = Object.entries<any>(json.collector.resource!.helm_release).find(([, r]) => r.name === COLLECTOR_SERVICE)![0];
    expect(agentRelease.depends_on).toContain(`helm_release.${collectorKey}`);
    expect(json.collector.output!.otlp_http_endpoint.value).toMatch(/^http:\/\/\$\{helm_release\.agent_release_[0-9A-F]+\.name\}\./);
  });
  it('the module lists the components in use', () => {
    const used = componentsInUse(cfg);
    expect(used.exporters).toEqual(['debug', 'elasticsearch/events', 'otlp/jaeger', 'prometheus']);
  });
});

describe('logging (Fluentd)', () => {
  const conf: string = resourcesOf(json.logging, 'kubernetes_config_map_v1').find((c) => 'fluent.conf' in c.data).data['fluent.conf'];
  const sections = sectionsOf(parseFluentConf(conf));
  const ofType = (type: string) => sections.filter((s) => s.section.params['@type'] === type);
  it('tails CRI logs and writes daily fluentd-YYYY-MM-DD indices over verified TLS, durably', () => {
    expect(conf).toMatch(/path \/var\/log\/containers\/\*\.log[\s\S]*<parse>\n\s+@type cri/);
    expect(conf).toContain('logstash_prefix fluentd\n');
    expect(conf).toContain('logstash_prefix_separator -');
    expect(conf).toContain('logstash_dateformat %Y-%m-%d');
    expect(conf).toContain('ssl_verify true');
    expect(conf).toContain('ca_file /fluentd/es-ca/ca.crt');
    expect(conf).toMatch(/<buffer>\n\s+@type file\n\s+path \/var\/log\/fluentd\/buffer/);
    expect(conf).toContain('retry_type exponential_backoff');
    // Durable: retried forever from files on the node, blocking in_tail (not dropping) when full,
    // flushed at shutdown; a busy Elasticsearch (429) is retried instead of dropping the chunk.
    for (const line of ['retry_forever true', 'overflow_action block', 'flush_at_shutdown true', 'total_limit_size 512MB', 'retry_max_interval 60s', 'unrecoverable_error_types out_of_memory_error']) expect(conf).toContain(`${line}\n`);
    expect(conf).not.toMatch(/retry_timeout|retry_max_times|drop_oldest_chunk/);
    expect(conf).toContain('pos_file /var/log/fluentd/containers.log.pos');
    expect(conf).toContain('@type systemd');
  });
  it("counts no record on the main path: Fluentd's own counts (in_tail's emit_records, served by monitor_agent) for lines read, counting filters only on the rare routes", () => {
    const tail = ofType('tail');
    expect(tail.map((s) => s.section.params['@id'])).toEqual([FLUENTD_PLUGIN_IDS.tail]);
    expect(ofType('monitor_agent').map((s) => s.section.params.port)).toEqual([String(FLUENTD_MONITOR_PORT)]);
    const counting = ofType('prometheus').filter((s) => s.section.name === 'filter');
    expect(counting.map((s) => s.labels)).toEqual([['@PARTIAL_TIMEOUT'], ['@ERROR']]);
  });
  it("the pipeline owns the document: split lines, then stack traces, then in @LOGS app_line before the metadata (from the tag, never the record), then the output", () => {
    const mainFilters = sections.filter((s) => s.section.name === 'filter' && s.labels.length === 0).map((s) => s.section.params['@type']);
    expect(mainFilters).toEqual(['concat', 'stack_trace']);
    const logs = sections.filter((s) => s.labels[0] === '@LOGS' && ['filter', 'match'].includes(s.section.name)).map((s) => s.section.params['@type']);
    expect(logs).toEqual(['app_line', 'kubernetes_metadata_per_tag', 'elasticsearch']);
    const [metadata] = ofType('kubernetes_metadata_per_tag');
    expect(metadata.section.params.lookup_from_k8s_field).toBe('false');
    expect(ofType('app_line')[0].section.params.hash_key).toBe(DOCUMENT_ID_KEY);
    // The stock JSON parser and metadata filter would let an app's fields stand beside (or for) the pipeline's.
    expect([...ofType('parser'), ...ofType('kubernetes_metadata')]).toEqual([]);
    expect(ofType('stack_trace')[0].section.params).toMatchObject({ stream_key: 'stream', timeout_label: '@LOGS' });
  });
  it('both outputs send the id derived from the line with an index action, and keep it in the record; the fallback document keeps it too', () => {
    const outputs = ofType('elasticsearch');
    expect(outputs.map((s) => s.section.params['@id'])).toEqual(['out_es', 'out_es_rejected']);
    for (const { section } of outputs) {
      expect(section.params).toMatchObject({ id_key: DOCUMENT_ID_KEY, logstash_format: 'true', include_timestamp: 'true' });
      // remove_keys would drop the id from a record the output re-emits (retry, @ERROR); `create` without an id is skipped.
      expect(section.params).not.toHaveProperty('remove_keys');
      expect(section.params.write_operation ?? 'index').toBe('index');
    }
    const [fallback] = ofType('record_transformer');
    expect(fallback.labels).toEqual(['@ERROR']);
    expect(fallback.section.children[0].params[DOCUMENT_ID_KEY]).toContain(`record["${DOCUMENT_ID_KEY}"]`);
  });
  it('keeps stream, flushes a partial line whose end never comes, and sends rejected documents to a fallback family', () => {
    // concat deletes partial_cri_stream_key from every record it joins: it must not be `stream`.
    expect(conf).toMatch(/@type concat[\s\S]*partial_cri_stream_key partial_cri_stream_unused\n[\s\S]*keep_partial_key true\n[\s\S]*timeout_label @PARTIAL_TIMEOUT\n/);
    expect(conf).toMatch(/<label @PARTIAL_TIMEOUT>[\s\S]*@label @LOGS\n[\s\S]*<\/label>\n<label @LOGS>/);
    expect(conf).toMatch(/<label @ERROR>[\s\S]*name fluentd_error_label_records_total[\s\S]*@type record_transformer[\s\S]*@id out_es_rejected[\s\S]*logstash_prefix fluentd-rejected\n[\s\S]*path \/var\/log\/fluentd\/buffer\/rejected\n/);
  });
  it('ships our plugins as ConfigMap fluentd-plugins, one key per file', () => {
    const plugins = resourcesOf(json.logging, 'kubernetes_config_map_v1').find((c) => c.metadata.name === 'fluentd-plugins');
    expect(Object.keys(plugins.data).sort()).toEqual([...FLUENTD_PLUGIN_FILES].sort());
  });
  it('index prefix is configurable', () => {
    const other = synth(build(config({ fluentd: { indexPrefix: 'applogs' } })).logging);
    expect(resourcesOf(other, 'kubernetes_config_map_v1').find((c) => 'fluent.conf' in c.data).data['fluent.conf']).toContain('logstash_prefix applogs\n');
  });
  it('ClusterRole only reads pods and namespaces', () => {
    expect(resourcesOf(json.logging, 'kubernetes_cluster_role_v1')[0].rule).toEqual([{ api_groups: [''], resources: ['pods', 'namespaces'], verbs: ['get', 'list', 'watch'] }]);
  });
  it('runs on every node including the control plane, pinned image of the ES major flavour', () => {
    const ds = resourcesOf(json.logging, 'kubernetes_daemon_set_v1')[0];
    const spec = ds.spec.template.spec;
    expect(spec.toleration).toContainEqual({ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' });
    expect(spec.container[0].image).toBe('fluent/fluentd-kubernetes-daemonset:v1.19.3-debian-elasticsearch9-1.1');
  });
});

describe('every container has resources, probes and a securityContext', () => {
  const podSpecs = [
    ...resourcesOf(json.logging, 'kubernetes_daemon_set_v1'),
    ...resourcesOf(json.sampleApp, 'kubernetes_deployment_v1'),
  ].map((w) => w.spec.template.spec);
  it('raw Kubernetes workloads', () => {
    expect(podSpecs.length).toBe(3);
    for (const spec of podSpecs) {
      for (const c of spec.container) {
        expect(c.resources.requests.cpu).toBeTruthy();
        expect(c.resources.limits.memory).toBeTruthy();
        expect(c.readiness_probe).toBeDefined();
        expect(c.liveness_probe).toBeDefined();
        expect(c.security_context).toMatchObject({ read_only_root_filesystem: true, allow_privilege_escalation: false, capabilities: { drop: ['ALL'] } });
      }
    }
  });
  it('only Fluentd runs as root, and says so', () => {
    const roots = podSpecs.flatMap((s) => s.container).filter((c: any) => c.security_context.run_as_non_root === false);
    expect(roots.map((c: any) => c.name)).toEqual(['fluentd']);
  });
});

describe('sample app', () => {
  const deployments = resourcesOf(json.sampleApp, 'kubernetes_deployment_v1');
  const front = deployments.find((d) => d.metadata.name === 'sample-app');
  const env = Object.fromEntries(front.spec.template.spec.container[0].env.map((e: any) => [e.name, e.value ?? e.value_from]));
  it('runs 3 replicas behind Service sample-app:8080 with a content-addressed local image', () => {
    expect(front.spec.replicas).toBe('3');
    const svc = resourcesOf(json.sampleApp, 'kubernetes_service_v1').find((s) => s.metadata.name === 'sample-app');
    expect(svc.spec.port[0].port).toBe(8080);
    // The pod spec references the pushed image, so the Deployment waits for the push.
    const pushed = Object.entries<any>(json.sampleApp.resource!.docker_registry_image)[0];
    expect(front.spec.template.spec.container[0].image).toBe(`\${docker_registry_image.${pushed[0]}.name}`);
    const built = Object.values<any>(json.sampleApp.resource!.docker_image)[0];
    expect(built.name).toMatch(/^localhost:5001\/sample-app:[0-9a-f]{16}$/);
    expect(pushed[1].name).toMatch(/^\$\{docker_image\./);
    expect(built.build.context).toMatch(/sample-app$/);
  });
  it('points OTLP at the collector stack output and passes pod metadata by the downward API', () => {
    expect(env.OTEL_EXPORTER_OTLP_ENDPOINT).toMatch(/^http:\/\/\$\{data\.terraform_remote_state\.cross-stack-reference-input-otel-collector\.outputs\.[^}]+\}/);
    expect(env.POD_NAME).toEqual({ field_ref: { field_path: 'metadata.name' } });
    expect(env.NODE_NAME).toEqual({ field_ref: { field_path: 'spec.nodeName' } });
    expect(env.BACKEND_URL).toBe('http://sample-app-backend.${kubernetes_namespace_v1.namespace.metadata[0].name}.svc.cluster.local:8080');
  });
});

describe('existing-cluster mode', () => {
  const existing = build(config({ cluster: { mode: 'existing', kubeconfigPath: '/tmp/kubeconfig', context: 'prod' }, sampleApp: { image: 'ghcr.io/acme/sample-app:1.0.0' } }));
  it('creates no kind, docker or registry resources anywhere', () => {
    const all: TfJson[] = [existing.cluster, existing.elasticsearch, existing.jaeger, existing.collector, existing.logging, existing.sampleApp].map(synth);
    const types = all.flatMap(resourceTypes);
    expect(types.filter((t) => t.startsWith('kind_') || t.startsWith('docker_') || t === 'local_file')).toEqual([]);
    expect(all[1].provider!.kubernetes[0]).toMatchObject({ config_path: '/tmp/kubeconfig', config_context: 'prod' });
    const deploy = resourcesOf(all[5], 'kubernetes_deployment_v1')[0];
    expect(deploy.spec.template.spec.container[0].image).toBe('ghcr.io/acme/sample-app:1.0.0');
  });
});

describe('environment mode (Terraform Cloud remote runs)', () => {
  it('providers read credentials from KUBE_* variables: no paths, no kind, no Docker', () => {
    const env = build(config({ cluster: { mode: 'environment', name: 'prod' }, sampleApp: { image: 'ghcr.io/acme/sample-app:1.0.0' }, backend: { type: 'cloud', organization: 'acme' } }));
    const all = [env.cluster, env.elasticsearch, env.jaeger, env.collector, env.logging, env.sampleApp].map(synth);
    expect(all.flatMap(resourceTypes).filter((t) => t.startsWith('kind_') || t.startsWith('docker_') || t === 'local_file')).toEqual([]);
    expect(all[1].provider!.kubernetes[0]).toEqual({});
    expect(all[1].provider!.helm[0]).toEqual({ kubernetes: {} });
    expect(JSON.stringify(all)).not.toContain(process.cwd());
  });
});

describe('Terraform Cloud backend', () => {
  const cloud = build(config({ backend: { type: 'cloud', organization: 'acme' } }));
  const names = { cluster: 'cluster', elasticsearch: 'elasticsearch', jaeger: 'jaeger', collector: 'otel-collector', logging: 'logging', sampleApp: 'sample-app' } as const;
  it('every stack synthesizes with its own workspace, and every cross-stack reference reads a workspace', () => {
    for (const [key, stackName] of Object.entries(names)) {
      const j = synth(cloud[key as keyof typeof names]);
      expect(j.terraform.cloud.workspaces).toEqual({ name: `monitoring-${stackName}` });
      expect(j.terraform.backend).toBeUndefined();
      for (const [id, remote] of Object.entries<any>(j.data?.terraform_remote_state ?? {})) {
        const producer = id.replace('cross-stack-reference-input-', '');
        expect(remote).toMatchObject({ backend: 'remote', config: { organization: 'acme', workspaces: { name: `monitoring-${producer}` } } });
      }
    }
    // The consumers read their producers' outputs.
    expect(Object.keys(synth(cloud.sampleApp).data!.terraform_remote_state).sort()).toEqual(['cross-stack-reference-input-cluster', 'cross-stack-reference-input-otel-collector']);
    expect(Object.keys(synth(cloud.logging).data!.terraform_remote_state).sort()).toEqual(['cross-stack-reference-input-cluster', 'cross-stack-reference-input-elasticsearch']);
  });
  it('one workspace per stack and cross-stack references through the remote backend', () => {
    const es = synth(cloud.elasticsearch);
    expect(es.terraform.cloud).toEqual({ hostname: 'app.terraform.io', organization: 'acme', workspaces: { name: 'monitoring-elasticsearch' } });
    const collector = synth(cloud.collector);
    const remote = collector.data!.terraform_remote_state['cross-stack-reference-input-jaeger'];
    expect(remote.backend).toBe('remote');
    expect(remote.config).toMatchObject({ organization: 'acme', workspaces: { name: 'monitoring-jaeger' } });
  });
});

describe('sample-app image tag', () => {
  const { hashContext } = require('../constructs/app/sample-app-image') as typeof import('../constructs/app/sample-app-image');
  const fs = require('node:fs') as typeof import('node:fs');
  const path = require('node:path') as typeof import('node:path');
  const os = require('node:os') as typeof import('node:os');
  it('changes with the code Docker builds and not with what .dockerignore leaves out', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctx-'));
    fs.writeFileSync(path.join(dir, '.dockerignore'), 'node_modules\ntest\n*.md\n');
    fs.mkdirSync(path.join(dir, 'src'));
    fs.mkdirSync(path.join(dir, 'test'));
    fs.writeFileSync(path.join(dir, 'src', 'app.ts'), 'v1');
    const first = hashContext(dir);
    fs.writeFileSync(path.join(dir, 'test', 'a.test.ts'), 'changed');
    fs.writeFileSync(path.join(dir, 'NOTES.md'), 'changed');
    expect(hashContext(dir)).toBe(first);
    fs.writeFileSync(path.join(dir, 'src', 'app.ts'), 'v2');
    expect(hashContext(dir)).not.toBe(first);
    expect(first).toMatch(/^[0-9a-f]{16}$/);
  });
});
