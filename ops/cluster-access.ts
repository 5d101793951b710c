import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { MonitoringConfig } from '../config/schema';
import { ELASTICSEARCH_PORT, ELASTICSEARCH_SERVICE } from '../constructs/elasticsearch/names';
import { JAEGER_QUERY_SERVICE } from '../constructs/jaeger/names';
import { JAEGER_PORTS } from '../constructs/jaeger/jaeger-config';
import { kindContext, kindKubeconfigPath } from '../constructs/kind/names';
import { COLLECTOR_SERVICE } from '../constructs/otel/names';
import { SAMPLE_APP_SERVICE } from '../constructs/app/names';

/** How the operator tools (open, verify) reach the cluster with kubectl. */
export interface ClusterAccess {
  readonly kubeconfig: string;
  /** @default - the kubeconfig's current context */
  readonly context?: string;
}

/** kubectl flags selecting the cluster. */
export function kubectlFlags(access: ClusterAccess): string[] {
  return ['--kubeconfig', access.kubeconfig, ...(access.context ? ['--context', access.context] : [])];
}

export function clusterAccess(config: MonitoringConfig, cwd = process.cwd()): ClusterAccess {
  const c = config.cluster;
  const access: ClusterAccess =
    c.mode === 'kind'
      ? { kubeconfig: resolve(cwd, kindKubeconfigPath(c.name)), context: kindContext(c.name) }
      : c.mode === 'existing'
        ? { kubeconfig: c.kubeconfigPath, context: c.context }
        : { kubeconfig: process.env.KUBECONFIG ?? join(homedir(), '.kube', 'config'), context: c.kubeContext };
  if (!existsSync(access.kubeconfig)) {
    throw new Error(`no kubeconfig at ${access.kubeconfig}: deploy the stacks first (npm run deploy), or set cluster.kubeconfigPath`);
  }
  return access;
}

/** The four access points of the seed: Service, port, and the local port `npm run open` uses. */
export function accessPoints(config: MonitoringConfig) {
  return [
    { name: 'Elasticsearch', namespace: config.namespaces.elasticsearch, service: ELASTICSEARCH_SERVICE, port: ELASTICSEARCH_PORT, scheme: 'https', path: '/' },
    { name: 'Jaeger UI', namespace: config.namespaces.jaeger, service: JAEGER_QUERY_SERVICE, port: JAEGER_PORTS.queryHttp, scheme: 'http', path: '/' },
    { name: 'sample app', namespace: config.namespaces.app, service: SAMPLE_APP_SERVICE, port: config.sampleApp.port, scheme: 'http', path: '/' },
    { name: 'Prometheus endpoint', namespace: config.namespaces.collector, service: COLLECTOR_SERVICE, port: config.collector.prometheusPort, scheme: 'http', path: '/metrics' },
  ] as const;
}
