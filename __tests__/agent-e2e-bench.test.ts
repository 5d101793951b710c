import { AGENT_EXPORTER, EXPORT_RETRY, MEMORY_QUEUE_LIMITS } from '../constructs/otel/collector-config';
import { agentKillPlan, e2eAgentConfig } from '../e2e/agent';
import { agentConfig, minimalConfig } from '../bench/agent-cost';
import { hasBenchBlock, writeBenchBlock, writeSpeedTable } from '../bench/speed';

const ports = { otlpGrpc: 1, otlpHttp: 2, health: 3, telemetry: 4 };

describe('the e2e agent (e2e/agent.ts)', () => {
  it('is the builder\'s agent config; E2E_BREAK=agent-ack turns it into the classic agent that answers on receipt', () => {
    const good = e2eAgentConfig({ host: '127.0.0.1', ports, gatewayOtlpEndpoint: '127.0.0.1:9' });
    expect((good.exporters[AGENT_EXPORTER] as any).sending_queue.wait_for_result).toBe(true);
    expect(good.processors.batch).toBeUndefined();
    const broken = e2eAgentConfig({ host: '127.0.0.1', ports, gatewayOtlpEndpoint: '127.0.0.1:9', ackOnReceipt: true });
    expect((broken.exporters[AGENT_EXPORTER] as any).sending_queue).toMatchObject({ wait_for_result: false, queue_size: MEMORY_QUEUE_LIMITS.spans });
    expect((broken.exporters[AGENT_EXPORTER] as any).retry_on_failure).toEqual(EXPORT_RETRY);
    expect((broken.exporters[AGENT_EXPORTER] as any).sending_queue.batch).toBeUndefined();
    expect(broken.service.pipelines.traces.processors).toEqual(['memory_limiter', 'resource', 'batch']);
    expect(broken.processors.batch).toEqual({ send_batch_size: 1024, send_batch_max_size: 2048, timeout: '2s' });
  });

  it('the kill fault stops no hop before the orders and names what keeps the traces', () => {
    const plan = agentKillPlan({ name: 'agent', kill: async () => undefined, start: async () => undefined }, false);
    expect(plan.down).toEqual([]);
    expect(plan.during).toBeDefined();
    expect(plan.keptBy).toMatch(/wait_for_result/);
  });
});

describe('the agent cost bench (bench/agent-cost.ts)', () => {
  it('compares the builder\'s agent with OTLP → batch → OTLP on the same ports and upstream', () => {
    const agent = agentConfig(ports, '127.0.0.1:9');
    const minimal = minimalConfig(ports, '127.0.0.1:9') as any;
    expect(minimal.service.pipelines).toEqual({ traces: { receivers: ['otlp'], processors: ['batch'], exporters: ['otlp'] } });
    expect(minimal.exporters.otlp.endpoint).toBe((agent.exporters[AGENT_EXPORTER] as any).endpoint);
    expect(minimal.receivers.otlp.protocols.http.endpoint).toBe((agent.receivers.otlp as any).protocols.http.endpoint);
  });
});

describe('bench blocks: one writer for every table', () => {
  const doc = 'a\n<!-- bench:speed:start -->\nold\n<!-- bench:speed:end -->\nb\n<!-- bench:agent:start -->\n<!-- bench:agent:end -->\n';
  it('replaces only the named block', () => {
    const out = writeBenchBlock(doc, 'agent', '| t |');
    expect(out).toBe('a\n<!-- bench:speed:start -->\nold\n<!-- bench:speed:end -->\nb\n<!-- bench:agent:start -->\n| t |\n<!-- bench:agent:end -->\n');
    expect(writeSpeedTable(doc, 'new')).toContain('<!-- bench:speed:start -->\nnew\n<!-- bench:speed:end -->');
  });
  it('says which block is missing', () => {
    expect(hasBenchBlock('nothing', 'agent')).toBe(false);
    expect(() => writeBenchBlock('nothing', 'agent', 'x')).toThrow('the bench page has no <!-- bench:agent:start --> … <!-- bench:agent:end --> block for the agent table');
  });
});
