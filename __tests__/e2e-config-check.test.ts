import { buildCollectorConfig } from '../constructs/otel/collector-config';
import { checkJaegerWiring, IN_CLUSTER_ROLES, inClusterConfigs, restrictToComponents, productionJaegerConfig } from '../e2e/config-check';

const inCluster = buildCollectorConfig({ profile: 'kubernetes', jaegerOtlpEndpoint: 'jaeger.jaeger.svc.cluster.local:4317', clusterName: 'c', environment: 'e', events: { endpoint: 'https://es:9200', index: 'k8s-events', caFile: '/ca.crt' } });
/** What the e2e's collector is built with (e2e/binaries.ts COLLECTOR_COMPONENTS), as `components` lists it. */
const available = { receivers: ['otlp', 'prometheus'], processors: ['memory_limiter', 'resource', 'batch'], exporters: ['otlp_grpc', 'debug', 'prometheus'], extensions: ['health_check', 'file_storage'] };

describe('e2e config checks', () => {
  it('restricts the in-cluster config to the components a binary has, naming what it removed', () => {
    const { config, removed } = restrictToComponents(inCluster, available);
    expect(config.service.pipelines.traces).toEqual({ receivers: ['otlp'], processors: ['memory_limiter', 'resource', 'batch'], exporters: ['otlp/jaeger', 'debug'] });
    expect(config.service.pipelines.metrics.receivers).toEqual(['otlp', 'prometheus']);
    expect(config.service.pipelines['logs/events']).toBeUndefined();
    expect(removed).toEqual(expect.arrayContaining(['receiver k8s_cluster', 'receiver k8sobjects', 'exporter elasticsearch/events', 'pipeline logs/events']));
    expect(removed).not.toContain('exporter otlp/jaeger'); // otlp_grpc is the new name of otlp
  });

  it('validates the in-cluster config of every role: agent, all-in-one, gateway, cluster', () => {
    const configs = inClusterConfigs();
    expect(Object.keys(configs)).toEqual([...IN_CLUSTER_ROLES]);
    expect(IN_CLUSTER_ROLES).toEqual(['agent', 'all-in-one', 'gateway', 'cluster']);
    // The all-in-one the e2e validates is the default-role config of the same inputs.
    expect(configs['all-in-one']).toEqual(
      buildCollectorConfig({ profile: 'kubernetes', jaegerOtlpEndpoint: 'jaeger.jaeger.svc.cluster.local:4317', clusterName: 'e2e', environment: 'e2e', events: { endpoint: 'https://elasticsearch.elasticsearch.svc:9200', index: 'k8s-events', caFile: '/etc/elasticsearch-ca/ca.crt' } }),
    );
  });

  it('the gateway loses nothing to the e2e binary: its OTLP → Jaeger path is validated whole', () => {
    const { config, removed } = restrictToComponents(inClusterConfigs().gateway, available);
    expect(removed).toEqual([]);
    expect(Object.keys(config.service.pipelines)).toEqual(['traces', 'metrics']);
    expect(config.service.pipelines.traces.exporters).toEqual(['otlp/jaeger', 'debug']);
    // The persistent queue is validated too: the storage extension and the exporter that uses it.
    expect(config.service.extensions).toEqual(['health_check', 'file_storage/queue']);
    expect((config.exporters['otlp/jaeger'] as any).sending_queue.storage).toBe('file_storage/queue');
  });

  it('the cluster collector keeps its metrics pipeline (self + annotated-pods scrape) and names the Kubernetes receivers it cannot validate', () => {
    const { config, removed } = restrictToComponents(inClusterConfigs().cluster, available);
    expect(config.service.pipelines).toEqual({ metrics: { receivers: ['prometheus'], processors: ['memory_limiter', 'resource', 'batch'], exporters: ['prometheus', 'debug'] } });
    expect((config.receivers.prometheus as any).config.scrape_configs.map((j: any) => j.job_name)).toEqual(['otel-collector', 'kubernetes-pods']);
    expect(removed.sort()).toEqual(['receiver k8s_cluster', 'receiver k8sobjects', 'exporter elasticsearch/events', 'pipeline logs/events'].sort());
  });

  it('the agent keeps its OTLP → gateway path (forward-after-accept queue included) and names the node components it cannot validate', () => {
    const { config, removed } = restrictToComponents(inClusterConfigs().agent, available);
    expect(removed.sort()).toEqual(['processor k8s_attributes', 'processor resource_detection', 'receiver kubelet_stats'].sort());
    expect(config.service.pipelines.traces).toEqual({ receivers: ['otlp'], processors: ['memory_limiter', 'resource'], exporters: ['otlp/gateway'] });
    expect((config.exporters['otlp/gateway'] as any).sending_queue).toMatchObject({ wait_for_result: true, batch: { flush_timeout: '200ms' } });
  });

  it('names both ends when the collector does not send to Jaeger', () => {
    const local = buildCollectorConfig({ profile: 'local', role: 'gateway', jaegerOtlpEndpoint: '127.0.0.1:4318', clusterName: 'c', environment: 'e' });
    expect(checkJaegerWiring(local, '127.0.0.1:4318')).toBeUndefined();
    expect(checkJaegerWiring(local, '127.0.0.1:4317')).toBe(
      "collector exporter otlp/jaeger sends to 127.0.0.1:4318 but Jaeger's OTLP gRPC receiver listens on 127.0.0.1:4317: the collector config must take its endpoint from the Jaeger stack's output",
    );
  });
});

describe('production Jaeger config for the real binary', () => {
  it('is the userconfig the jaeger stack renders, with the Elasticsearch URL resolved as Terraform will', () => {
    const { mkdtempSync, rmSync } = require('node:fs') as typeof import('node:fs');
    const { tmpdir } = require('node:os') as typeof import('node:os');
    const dir = mkdtempSync(require('node:path').join(tmpdir(), 'jaeger-prod-'));
    try {
      const userconfig = productionJaegerConfig(dir) as any;
      const es = userconfig.extensions.jaeger_storage.backends.es.elasticsearch;
      expect(es.server_urls).toEqual(['https://elasticsearch.elasticsearch.svc:9200']);
      expect(es.auth.basic).toEqual({ username: 'jaeger', password_file: '/etc/jaeger/es-credentials/password' });
      expect(JSON.stringify(userconfig)).not.toMatch(/\$\{|placeholder/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
