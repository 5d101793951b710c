import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../config/load';
import { clusterAccess, kubectlFlags } from '../ops/cluster-access';
import type { KubeconfigDoc } from '../ops/provider-credentials';

const ROOT = join(__dirname, '..');
const environmentConfig = (kubeContext?: string) =>
  loadConfig({ cwd: mkdtempSync(join(tmpdir(), 'access-')), env: { MONITORING_CLUSTER_MODE: 'environment', MONITORING_SAMPLE_APP_IMAGE: 'ghcr.io/acme/sample-app:1.0.0', ...(kubeContext ? { MONITORING_KUBE_CONTEXT: kubeContext } : {}) } });
const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe('clusterAccess: environment mode reaches the cluster the providers reach', () => {
  it('KUBE_HOST, KUBE_TOKEN, KUBE_CLUSTER_CA_CERT_DATA: a kubeconfig (0600) of exactly them is the only flag', () => {
    const access = clusterAccess(environmentConfig('ignored-with-kube-vars'), ROOT, { KUBE_HOST: '10.0.0.1:6443', KUBE_TOKEN: 'providers-token', KUBE_CLUSTER_CA_CERT_DATA: CA });
    const flags = kubectlFlags(access);
    expect(flags).toEqual(['--kubeconfig', access.kubeconfig]);
    expect(statSync(access.kubeconfig!).mode & 0o777).toBe(0o600);
    const doc = parse(readFileSync(access.kubeconfig!, 'utf8')) as KubeconfigDoc;
    expect(doc['current-context']).toBe('providers');
    // No scheme given, a CA given: https, as the providers derive it.
    expect(doc.clusters).toEqual([{ name: 'providers', cluster: { server: 'https://10.0.0.1:6443', 'certificate-authority-data': Buffer.from(CA).toString('base64') } }]);
    expect(doc.users).toEqual([{ name: 'providers', user: { token: 'providers-token' } }]);
  });

  it('removes that kubeconfig when the process exits', () => {
    const script = `const { clusterAccess } = require('./ops/cluster-access'); const { loadConfig } = require('./config/load');
      const config = loadConfig({ env: { MONITORING_CLUSTER_MODE: 'environment', MONITORING_SAMPLE_APP_IMAGE: 'ghcr.io/acme/sample-app:1.0.0' } });
      console.log(clusterAccess(config, process.cwd(), { KUBE_HOST: 'https://10.0.0.1:6443', KUBE_TOKEN: 't' }).kubeconfig);`;
    const r = spawnSync(process.execPath, ['-r', require.resolve('ts-node/register/transpile-only'), '-e', script], { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: process.env.HOME, TS_NODE_PROJECT: join(ROOT, 'tsconfig.json') } });
    expect(r.stderr).toBe('');
    const file = r.stdout.trim();
    expect(file).toMatch(/kube-access-.*\/kubeconfig$/);
    expect(existsSync(file)).toBe(false);
  });

  it('without KUBE_* variables: kubectl\'s own kubeconfig ($KUBECONFIG, a list too) with cluster.kubeContext', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeconfig-'));
    writeFileSync(join(dir, 'config'), 'apiVersion: v1\nkind: Config\n');
    const env = { KUBECONFIG: [join(dir, 'absent'), join(dir, 'config')].join(delimiter) };
    expect(kubectlFlags(clusterAccess(environmentConfig('prod'), ROOT, env))).toEqual(['--context', 'prod']);
    expect(kubectlFlags(clusterAccess(environmentConfig(), ROOT, env))).toEqual([]);
  });

  it('neither: one error naming both ways', () => {
    expect(() => clusterAccess(environmentConfig(), ROOT, { KUBECONFIG: '/nowhere/config' })).toThrow(
      'no KUBE_HOST, KUBE_CONFIG_PATH or KUBE_CONFIG_PATHS in this shell and no kubeconfig at /nowhere/config (cluster.mode environment): set the KUBE_* variables the providers use, or KUBECONFIG (cluster.kubeContext selects its context)',
    );
  });

  it('KUBE_CONFIG_PATH that kubectl cannot read: says which file and why', () => {
    expect(() => clusterAccess(environmentConfig(), ROOT, { KUBE_CONFIG_PATH: '/nowhere/config', KUBECTL: '/nowhere/kubectl' })).toThrow('/nowhere/kubectl could not read /nowhere/config (KUBE_CONFIG_PATH/KUBE_CONFIG_PATHS): /nowhere/kubectl is not installed');
  });

  it('existing mode: its kubeconfig and context, whatever KUBE_* says', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeconfig-'));
    writeFileSync(join(dir, 'config'), 'apiVersion: v1\nkind: Config\n');
    const config = loadConfig({ cwd: dir, env: { MONITORING_CLUSTER_MODE: 'existing', MONITORING_KUBECONFIG: join(dir, 'config'), MONITORING_KUBE_CONTEXT: 'prod', MONITORING_SAMPLE_APP_IMAGE: 'ghcr.io/acme/sample-app:1.0.0' } });
    expect(kubectlFlags(clusterAccess(config, dir, { KUBE_HOST: 'https://10.0.0.1:6443' }))).toEqual(['--kubeconfig', join(dir, 'config'), '--context', 'prod']);
  });
});
