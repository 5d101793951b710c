import { App, TerraformOutput, TerraformStack, Testing } from 'cdktf';
import { KindCluster } from '../constructs/kind/cluster';
import { KIND_PROVIDER_VERSION, KindProvider } from '../constructs/kind/provider';
import { providerSchema } from './helpers';

/** tehcyx/kind's real schema (`terraform providers schema -json`) at the version we pin. */
const kind = providerSchema('kind', KIND_PROVIDER_VERSION);

interface SchemaBlock {
  attributes?: Record<string, { sensitive?: boolean; computed?: boolean; optional?: boolean; required?: boolean }>;
  block_types?: Record<string, { block: SchemaBlock }>;
}

/** Every key at every level must be an attribute or a nested block of that block in the schema. */
function unknownKeys(value: Record<string, any>, block: SchemaBlock, path: string): string[] {
  return Object.entries(value).flatMap(([key, v]) => {
    const nested = block.block_types?.[key]?.block;
    if (nested) {
      const items = Array.isArray(v) ? v : [v];
      return items.flatMap((item, i) => unknownKeys(item, nested, `${path}.${key}${Array.isArray(v) ? `[${i}]` : ''}`));
    }
    return block.attributes?.[key] ? [] : [`${path}.${key}`];
  });
}

describe('hand-written tehcyx/kind binding', () => {
  const app: App = Testing.app();
  const stack = new TerraformStack(app, 'kind-test');
  new KindProvider(stack, 'kind');
  const cluster = new KindCluster(stack, 'cluster', {
    name: 'full',
    nodeImage: 'kindest/node:v1.34.0',
    waitForReady: true,
    kubeconfigPath: '/tmp/kubeconfig',
    timeouts: { create: '10m', delete: '5m' },
    kindConfig: {
      nodes: [
        {
          role: 'control-plane',
          image: 'kindest/node:v1.34.0',
          labels: { ingress: 'true' },
          kubeadmConfigPatches: ['kind: InitConfiguration\n'],
          extraMounts: [{ hostPath: '/a', containerPath: '/b', readOnly: false, propagation: 'HostToContainer', selinuxRelabel: true }],
          extraPortMappings: [{ containerPort: 80, hostPort: 8080, listenAddress: '127.0.0.1', protocol: 'TCP' }],
        },
        { role: 'worker' },
      ],
      networking: { ipFamily: 'ipv4', apiServerAddress: '127.0.0.1', apiServerPort: 6443, podSubnet: '10.244.0.0/16', serviceSubnet: '10.96.0.0/12', disableDefaultCni: false, kubeProxyMode: 'iptables', dnsSearch: ['local'] },
      containerdConfigPatches: ['[plugins]\n'],
      featureGates: { SomeGate: 'true' },
      runtimeConfig: { 'api/alpha': 'false' },
    },
  });
  new TerraformOutput(stack, 'endpoint', { value: cluster.endpoint });
  new TerraformOutput(stack, 'kubeconfig', { value: cluster.kubeconfig, sensitive: true });
  new TerraformOutput(stack, 'client_key', { value: cluster.clientKey, sensitive: true });
  const json = JSON.parse(Testing.synth(stack));
  const resource = json.resource.kind_cluster.cluster;

  const clusterSchema: SchemaBlock = kind.resource_schemas.kind_cluster.block;
  const configSchema = clusterSchema.block_types!.kind_config.block;
  const settable = (b: SchemaBlock) => [...Object.entries(b.attributes ?? {}).filter(([, a]) => a.optional || a.required).map(([k]) => k), ...Object.keys(b.block_types ?? {})].sort();

  it('uses only arguments the provider schema has, at every level, and covers them all', () => {
    expect(unknownKeys(resource, clusterSchema, 'kind_cluster')).toEqual([]);
    expect(Object.keys(resource.kind_config).sort()).toEqual(settable(configSchema));
    expect(Object.keys(resource.kind_config.networking).sort()).toEqual(settable(configSchema.block_types!.networking.block));
    const node = configSchema.block_types!.node.block;
    expect(Object.keys(resource.kind_config.node[0].extra_mounts[0]).sort()).toEqual(settable(node.block_types!.extra_mounts.block));
    expect(Object.keys(resource.kind_config.node[0].extra_port_mappings[0]).sort()).toEqual(settable(node.block_types!.extra_port_mappings.block));
  });

  it('marks the credentials sensitive, which the provider itself does not', () => {
    const credentials = ['client_certificate', 'client_key', 'cluster_ca_certificate', 'kubeconfig'];
    for (const attribute of credentials) expect(clusterSchema.attributes![attribute]).toMatchObject({ computed: true });
    for (const attribute of credentials) expect(clusterSchema.attributes![attribute].sensitive).toBeFalsy();
    expect(json.output.client_key.value).toBe('${sensitive(kind_cluster.cluster.client_key)}');
    expect(json.output.kubeconfig.value).toBe('${sensitive(kind_cluster.cluster.kubeconfig)}');
  });

  it('writes kind_config and networking as one object each, node as a list', () => {
    expect(Array.isArray(resource.kind_config)).toBe(false);
    expect(Array.isArray(resource.kind_config.networking)).toBe(false);
    expect(resource.kind_config.node).toHaveLength(2);
    expect(resource.kind_config.node[1]).toEqual({ role: 'worker' });
  });

  it('pins the provider and exposes the computed attributes as references', () => {
    expect(json.terraform.required_providers.kind).toEqual({ source: 'tehcyx/kind', version: '0.11.0' });
    expect(json.provider.kind).toEqual([{}]);
    expect(json.output.endpoint.value).toBe('${kind_cluster.cluster.endpoint}');
    expect(json.output.kubeconfig).toEqual({ value: '${sensitive(kind_cluster.cluster.kubeconfig)}', sensitive: true });
  });
});
