import { App, TerraformOutput, TerraformStack, Testing } from 'cdktf';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KindCluster } from '../constructs/kind/cluster';
import { KindProvider } from '../constructs/kind/provider';

const schema = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'kind-provider-v0.11.0-schema.json'), 'utf8')) as Record<string, string[]>;

/** Every key at every level must be an argument of that block in the provider schema. */
function unknownKeys(value: Record<string, any>, block: string, path = block): string[] {
  const allowed = schema[block];
  return Object.entries(value).flatMap(([key, v]) => {
    if (!allowed.includes(key)) return [`${path}.${key}`];
    if (schema[key] && key !== 'kind_config' && Array.isArray(v)) return v.flatMap((item, i) => unknownKeys(item, key, `${path}.${key}[${i}]`));
    if (schema[key] && v && typeof v === 'object' && !Array.isArray(v)) return unknownKeys(v, key, `${path}.${key}`);
    return [];
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
  const json = JSON.parse(Testing.synth(stack));
  const resource = json.resource.kind_cluster.cluster;

  it('uses only arguments the provider schema has, at every level', () => {
    expect(unknownKeys(resource, 'kind_cluster')).toEqual([]);
    expect(Object.keys(resource.kind_config).sort()).toEqual([...schema.kind_config].sort());
    expect(Object.keys(resource.kind_config.networking).sort()).toEqual([...schema.networking].sort());
    expect(Object.keys(resource.kind_config.node[0].extra_mounts[0]).sort()).toEqual([...schema.extra_mounts].sort());
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
    expect(json.output.kubeconfig).toEqual({ value: '${kind_cluster.cluster.kubeconfig}', sensitive: true });
  });
});
