import { BUDGET, computeFootprint, fitsBudget, GiB, perNodeFootprint } from '../ops/footprint';
import { build, config, synth } from './helpers';

function stacksOf(app: ReturnType<typeof build>) {
  return {
    cluster: synth(app.cluster),
    elasticsearch: synth(app.elasticsearch),
    jaeger: synth(app.jaeger),
    'otel-collector': synth(app.collector),
    logging: synth(app.logging),
    'sample-app': synth(app.sampleApp),
    ...(app.kibana ? { kibana: synth(app.kibana) } : {}),
  };
}
const MiB = 1024 ** 2;

describe('cluster footprint budget', () => {
  const report = computeFootprint(stacksOf(build()), 1);

  it('every container of the default config has requests and limits', () => {
    expect(report.errors).toEqual([]);
    const workloads = report.containers.map((c) => c.workload).sort();
    expect(workloads).toEqual(['cronjob/index-retention', 'daemonset/fluentd', 'deployment/sample-app', 'deployment/sample-app-backend', 'helm/daemonset/otel-agent', 'helm/eck-operator', 'helm/elasticsearch/default', 'helm/jaeger', 'helm/kibana', 'helm/otel-collector', 'job/elasticsearch-ready', 'job/kibana-data-views']);
  });

  it('fits one 2-CPU / 4-GiB node with memory requests <= 4 GiB, Kibana included', () => {
    expect(report.total.memoryRequestsBytes).toBeLessThanOrEqual(4 * GiB);
    expect(report.total.memoryRequestsBytes).toBeLessThanOrEqual(BUDGET.maxMemoryRequestsBytes.withKibana);
    expect(fitsBudget(report.total, true)).toEqual({ fits: true, reasons: [] });
    // Kibana is counted as ECK runs it: one pod of the kibana container with the profile's requests.
    const kibana = report.containers.filter((c) => c.stack === 'kibana');
    expect(kibana.map((c) => [c.workload, c.container, c.copies, c.memoryRequestsBytes]).sort()).toEqual([
      ['helm/kibana', 'kibana', 1, 1024 * MiB],
      ['job/kibana-data-views', 'wait-and-apply', 1, 16 * MiB],
    ]);
    // The sum is what the parts say: 3 front + 1 backend replicas of 96Mi, etc.
    const app = report.containers.filter((c) => c.stack === 'sample-app');
    expect(app.reduce((a, c) => a + c.memoryRequestsBytes, 0)).toBe(4 * 96 * 1024 ** 2);
  });

  it('without Kibana (kibana.enabled: false) the memory requests stay <= 3 GiB, and nothing of Kibana is counted', () => {
    const bare = computeFootprint(stacksOf(build(config({ kibana: { enabled: false } }))), 1);
    expect(bare.errors).toEqual([]);
    expect(bare.containers.filter((c) => c.stack === 'kibana' || /kibana/.test(c.workload))).toEqual([]);
    expect(bare.total.memoryRequestsBytes).toBeLessThanOrEqual(3 * GiB);
    expect(fitsBudget(bare.total, false)).toEqual({ fits: true, reasons: [] });
    expect(report.total.memoryRequestsBytes - bare.total.memoryRequestsBytes).toBe((1024 + 16) * MiB);
    // The with-Kibana total would break the smaller budget: the two limits are different checks.
    expect(fitsBudget(report.total, false).reasons[0]).toMatch(/^memory requests \d+\.\d+ GiB > 3 GiB \(without Kibana\)$/);
  });

  it('reports a container without limits and a budget overrun', () => {
    const stacks = { s: { resource: { kubernetes_deployment_v1: { d: { metadata: { name: 'x' }, spec: { replicas: '2', template: { spec: { container: [{ name: 'c', resources: { requests: { cpu: '100m', memory: '2Gi' } } }] } } } } } } } };
    expect(computeFootprint(stacks, 1).errors).toEqual(['s/deployment/x/c: missing limits.cpu, limits.memory']);
    const big = computeFootprint(stacksOf(build(config({ sampleApp: { replicas: 20, resources: { requests: { cpu: '50m', memory: '256Mi' }, limits: { cpu: '500m', memory: '256Mi' } } } }))), 1);
    expect(fitsBudget(big.total, true).fits).toBe(false);
    expect(fitsBudget(big.total, true).reasons[0]).toMatch(/^memory requests \d+\.\d+ GiB > 4 GiB$/);
    expect(big.total.memoryRequestsBytes).toBeGreaterThan(4 * GiB);
  });

  it('counts DaemonSet pods once per node: Fluentd and the node agent (a daemonset-mode chart release)', () => {
    const one = computeFootprint(stacksOf(build()), 1);
    const three = computeFootprint(stacksOf(build()), 3);
    expect(three.perStack.logging.memoryRequestsBytes - one.perStack.logging.memoryRequestsBytes).toBe(2 * 200 * MiB);
    expect(three.perStack['otel-collector'].memoryRequestsBytes - one.perStack['otel-collector'].memoryRequestsBytes).toBe(2 * 64 * MiB);
    // What every node runs, per node, whatever the node count.
    for (const r of [one, three]) {
      const n = r === one ? 1 : 3;
      const node = perNodeFootprint(r, n);
      expect(node.workloads).toEqual(['helm/daemonset/otel-agent/opentelemetry-collector', 'daemonset/fluentd/fluentd']);
      expect([node.perNode.cpuRequestsMilli, node.perNode.memoryRequestsBytes]).toEqual([50 + 100, (64 + 200) * MiB]);
    }
  });

  describe('production profile', () => {
    const prod = computeFootprint(stacksOf(build(config({ profile: 'production', cluster: { mode: 'existing', kubeconfigPath: '/dev/null', context: 'p' }, sampleApp: { image: 'a/b:1.0.0' } }))), 3);

    it('counts every replica: 3 ES nodes, 2 Jaeger, 2 Kibana, the gateway at its minimum and the cluster collector', () => {
      expect(prod.errors).toEqual([]);
      const copies = Object.fromEntries(prod.containers.map((c) => [c.workload, [c.copies, c.maxCopies]]));
      expect(copies).toMatchObject({ 'helm/elasticsearch/data': [3, undefined], 'helm/jaeger': [2, undefined], 'helm/kibana': [2, undefined], 'helm/otel-collector': [2, 6], 'helm/otel-collector-cluster': [1, undefined], 'daemonset/fluentd': [3, undefined], 'helm/daemonset/otel-agent': [3, undefined] });
    });

    it('reports the claims, the nodes a one-node loss needs, and the total at maximum scale', () => {
      expect(prod.claims).toEqual([
        { stack: 'elasticsearch', workload: 'helm/elasticsearch/data', sizeBytes: 30 * GiB, copies: 3 },
        // A queue volume per collector pod: the gateway at its minimum (2) and the cluster collector.
        { stack: 'otel-collector', workload: 'helm/otel-collector-cluster/queue', sizeBytes: 1 * GiB, copies: 1 },
        { stack: 'otel-collector', workload: 'helm/otel-collector/queue', sizeBytes: 1 * GiB, copies: 2 },
      ]);
      expect(prod.storageBytes).toBe(93 * GiB);
      expect(prod.nodesForHighAvailability).toBe(3);
      // 4 more gateway replicas of 256Mi requests at the HPA's maximum.
      expect(prod.totalAtMaxScale.memoryRequestsBytes - prod.total.memoryRequestsBytes).toBe(4 * 256 * 1024 ** 2);
    });

    it("dev claims only the collector's queue volume, and has no autoscaled workload", () => {
      expect(report.claims).toEqual([{ stack: 'otel-collector', workload: 'helm/otel-collector/queue', sizeBytes: 1 * GiB, copies: 1 }]);
      expect(report.totalAtMaxScale).toEqual(report.total);
      expect(report.nodesForHighAvailability).toBe(1);
    });
  });
});
