import { buildCollectorConfig } from '../constructs/otel/collector-config';
import { checkJaegerWiring, restrictToComponents } from '../e2e/config-check';

const inCluster = buildCollectorConfig({ profile: 'kubernetes', jaegerOtlpEndpoint: 'jaeger.jaeger.svc.cluster.local:4317', clusterName: 'c', environment: 'e', events: { endpoint: 'https://es:9200', index: 'k8s-events', caFile: '/ca.crt' } });

describe('e2e config checks', () => {
  it('restricts the in-cluster config to the components a binary has, naming what it removed', () => {
    const available = { receivers: ['otlp', 'prometheus'], processors: ['memory_limiter', 'resource', 'batch'], exporters: ['otlp_grpc', 'debug', 'prometheus'], extensions: ['health_check'] };
    const { config, removed } = restrictToComponents(inCluster, available);
    expect(config.service.pipelines.traces).toEqual({ receivers: ['otlp'], processors: ['memory_limiter', 'resource', 'batch'], exporters: ['otlp/jaeger', 'debug'] });
    expect(config.service.pipelines.metrics.receivers).toEqual(['otlp', 'prometheus']);
    expect(config.service.pipelines['logs/events']).toBeUndefined();
    expect(removed).toEqual(expect.arrayContaining(['processor k8s_attributes', 'receiver k8s_cluster', 'exporter elasticsearch/events', 'pipeline logs/events', 'extension k8s_observer']));
    expect(removed).not.toContain('exporter otlp/jaeger'); // otlp_grpc is the new name of otlp
  });

  it('names both ends when the collector does not send to Jaeger', () => {
    const local = buildCollectorConfig({ profile: 'local', jaegerOtlpEndpoint: '127.0.0.1:4318', clusterName: 'c', environment: 'e' });
    expect(checkJaegerWiring(local, '127.0.0.1:4318')).toBeUndefined();
    expect(checkJaegerWiring(local, '127.0.0.1:4317')).toBe(
      "collector exporter otlp/jaeger sends to 127.0.0.1:4318 but Jaeger's OTLP gRPC receiver listens on 127.0.0.1:4317: the collector config must take its endpoint from the Jaeger stack's output",
    );
  });
});
