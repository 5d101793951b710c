import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import type { MonitoringConfig } from '../config/schema';
import { ELASTICSEARCH_PORT, ELASTICSEARCH_SERVICE } from '../constructs/elasticsearch/names';
import { JAEGER_QUERY_SERVICE } from '../constructs/jaeger/names';
import { JAEGER_PORTS } from '../constructs/jaeger/jaeger-config';
import { KIBANA_PORT, KIBANA_SERVICE } from '../constructs/kibana/names';
import { kindContext, kindKubeconfigPath } from '../constructs/kind/names';
import { AGENT_SERVICE, CLUSTER_COLLECTOR_SERVICE, COLLECTOR_SERVICE, collectorPodLabels } from '../constructs/otel/names';
import { SAMPLE_APP_SERVICE } from '../constructs/app/names';
import { FLUENTD_DAEMONSET } from '../constructs/fluentd/names';
import { FLUENTD_METRICS_PORT, FLUENTD_MONITOR_PORT } from '../constructs/fluentd/fluent-conf';
import { NO_PROVIDER_KUBE_VARIABLES, providerKubeconfig } from './provider-kubeconfig';

/** How the operator tools (open, verify) reach the cluster with kubectl. */
export interface ClusterAccess {
  /** @default - kubectl's own: the files in $KUBECONFIG, else ~/.kube/config */
  readonly kubeconfig?: string;
  /** @default - the kubeconfig's current context */
  readonly context?: string;
}

/** kubectl flags selecting the cluster. */
export function kubectlFlags(access: ClusterAccess): string[] {
  return [...(access.kubeconfig ? ['--kubeconfig', access.kubeconfig] : []), ...(access.context ? ['--context', access.context] : [])];
}

/**
 * The cluster the stacks were deployed to. kind: the kubeconfig the cluster stack wrote. existing:
 * `cluster.kubeconfigPath` and `cluster.context`. environment: the KUBE_* variables when this shell
 * has them (what the providers read: a kubeconfig made of them, removed when the process exits),
 * else kubectl's own kubeconfig with `cluster.kubeContext`.
 */
export function clusterAccess(config: MonitoringConfig, cwd = process.cwd(), env: NodeJS.ProcessEnv = process.env): ClusterAccess {
  const c = config.cluster;
  if (c.mode === 'environment') return environmentAccess(c.kubeContext, env);
  const access: ClusterAccess = c.mode === 'kind' ? { kubeconfig: resolve(cwd, kindKubeconfigPath(c.name)), context: kindContext(c.name) } : { kubeconfig: c.kubeconfigPath, context: c.context };
  if (!existsSync(access.kubeconfig!)) {
    throw new Error(`no kubeconfig at ${access.kubeconfig}: deploy the stacks first (npm run deploy), or set cluster.kubeconfigPath`);
  }
  return access;
}

function environmentAccess(kubeContext: string | undefined, env: NodeJS.ProcessEnv): ClusterAccess {
  const dir = () => {
    const made = mkdtempSync(join(tmpdir(), 'kube-access-'));
    process.once('exit', () => rmSync(made, { recursive: true, force: true }));
    return made;
  };
  const made = providerKubeconfig(env, env.KUBECTL ?? 'kubectl', dir);
  if (made && 'why' in made) throw new Error(made.why);
  // The kubeconfig made of KUBE_* has one context (the one the providers select).
  if (made) return { kubeconfig: made.file };
  const files = env.KUBECONFIG ? env.KUBECONFIG.split(delimiter).filter(Boolean) : [join(homedir(), '.kube', 'config')];
  if (!files.some((f) => existsSync(f))) {
    throw new Error(
      `${NO_PROVIDER_KUBE_VARIABLES} and no kubeconfig at ${files.join(', ')} (cluster.mode environment): set the KUBE_* variables the providers use, or KUBECONFIG (cluster.kubeContext selects its context)`,
    );
  }
  return { context: kubeContext };
}

/**
 * The local port `npm run open` forwards for a Service that users reach at `publicUrl`: its port
 * when the address is this machine (the default http://localhost:<port>), so the links between
 * Jaeger and Kibana, which point at these addresses, work; otherwise (an ingress) the Service's port.
 */
