import { TerraformStack, Testing } from 'cdktf';
import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import { terraformLiteral } from '../constructs/terraform/literal';
import { HelmAddOn } from '../constructs/helm/helm-addon';
import { SecureDeployment } from '../constructs/k8s/secure-deployment';
import { ElasticsearchFileRealmUser } from '../constructs/elasticsearch/user';
import { build, config, helmRelease, helmValues, providerSchema, resourcesOf, synth, TfJson } from './helpers';

const image = 'ghcr.io/acme/sample-app:1.0.0';
const modes = {
  kind: config(),
  existing: config({ cluster: { mode: 'existing', kubeconfigPath: '/tmp/kubeconfig', context: 'prod' }, sampleApp: { image } }),
  environment: config({ cluster: { mode: 'environment', name: 'prod' }, sampleApp: { image } }),
};
const stacksOf = (app: ReturnType<typeof build>): Record<string, TfJson> =>
  Object.fromEntries([app.cluster, app.elasticsearch, app.jaeger, app.collector, app.logging, app.sampleApp].map((s) => [s.node.id, synth(s)]));
const kind = stacksOf(build(modes.kind));

/** Every string anywhere in a JSON value. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

describe('one escaping rule for literal text', () => {
  it('escapes template syntax in literal parts and keeps CDKTF tokens live', () => {
    expect(terraformLiteral('a ${env:X} %{if} $${b} c')).toBe('a $${env:X} %%{if} $$${b} c');
    const app = Testing.app();
    const stack = new TerraformStack(app, 's');
    const cm = new ConfigMapV1(stack, 'cm', { metadata: { name: 'x' }, data: { k: 'v' } });
    const mixed = terraformLiteral(`name=${cm.metadata.name} shell=\${a#b}`);
    new ConfigMapV1(stack, 'out', { metadata: { name: 'y' }, data: { k: mixed } });
    const json = JSON.parse(Testing.synth(stack));
    expect(json.resource.kubernetes_config_map_v1.out.data.k).toBe('name=${kubernetes_config_map_v1.cm.metadata[0].name} shell=$${a#b}');
  });

  it('every building block that embeds text applies it: Helm values, commands, env, annotations, roles', () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, 's');
    new HelmAddOn(stack, 'helm', { chart: 'c', repository: 'https://r', version: '1.0.0', release: 'r', namespace: 'n', values: { text: '${env:X}' } });
    new SecureDeployment(stack, 'd', {
      name: 'd',
      namespace: 'n',
      podAnnotations: { note: '%{x}' },
      containers: [{ name: 'c', image: 'i:1', command: ['sh', '-c', 'echo ${a#b}'], env: [{ name: 'E', value: '${E}' }], resources: { requests: { cpu: '1m', memory: '1Mi' }, limits: { cpu: '1m', memory: '1Mi' } }, readinessProbe: { exec: { command: ['true'] } }, livenessProbe: { exec: { command: ['true'] } } }],
    });
    new ElasticsearchFileRealmUser(stack, 'u', { elasticsearchNamespace: 'n', user: { username: 'u', roleName: 'r', owner: 'logging', role: { cluster: [], indices: [{ names: ['${x}-*'], privileges: ['read'] }] } }, password: 'p', revision: 1 });
    const json = JSON.parse(Testing.synth(stack));
    const unescaped = strings(json.resource).concat(strings(json.locals)).filter((s) => /(^|[^$])\$\{(?!sha256|kubernetes_|random_|local\.)|(^|[^%])%\{/.test(s));
    expect(unescaped).toEqual([]);
    expect(strings(json.locals)).toContainEqual(expect.stringContaining('text: $${env:X}'));
  });

  it('the synthesized stacks hold no unescaped collector ${env:…} or shell ${…}', () => {
    const values = helmRelease(kind['otel-collector'], 'opentelemetry-collector', 'otel-collector').values[0];
    expect(values).toMatch(/^\$\{local\./);
    const local = kind['otel-collector'].locals![/^\$\{local\.([^}]+)\}$/.exec(values)![1]] as string;
    expect(local).toContain('$${env:MY_POD_IP}');
    expect(local).toContain('$${env:ES_PASSWORD}');
    const cron = resourcesOf(kind.logging, 'kubernetes_cron_job_v1')[0];
    expect(cron.spec.job_template.spec.template.spec.container[0].command[2]).toContain('day=$${index#"$${prefix}-"}');
  });
});

describe('namespaces are Terraform resources (destroy removes them)', () => {
  it.each(Object.entries(modes))('%s mode: every release installs into a namespace its stack manages, none created by Helm', (_mode, cfg) => {
    const stacks = stacksOf(build(cfg));
    for (const [name, json] of Object.entries(stacks)) {
      const namespaces = resourcesOf(json, 'kubernetes_namespace_v1').map((n) => n.metadata.name);
      for (const release of resourcesOf(json, 'helm_release')) {
        expect(release.create_namespace).toBe(false);
        const ref = /^\$\{kubernetes_namespace_v1\.([^.]+)\.metadata\[0\]\.name\}$/.exec(release.namespace);
        expect({ stack: name, release: release.name, managed: !!ref && !!json.resource!.kubernetes_namespace_v1[ref[1]] }).toEqual({ stack: name, release: release.name, managed: true });
      }
      if (name === 'elasticsearch') expect(namespaces.sort()).toEqual(['elastic-system', 'elasticsearch']);
      if (name === 'jaeger') expect(namespaces).toEqual(['jaeger']);
    }
  });
});

describe('Kubernetes events reach Elasticsearch', () => {
  const cfg = helmValues(kind['otel-collector'], 'opentelemetry-collector', 'otel-collector').config;
  it('writes plain daily indices in raw mapping mode (no require_data_stream)', () => {
    expect(cfg.exporters['elasticsearch/events']).toMatchObject({ mapping: { mode: 'raw' }, logs_index: 'k8s-events', logstash_format: { enabled: true, prefix_separator: '-', date_format: '%Y-%m-%d' } });
  });
  it('retention covers the events indices (and Jaeger\'s, stored there too), and the janitor may delete them', () => {
    const cron = resourcesOf(kind.logging, 'kubernetes_cron_job_v1')[0];
    expect(cron.spec.job_template.spec.template.spec.container[0].command[2]).toContain('for prefix in fluentd fluentd-rejected k8s-events jaeger-span jaeger-service jaeger-dependencies jaeger-sampling; do');
  });
});

describe('kind-mode image push', () => {
  const docker = providerSchema('docker', kind['sample-app'].terraform.required_providers.docker.version);
  it('the docker provider has a no-auth entry for the local registry in the http:// form the digest lookup needs', () => {
    expect(kind['sample-app'].provider!.docker).toEqual([{ registry_auth: [{ address: 'http://localhost:5001', auth_disabled: true }] }]);
    // Both arguments exist in the pinned provider's schema, in a nested block.
    const auth = docker.provider.block.block_types.registry_auth;
    expect(auth.block.attributes.address.required).toBe(true);
    expect(auth.block.attributes.auth_disabled.optional).toBe(true);
  });
});

describe('no path of the checkout reaches Terraform attributes (see also synth-stability.test.ts)', () => {
  it('kind mode: kubeconfig, registry mount, hosts.toml and build context are relative to the stack directory', () => {
    const cluster = resourcesOf(kind.cluster, 'kind_cluster')[0];
    expect(cluster.kubeconfig_path).toMatch(/^(\.\.\/)+.*\.kind\/monitoring\/kubeconfig$/);
    expect(cluster.kind_config.node[0].extra_mounts[0].host_path).toMatch(/^(\.\.\/)+.*\.kind\/monitoring\/certs\.d$/);
    expect(resourcesOf(kind.cluster, 'local_file')[0].filename).toMatch(/^(\.\.\/)+.*\.kind\/monitoring\/certs\.d\/localhost:5001\/hosts\.toml$/);
    expect(Object.values<any>(kind['sample-app'].resource!.docker_image)[0].build.context).toMatch(/^(\.\.\/)+.*sample-app$/);
  });
});
