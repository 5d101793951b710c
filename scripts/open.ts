/**
 * npm run open: the access points at once (Elasticsearch 9200, Jaeger UI 16686, sample app
 * 8080, Prometheus endpoint 8889 and, with kibana.enabled, Kibana 5601) through kubectl
 * port-forward on 127.0.0.1. Jaeger and Kibana are forwarded to the ports of their public
 * addresses (jaeger.publicUrl, kibana.publicUrl), which the links between them point at.
 * Keeps them up (a forward that drops, e.g. on a pod restart, is restarted) until Ctrl-C.
 * With Jaeger on Elasticsearch it also points to Jaeger's Monitor tab.
 */
import { loadConfig } from '../config/load';
import { ELASTIC_USER_SECRET } from '../constructs/elasticsearch/names';
import { JAEGER_QUERY_SERVICE } from '../constructs/jaeger/names';
import { accessPoints, clusterAccess, monitorTabUrl } from '../ops/cluster-access';
import { PortForward } from '../ops/port-forward';

async function main(): Promise<number> {
  const config = loadConfig();
  const access = clusterAccess(config);
  const points = accessPoints(config);
  let stopping = false;
  // Fixed local ports: localhost:9200, :16686, :8080, :8889, :5601 (the public addresses' ports).
  const forwardFor = (p: (typeof points)[number]) => new PortForward({ namespace: p.namespace, service: p.service, remotePort: p.port, localPort: p.localPort }, access);
  const forwards = points.map((p) => ({ point: p, forward: forwardFor(p) }));

  const stopAll = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping port-forwards`);
    await Promise.all(forwards.map((f) => f.forward.stop()));
    process.exit(0);
  };
  process.on('SIGINT', () => void stopAll('SIGINT'));
  process.on('SIGTERM', () => void stopAll('SIGTERM'));

  await Promise.all(forwards.map((f) => f.forward.start()));
  console.log(`port-forwards up (context ${access.context ?? 'current'}):`);
  for (const { point, forward } of forwards) console.log(`  ${point.name.padEnd(20)} ${point.scheme}://localhost:${forward.localPort}${point.path}`);
  const jaeger = forwards.find((f) => f.point.service === JAEGER_QUERY_SERVICE)!;
  const monitor = monitorTabUrl(config, jaeger.forward.localPort);
  if (monitor) console.log(`  ${'Jaeger Monitor tab'.padEnd(20)} ${monitor}   (request rate, error rate, P50/P75/P95 latency per service and operation; "View traces" opens the matching traces)`);
  console.log('Elasticsearch user "elastic": kubectl get secret ' + ELASTIC_USER_SECRET + ' -o go-template=\'{{.data.elastic | base64decode}}\' (namespace ' + config.namespaces.elasticsearch + ')');
  if (config.kibana.enabled) {
    console.log(`Kibana: log in as "elastic" (same password). From a trace in Jaeger, "Logs for this trace" opens its log lines in Kibana (${config.kibana.publicUrl}); a log line's trace_id opens the trace in Jaeger (${config.jaeger.publicUrl}).`);
  }
  console.log('Ctrl-C stops them.');

  // Restart a forward that drops, with a pause so a crash-looping pod does not spin us.
  await Promise.all(
    forwards.map(async (f) => {
      while (!stopping) {
        await f.forward.exited();
        if (stopping) return;
        console.log(`${f.point.name}: port-forward dropped, restarting in 2 s`);
        await new Promise((r) => setTimeout(r, 2000));
        if (stopping) return;
        f.forward = forwardFor(f.point);
        await f.forward.start().catch((err: Error) => console.error(`${f.point.name}: ${err.message}`));
      }
    }),
  );
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`open: ${err.message}`);
    process.exit(1);
  },
);
