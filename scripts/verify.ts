/**
 * npm run verify: runs the example scenario against the deployed stack. Opens its own
 * port-forwards (kubectl) on free local ports, reads the elastic user's password and the
 * CA from their Kubernetes Secrets, sends normal and error requests with known trace ids,
 * and polls every hop. Prints a table; exits 1 naming the first failed hop and its cause.
 */
import { execFileSync } from 'node:child_process';
import { loadConfig } from '../config/load';
import { ELASTIC_USER_SECRET, ELASTICSEARCH_HTTP_CERT_SECRET } from '../constructs/elasticsearch/names';
import { accessPoints, clusterAccess, ClusterAccess, kubectlFlags } from '../ops/cluster-access';
import { PortForward } from '../ops/port-forward';
import { formatResults, runVerify } from '../ops/verify';

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
  const [es, jaeger, app, prom] = accessPoints(config);
  const forwards = [es, jaeger, app, prom].map((p) => new PortForward({ namespace: p.namespace, service: p.service, remotePort: p.port, localPort: 0 }, access));
  try {
    const [esPort, jaegerPort, appPort, promPort] = await Promise.all(forwards.map((f) => f.start()));
    const password = secretValue(access, es.namespace, ELASTIC_USER_SECRET, 'elastic');
    const ca = secretValue(access, es.namespace, ELASTICSEARCH_HTTP_CERT_SECRET, 'ca.crt');
    const timeoutMs = Number(process.env.VERIFY_TIMEOUT_SECONDS ?? 180) * 1000;
    console.log(`verifying the example scenario (context ${access.context ?? 'current'}, up to ${timeoutMs / 1000} s)…`);
    const results = await runVerify(
      {
        app: `http://127.0.0.1:${appPort}`,
        jaeger: `http://127.0.0.1:${jaegerPort}`,
        prometheus: `http://127.0.0.1:${promPort}/metrics`,
        // "localhost" is in the certificate's names, so TLS is verified through the forward.
        elasticsearch: { url: `https://localhost:${esPort}`, username: 'elastic', password, ca },
      },
      { timeoutMs, indexPrefix: config.fluentd.indexPrefix, namespaces: { logging: config.namespaces.logging, collector: config.namespaces.collector, jaeger: config.namespaces.jaeger, app: config.namespaces.app } },
    );
    console.log(formatResults(results));
    return results.every((r) => r.ok) ? 0 : 1;
  } finally {
    await Promise.all(forwards.map((f) => f.stop()));
  }
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`verify: ${err.message}`);
    process.exit(1);
  },
);
