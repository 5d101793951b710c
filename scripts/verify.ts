/**
 * npm run verify: runs the example scenario against the deployed stack. Opens its own
 * port-forwards (kubectl) on free local ports, reads the elastic user's password and the
 * CA from their Kubernetes Secrets, sends normal and error requests with known trace ids,
 * and polls every hop. Prints a table; exits 1 naming the first failed hop and its cause.
 * Gateway layout: the collector's Prometheus endpoint is scraped on every Running gateway
 * pod (one forward each, samples summed), the kubelet/cluster stats on the cluster collector.
 * With kibana.enabled: Kibana's status and the data views of the profile, as the elastic user.
 * Fluentd's own counts (lines read, dropped or retried) on every Running Fluentd pod: two forwards
 * each, its Prometheus metrics and its monitor_agent.
 * With Jaeger on Elasticsearch: the Monitor tab's metrics (Jaeger's /api/metrics/*).
 */
import { execFileSync } from 'node:child_process';
import { loadConfig } from '../config/load';
import { ELASTIC_USER_SECRET, ELASTICSEARCH_HTTP_PUBLIC_CERTS_SECRET } from '../constructs/elasticsearch/names';
import { KIBANA_SERVICE } from '../constructs/kibana/names';
import { accessPoints, AGENT_POD_SELECTOR, clusterAccess, ClusterAccess, collectorMetricsAccess, fluentdMetricsAccess, kubectlFlags, runningPodNodes, runningPods } from '../ops/cluster-access';
import { PortForward } from '../ops/port-forward';
import { expectedDataViews } from '../ops/kibana-api';
import { FluentdMetrics, formatResults, GatewayMetrics, runVerify } from '../ops/verify';

function secretValue(access: ClusterAccess, namespace: string, secret: string, key: string): string {
  const kubectl = process.env.KUBECTL ?? 'kubectl';
  const jsonpath = `{.data.${key.replace(/\./g, '\\.')}}`;
  const b64 = execFileSync(kubectl, [...kubectlFlags(access), '-n', namespace, 'get', 'secret', secret, '-o', `jsonpath=${jsonpath}`], { encoding: 'utf8' });
  if (!b64) throw new Error(`secret ${namespace}/${secret} has no key ${key}`);
  return Buffer.from(b64, 'base64').toString('utf8');
}

async function main(): Promise<number> {
  const config = loadConfig();
  const access = clusterAccess(config);
  const points = accessPoints(config);
  const [es, jaeger, app] = points;
  const kibana = points.find((p) => p.service === KIBANA_SERVICE);
  const metrics = collectorMetricsAccess(config);
  const forwards = [es, jaeger, app, ...(kibana ? [kibana] : [])].map((p) => new PortForward({ namespace: p.namespace, service: p.service, remotePort: p.port, localPort: 0 }, access));
  const metricsForwards: PortForward[] = [];
  let stopping = false;
  const fluentdMetrics = fluentdMetricsAccess(config);
  /** A forward to `target`'s port, as a URL of `path` on it. */
  const forwardedUrl = async (target: { service: string } | { pod: string }, where: { namespace: string; port: number }, path: string) => {
    // After listing the pods: no new kubectl once the forwards are being stopped.
    if (stopping) throw new Error('verify is stopping');
    const forward = new PortForward({ namespace: where.namespace, remotePort: where.port, localPort: 0, ...target }, access);
    metricsForwards.push(forward);
    return `http://127.0.0.1:${await forward.start()}${path}`;
  };
  const metricsUrl = (target: { service: string } | { pod: string }, where: { namespace: string; port: number } = metrics) => forwardedUrl(target, where, '/metrics');
  /** The single collector through its Service, or each Running gateway pod (only what reached it) plus the cluster collector. */
  const collectorEndpoints = async (): Promise<string | GatewayMetrics> => {
    if (metrics.layout === 'single') return metricsUrl({ service: metrics.service });
    const pods = await runningPods(access, metrics.namespace, metrics.selector);
    const [stats, ...urls] = await Promise.all([metricsUrl({ service: metrics.statsService }), ...pods.map((pod) => metricsUrl({ pod }))]);
    return { replicas: pods.map((pod, i) => ({ pod, url: urls[i] })), stats, selector: metrics.selector };
  };
  /** Every Running Fluentd pod: each has only its node's counts (its metrics, and its monitor_agent for the lines read). */
  const fluentdEndpoints = async (): Promise<FluentdMetrics> => {
    const pods = await runningPods(access, fluentdMetrics.namespace, fluentdMetrics.selector);
    const monitor = { namespace: fluentdMetrics.namespace, port: fluentdMetrics.monitorPort };
    const urls = await Promise.all(pods.map((pod) => Promise.all([metricsUrl({ pod }, fluentdMetrics), forwardedUrl({ pod }, monitor, '/api/plugins.json')])));
    return { pods: pods.map((pod, i) => ({ pod, url: urls[i][0], pluginsUrl: urls[i][1] })), selector: fluentdMetrics.selector };
  };
  try {
    const [[esPort, jaegerPort, appPort, kibanaPort], prometheus, agentPods, fluentd] = await Promise.all([
      Promise.all(forwards.map((f) => f.start())),
      collectorEndpoints(),
      // The node agents and their nodes: their hop reads each node's counters (ops/agent-hop.ts).
      runningPodNodes(access, metrics.namespace, AGENT_POD_SELECTOR),
      fluentdEndpoints(),
    ]);
    const password = secretValue(access, es.namespace, ELASTIC_USER_SECRET, 'elastic');
    const ca = secretValue(access, es.namespace, ELASTICSEARCH_HTTP_PUBLIC_CERTS_SECRET, 'ca.crt');
    const timeoutMs = Number(process.env.VERIFY_TIMEOUT_SECONDS ?? 180) * 1000;
    console.log(`verifying the example scenario (context ${access.context ?? 'current'}, up to ${timeoutMs / 1000} s)…`);
    const results = await runVerify(
      {
        app: `http://127.0.0.1:${appPort}`,
        jaeger: `http://127.0.0.1:${jaegerPort}`,
        prometheus,
        // "localhost" is in the certificate's names, so TLS is verified through the forward.
        elasticsearch: { url: `https://localhost:${esPort}`, username: 'elastic', password, ca },
        // Kibana serves plain http inside the cluster; the forward stays on 127.0.0.1.
        kibana: kibana && { url: `http://127.0.0.1:${kibanaPort}`, username: 'elastic', password },
        fluentd,
        agents: { pods: agentPods, selector: AGENT_POD_SELECTOR },
      },
      {
        timeoutMs,
        indexPrefix: config.fluentd.indexPrefix,
        namespaces: { logging: config.namespaces.logging, collector: config.namespaces.collector, jaeger: config.namespaces.jaeger, app: config.namespaces.app, kibana: config.namespaces.kibana },
        dataViews: expectedDataViews(config),
        monitorTab: config.jaeger.storage === 'elasticsearch',
      },
    );
    console.log(formatResults(results));
    return results.every((r) => r.ok) ? 0 : 1;
  } finally {
    stopping = true;
    await Promise.all([...forwards, ...metricsForwards].map((f) => f.stop()));
  }
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`verify: ${err.message}`);
    process.exit(1);
  },
);
