import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1';
import { ServiceV1 } from '@cdktf/provider-kubernetes/lib/service-v1';
import { TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import type { MonitoringConfig } from '../config/schema';
import { JaegerAddOn } from '../constructs/addons/jaeger';
import { JAEGER_PORTS } from '../constructs/jaeger/jaeger-config';
import { JAEGER_QUERY_SERVICE } from '../constructs/jaeger/names';
import { ClusterConnection, KubernetesProviders } from '../constructs/k8s/cluster-connection';
import { resourceRequirements } from '../constructs/k8s/resources';
import { MonitoringStack } from './monitoring-stack';

/** Jaeger v2 all-in-one with in-memory storage; OTLP in on 4317/4318, UI/API on 16686. */
export class JaegerStack extends MonitoringStack {
  /** host:port of Jaeger's OTLP gRPC receiver, for the collector's exporter. */
  readonly otlpGrpcEndpoint: string;

  constructor(scope: Construct, config: MonitoringConfig, connection: ClusterConnection) {
    super(scope, 'jaeger', config);
    new KubernetesProviders(this, 'providers', { connection });
    const ns = config.namespaces.jaeger;
    const namespace = new NamespaceV1(this, 'namespace', { metadata: { name: ns } });
    const jaeger = new JaegerAddOn(this, 'jaeger', {
      namespace: namespace.metadata.name,
      chartVersion: config.jaeger.chartVersion,
      imageTag: config.jaeger.imageTag,
      maxTraces: config.jaeger.maxTraces,
      resources: resourceRequirements(config.jaeger.resources),
    });
    // The chart 4.x has one Service named after the release; users type svc/jaeger-query.
    new ServiceV1(this, 'query-service', {
      metadata: { name: JAEGER_QUERY_SERVICE, namespace: namespace.metadata.name, labels: { 'app.kubernetes.io/name': 'jaeger', 'app.kubernetes.io/component': 'query' } },
      spec: {
        type: 'ClusterIP',
        selector: jaeger.selector,
        port: [
          { name: 'http-query', port: JAEGER_PORTS.queryHttp, targetPort: String(JAEGER_PORTS.queryHttp), protocol: 'TCP' },
          { name: 'grpc-query', port: JAEGER_PORTS.queryGrpc, targetPort: String(JAEGER_PORTS.queryGrpc), protocol: 'TCP' },
        ],
      },
      dependsOn: [jaeger.release],
    });
    // From the release's attributes, so other stacks read it through remote state.
    this.otlpGrpcEndpoint = `${jaeger.release.name}.${jaeger.release.namespace}.svc.cluster.local:${JAEGER_PORTS.otlpGrpc}`;
    new TerraformOutput(this, 'otlp_grpc_endpoint', { value: this.otlpGrpcEndpoint });
    new TerraformOutput(this, 'query_url', { value: `http://${JAEGER_QUERY_SERVICE}.${ns}.svc.cluster.local:${JAEGER_PORTS.queryHttp}` });
    new TerraformOutput(this, 'port_forward', { value: `kubectl -n ${ns} port-forward svc/${JAEGER_QUERY_SERVICE} 16686:16686   # then http://localhost:16686` });
  }
}