export function localPortOf(publicUrl: string, servicePort: number): number {
  const url = new URL(publicUrl);
  if (!['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)) return servicePort;
  return url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}

export interface AccessPoint {
  readonly name: string;
  readonly namespace: string;
  readonly service: string;
  readonly port: number;
  /** The port `npm run open` forwards it to on 127.0.0.1. */
  readonly localPort: number;
  readonly scheme: 'http' | 'https';
  readonly path: string;
}

/**
 * The access points `npm run open` forwards: Elasticsearch, Jaeger's UI, the sample app, the
 * collector's Prometheus endpoint and, with kibana.enabled, Kibana (last).
 */
export function accessPoints(config: MonitoringConfig): AccessPoint[] {
  return [
    { name: 'Elasticsearch', namespace: config.namespaces.elasticsearch, service: ELASTICSEARCH_SERVICE, port: ELASTICSEARCH_PORT, localPort: ELASTICSEARCH_PORT, scheme: 'https', path: '/' },
    { name: 'Jaeger UI', namespace: config.namespaces.jaeger, service: JAEGER_QUERY_SERVICE, port: JAEGER_PORTS.queryHttp, localPort: localPortOf(config.jaeger.publicUrl, JAEGER_PORTS.queryHttp), scheme: 'http', path: '/' },
    { name: 'sample app', namespace: config.namespaces.app, service: SAMPLE_APP_SERVICE, port: config.sampleApp.port, localPort: config.sampleApp.port, scheme: 'http', path: '/' },
    { name: 'Prometheus endpoint', namespace: config.namespaces.collector, service: COLLECTOR_SERVICE, port: config.collector.prometheusPort, localPort: config.collector.prometheusPort, scheme: 'http', path: '/metrics' },
    ...(config.kibana.enabled
      ? [{ name: 'Kibana', namespace: config.namespaces.kibana, service: KIBANA_SERVICE, port: KIBANA_PORT, localPort: localPortOf(config.kibana.publicUrl, KIBANA_PORT), scheme: 'http' as const, path: '/' }]
      : []),
  ];
}

/**
 * The Monitor tab (RED metrics per service and operation) of the Jaeger UI forwarded to
 * `localPort`: only with Jaeger on Elasticsearch, whose span indices its metrics are computed
 * from (the in-memory store has no metric reader, and Jaeger 2.19's UI then hides the tab).
 */
export function monitorTabUrl(config: MonitoringConfig, localPort: number): string | undefined {
  return config.jaeger.storage === 'elasticsearch' ? `http://localhost:${localPort}/monitor` : undefined;
}

/** `k=v,k=v` of the given keys of `labels`, in that order: a kubectl equality label selector. */
export function labelSelector(labels: Record<string, string>, keys: readonly string[]): string {
  return keys
    .map((k) => {
      if (labels[k] === undefined) throw new Error(`no label ${k} to select on`);
      return `${k}=${labels[k]}`;
    })
    .join(',');
}

/**
 * The pods of the collector release `otel-collector` (the chart's selector labels): the
 * single collector, or the replicas of the gateway. Not the cluster collector, whose
 * instance label is its own release name.
 */
export const COLLECTOR_POD_SELECTOR = labelSelector(collectorPodLabels(COLLECTOR_SERVICE), ['app.kubernetes.io/instance', 'app.kubernetes.io/name']);

/**
 * Where verify scrapes the collector's Prometheus exporter. `single`: the Service (one pod
 * behind it has everything). `gateway`: every Running pod of the gateway, each through its
 * own forward, because each replica only exposes the OTLP metrics that reached it; the
 * kubelet/cluster stats are on the cluster collector's Service.
 */
export function collectorMetricsAccess(config: MonitoringConfig) {
  const namespace = config.namespaces.collector;
  const port = config.collector.prometheusPort;
  return config.collector.layout === 'gateway'
    ? ({ layout: 'gateway', namespace, port, selector: COLLECTOR_POD_SELECTOR, statsService: CLUSTER_COLLECTOR_SERVICE } as const)
    : ({ layout: 'single', namespace, port, service: COLLECTOR_SERVICE } as const);
}

/**
 * Where verify reads Fluentd's own counts: every Running pod of the DaemonSet (one per node), its
 * Prometheus metrics (`port`) and its monitor_agent (`monitorPort`: in_tail's lines read), each by its own forward.
 */
export function fluentdMetricsAccess(config: MonitoringConfig) {
  return { namespace: config.namespaces.logging, port: FLUENTD_METRICS_PORT, monitorPort: FLUENTD_MONITOR_PORT, selector: labelSelector({ 'app.kubernetes.io/name': FLUENTD_DAEMONSET }, ['app.kubernetes.io/name']) } as const;
}
/** The node agents' pods (the agent release, daemonset mode). */
export const AGENT_POD_SELECTOR = labelSelector(collectorPodLabels(AGENT_SERVICE, 'daemonset'), ['app.kubernetes.io/instance', 'app.kubernetes.io/name']);

interface PodList {
  items?: { metadata?: { name?: string; deletionTimestamp?: string }; spec?: { nodeName?: string }; status?: { phase?: string } }[];
}

/**
 * Names (sorted) of the Running pods matching `selector`:
 * `kubectl -n <namespace> get pods -l <selector> -o json`. Pods being deleted (still
 * "Running" while they terminate) are left out.
 */
export async function runningPods(access: ClusterAccess, namespace: string, selector: string, kubectl = process.env.KUBECTL ?? 'kubectl'): Promise<string[]> {
  return (await runningPodItems(access, namespace, selector, kubectl)).map((p) => p.metadata!.name!).sort();
}

/** The Running pods matching `selector` (as runningPods) with the node each runs on, sorted by pod name. */
export async function runningPodNodes(access: ClusterAccess, namespace: string, selector: string, kubectl = process.env.KUBECTL ?? 'kubectl'): Promise<{ pod: string; node: string }[]> {
  return (await runningPodItems(access, namespace, selector, kubectl)).map((p) => ({ pod: p.metadata!.name!, node: p.spec?.nodeName ?? '?' })).sort((a, b) => a.pod.localeCompare(b.pod));
}

async function runningPodItems(access: ClusterAccess, namespace: string, selector: string, kubectl: string): Promise<NonNullable<PodList['items']>> {
  const args = [...kubectlFlags(access), '-n', namespace, 'get', 'pods', '-l', selector, '-o', 'json'];
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile(kubectl, args, { encoding: 'utf8', timeout: 30_000, maxBuffer: 64 * 1024 * 1024 }, (err, out, errOut) =>
      err ? reject(new Error(`kubectl -n ${namespace} get pods -l ${selector} failed: ${(errOut || err.message).trim()}`)) : resolve(out),
    ),
  );
  let list: PodList;
  try {
    list = JSON.parse(stdout) as PodList;
  } catch {
    throw new Error(`kubectl -n ${namespace} get pods -l ${selector} -o json printed something that is not JSON: ${stdout.slice(0, 80)}`);
  }
  return (list.items ?? []).filter((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp && p.metadata?.name);
}
