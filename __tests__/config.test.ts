import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, validateConfig } from '../config/load';
import { PROFILE_DEFAULTS } from '../config/schema';

describe('configuration', () => {
  it('defaults to a laptop kind cluster with local state', () => {
    const c = validateConfig({});
    expect(c.cluster).toMatchObject({ mode: 'kind', name: 'monitoring', workers: 0 });
    expect(c.backend).toEqual({ type: 'local' });
    expect(c.fluentd.indexPrefix).toBe('fluentd');
  });

  it.each([
    [{ cluster: { mode: 'kind', workers: 'two' } }, /cluster\.workers: .*number/],
    [{ cluster: { mode: 'kind', workers: 9 } }, /cluster\.workers: .*<=5/],
    [{ cluster: { mode: 'cloudy' } }, /cluster\.mode: .*'kind' \| 'existing' \| 'environment'/],
    [{ cluster: { mode: 'kind', name: 'My_Cluster' } }, /cluster\.name: must be a DNS-1123 label/],
    [{ collector: { prometheusPort: 70000 } }, /collector\.prometheusPort: .*<=65535/],
    [{ namespaces: { logging: 'Logs!' } }, /namespaces\.logging: must be a DNS-1123 label/],
    [{ jaeger: { chartVersion: '^4.0.0' } }, /jaeger\.chartVersion: must be an exact version/],
    [{ fluentd: { imageTag: 'latest' } }, /fluentd\.imageTag: must be pinned/],
    [{ elasitcsearch: {} }, /unknown key\(s\) "elasitcsearch"/],
    [{ backend: { type: 'cloud' } }, /backend\.organization/],
    [{ elasticsearch: { heapMb: 1024 } }, /elasticsearch\.heapMb: must be at most half/],
    [{ cluster: { mode: 'existing', kubeconfigPath: '/x', context: 'c' } }, /sampleApp\.image: is required when cluster\.mode is "existing"/],
    [{ profile: 'prod' }, /configuration \(config\):\n  - profile: Invalid option: expected one of "dev"\|"production"$/],
    [{ profile: 'production' }, /profile: "production" targets an existing cluster: set cluster\.mode to "existing" or "environment", or set cluster\.allowProductionProfile: true/],
    [{ elasticsearch: { nodes: 2 } }, /elasticsearch\.nodes: must be odd/],
    [{ elasticsearch: { persistence: { enabled: true } } }, /elasticsearch\.persistence\.size: is required when elasticsearch\.persistence\.enabled is true/],
    [{ elasticsearch: { indexReplicas: 1 } }, /elasticsearch\.indexReplicas: must be at most elasticsearch\.nodes - 1 \(0\)/],
    [{ jaeger: { storage: 'memory', replicas: 2 } }, /jaeger\.replicas: must be 1 with jaeger\.storage "memory"/],
    [{ collector: { gateway: { minReplicas: 4, maxReplicas: 3 } } }, /collector\.gateway\.maxReplicas: must be at least collector\.gateway\.minReplicas \(4\)/],
    [{ networkPolicies: { otlpClientNamespaces: ['Payments'] } }, /networkPolicies\.otlpClientNamespaces\.0: must be a DNS-1123 label/],
    [{ collector: { queue: { size: '256Mi' } } }, /collector\.queue\.size: is too small for collector\.queue\.spans 200000 and events 20000: a full queue needs up to 469Mi/],
    [{ collector: { queue: { spans: 10 } } }, /collector\.queue\.spans: .*1000/],
    [{ collector: { queue: { size: '1 GB' } } }, /collector\.queue\.size: must be a Kubernetes memory quantity/],
    [{ elasticsearch: { persistence: { enabled: true, size: '10Gi', storageClass: 'Fast SSD' } } }, /elasticsearch\.persistence\.storageClass: must be a Kubernetes object name/],
  ])('rejects %j with a message naming the field', (raw, message) => {
    expect(() => validateConfig(raw)).toThrow(ConfigError);
    expect(() => validateConfig(raw)).toThrow(message);
  });

  describe('profiles', () => {
    const existing = { mode: 'existing', kubeconfigPath: '/x', context: 'c' };
    const image = 'ghcr.io/acme/app:1.0.0';
    const production = () => validateConfig({ profile: 'production', cluster: existing, sampleApp: { image } });

    it('dev keeps the laptop defaults: one ES node on emptyDir (Jaeger stores its traces there), one collector', () => {
      const c = validateConfig({});
      expect(c.profile).toBe('dev');
      expect(c.elasticsearch).toMatchObject({ nodes: 1, heapMb: 640, persistence: { enabled: false }, indexReplicas: 0 });
      expect(c.elasticsearch.resources).toEqual({ requests: { cpu: '500m', memory: '1536Mi' }, limits: { cpu: '2', memory: '1536Mi' } });
      expect(c.jaeger).toMatchObject({ storage: 'elasticsearch', replicas: 1 });
      expect(c.collector.layout).toBe('single');
      expect(c.networkPolicies).toEqual({ enabled: true, otlpClientNamespaces: [] });
    });

    it('production: 3 ES nodes with claims and replicas, heap half the limit, Jaeger on ES ×2, gateway collectors', () => {
      const c = production();
      expect(c.elasticsearch).toMatchObject({ nodes: 3, persistence: { enabled: true, size: '30Gi' }, indexReplicas: 1, heapMb: 2048 });
      expect(c.jaeger).toMatchObject({ storage: 'elasticsearch', replicas: 2 });
      expect(c.collector).toMatchObject({ layout: 'gateway', gateway: { minReplicas: 2, maxReplicas: 6, targetCpuUtilization: 80 } });
    });

    it('every profile default is overridable per key, and maps merge with the profile', () => {
      const c = validateConfig({ profile: 'production', cluster: existing, sampleApp: { image }, elasticsearch: { nodes: 5, persistence: { storageClass: 'fast-ssd' }, resources: { limits: { cpu: '4', memory: '8Gi' } } }, jaeger: { replicas: 3 } });
      expect(c.elasticsearch.nodes).toBe(5);
      expect(c.elasticsearch.persistence).toEqual({ enabled: true, size: '30Gi', storageClass: 'fast-ssd' });
      expect(c.elasticsearch.resources).toEqual({ requests: { cpu: '1', memory: '4Gi' }, limits: { cpu: '4', memory: '8Gi' } });
      expect(c.elasticsearch.heapMb).toBe(4096);
      expect(c.jaeger).toMatchObject({ storage: 'elasticsearch', replicas: 3 });
      expect(validateConfig({ profile: 'production', cluster: existing, sampleApp: { image }, jaeger: { storage: 'memory', replicas: 1 } }).jaeger.storage).toBe('memory');
    });

    it('production on kind only when explicitly allowed', () => {
      expect(validateConfig({ profile: 'production', cluster: { mode: 'kind', allowProductionProfile: true } }).profile).toBe('production');
    });

    it("docs/configuration.md's Profile defaults table lists every profile-dependent key with each profile's values", () => {
      const page = readFileSync(join(__dirname, '..', 'docs', 'configuration.md'), 'utf8');
      expect(page).toContain('\n## Profile defaults\n');
      const section = page.slice(page.indexOf('\n## Profile defaults\n'));
      const rows = new Map(
        [...section.slice(0, section.indexOf('\n\n', section.indexOf('| key |'))).matchAll(/^\| `([\w.]+)` \| (.*) \| (.*) \|$/gm)].map((m) => [m[1], { dev: m[2], production: m[3] }]),
      );
      const keys = new Set<string>();
      for (const [profile, sections] of Object.entries(PROFILE_DEFAULTS)) {
        for (const [sectionName, fields] of Object.entries(sections)) {
          for (const [field, value] of Object.entries(fields)) {
            const key = `${sectionName}.${field}`;
            keys.add(key);
            const cell = rows.get(key)?.[profile as 'dev' | 'production'];
            expect({ key, profile, listed: cell !== undefined }).toEqual({ key, profile, listed: true });
            // Every scalar of the default appears in its cell, as `value` or `key: value`.
            const leaves = (v: unknown): string[] => (v !== null && typeof v === 'object' ? Object.values(v).flatMap(leaves) : [String(v)]);
            for (const leaf of leaves(value)) expect({ key, profile, cell }).toEqual({ key, profile, cell: expect.stringContaining(leaf) });
          }
        }
      }
      // heapMb has no production default: it is derived, and the table says so.
      expect(rows.get('elasticsearch.heapMb')?.production).toMatch(/half of `resources\.limits\.memory`/);
      expect([...rows.keys()].sort()).toEqual([...keys].sort());
    });

    it('MONITORING_PROFILE selects the profile', () => {
      const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
      const c = loadConfig({ cwd: dir, env: { MONITORING_PROFILE: 'production', MONITORING_CLUSTER_MODE: 'environment', MONITORING_SAMPLE_APP_IMAGE: image } });
      expect(c.profile).toBe('production');
      expect(c.elasticsearch.nodes).toBe(3);
    });
  });

  it('reads a YAML file named by MONITORING_STACK_CONFIG and env overrides', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    writeFileSync(join(dir, 'cfg.yaml'), 'cluster:\n  mode: kind\n  workers: 1\nfluentd:\n  indexPrefix: logs\n');
    const c = loadConfig({ cwd: dir, env: { MONITORING_STACK_CONFIG: 'cfg.yaml', MONITORING_BACKEND: 'cloud', TF_CLOUD_ORGANIZATION: 'acme' } });
    expect(c.cluster).toMatchObject({ mode: 'kind', workers: 1 });
    expect(c.fluentd.indexPrefix).toBe('logs');
    expect(c.backend).toMatchObject({ type: 'cloud', organization: 'acme' });
  });

  it("TF_CLOUD_ORGANIZATION (Terraform's own variable) fills in the organization but never switches the backend on", () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    expect(loadConfig({ cwd: dir, env: { TF_CLOUD_ORGANIZATION: 'acme' } }).backend).toEqual({ type: 'local' });
    writeFileSync(join(dir, 'monitoring-stack.yaml'), 'backend:\n  type: cloud\n');
    expect(loadConfig({ cwd: dir, env: { TF_CLOUD_ORGANIZATION: 'acme' } }).backend).toMatchObject({ type: 'cloud', organization: 'acme' });
    // The config's own organization wins over the variable.
    writeFileSync(join(dir, 'monitoring-stack.yaml'), 'backend:\n  type: cloud\n  organization: mine\n');
    expect(loadConfig({ cwd: dir, env: { TF_CLOUD_ORGANIZATION: 'acme' } }).backend).toMatchObject({ organization: 'mine' });
    writeFileSync(join(dir, 'monitoring-stack.yaml'), 'backend:\n  type: cloud\n');
    expect(() => loadConfig({ cwd: dir, env: {} })).toThrow(/backend\.organization: is required with backend\.type "cloud": set it in the config or export TF_CLOUD_ORGANIZATION/);
  });

  it('MONITORING_KUBE_CONTEXT sets the context field of the selected cluster mode', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const image = 'ghcr.io/acme/app:1.0.0';
    const env = loadConfig({ cwd: dir, env: { MONITORING_CLUSTER_MODE: 'environment', MONITORING_KUBE_CONTEXT: 'prod', MONITORING_SAMPLE_APP_IMAGE: image } });
    expect(env.cluster).toMatchObject({ mode: 'environment', kubeContext: 'prod' });
    writeFileSync(join(dir, 'kubeconfig'), 'apiVersion: v1\n');
    const existing = loadConfig({ cwd: dir, env: { MONITORING_CLUSTER_MODE: 'existing', MONITORING_KUBECONFIG: 'kubeconfig', MONITORING_KUBE_CONTEXT: 'prod', MONITORING_SAMPLE_APP_IMAGE: image } });
    expect(existing.cluster).toMatchObject({ mode: 'existing', context: 'prod' });
  });

  it('fails on a missing config file or a missing kubeconfig in existing mode', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    expect(() => loadConfig({ cwd: dir, env: { MONITORING_STACK_CONFIG: 'nope.yaml' } })).toThrow(/file not found/);
    writeFileSync(join(dir, 'monitoring-stack.yaml'), 'cluster:\n  mode: existing\n  kubeconfigPath: ./missing\n  context: prod\nsampleApp:\n  image: ghcr.io/a/b:1\n');
    expect(() => loadConfig({ cwd: dir, env: {} })).toThrow(/cluster\.kubeconfigPath: .*missing does not exist/);
  });
});
