/**
 * The node agent in the off-cluster e2e run: the real collector binary running the agent config
 * our builder generates (role agent, local profile: the Kubernetes-only k8s_attributes,
 * resource_detection and kubelet_stats need a cluster and are not built here, as the in-cluster
 * validation step names), between the sample app and the gateway. Its fault: the agent killed
 * (SIGKILL, nothing flushed: an OOM kill or a lost node) while the app takes orders, then started
 * again; every trace must arrive. What keeps them (docs/agent.md): the agent answers the app only
 * after the gateway took the batch (sending_queue.wait_for_result), so whatever it held when it
 * died is still in the app's span buffer, which resends it.
 * E2E_BREAK=agent-ack runs the classic agent instead (batch processor, an in-memory queue answering
 * at once and retrying without limit, as the gateway's): it rides out the gateway being down, but
 * what it acknowledged and held when killed dies with it, and the kill fault fails.
 */
import { AGENT_EXPORTER, buildCollectorConfig, CollectorConfig, CollectorPorts, EXPORT_RETRY, MEMORY_QUEUE_LIMITS } from '../constructs/otel/collector-config';
import { FaultContext, FaultPlan, FaultRow, OUTAGE_MS, runFault } from './faults';

/** The node name the e2e's agent reports (K8S_NODE_NAME, the downward API's spec.nodeName in the cluster). */
export const E2E_NODE = 'e2e-node';

export interface AgentOptions {
  readonly host: string;
  readonly ports: CollectorPorts;
  /** host:port of the gateway's OTLP gRPC receiver. */
  readonly gatewayOtlpEndpoint: string;
  /** E2E_BREAK=agent-ack: answer on receipt (the batch processor's way). */
  readonly ackOnReceipt?: boolean;
}

/** The agent's config: the builder's, local profile; with ackOnReceipt the classic batch-processor agent with an in-memory queue. */
export function e2eAgentConfig(o: AgentOptions): CollectorConfig {
  const config = buildCollectorConfig({ profile: 'local', role: 'agent', gatewayOtlpEndpoint: o.gatewayOtlpEndpoint, clusterName: 'e2e', environment: 'e2e', listenHost: o.host, ports: o.ports });
  if (!o.ackOnReceipt) return config;
  const exporter = config.exporters[AGENT_EXPORTER] as { sending_queue: Record<string, unknown> };
  const { batch: _batch, ...queue } = exporter.sending_queue;
  const batch = { send_batch_size: 1024, send_batch_max_size: 2048, timeout: '2s' };
  const pipelines = Object.fromEntries(Object.entries(config.service.pipelines).map(([name, p]) => [name, { ...p, processors: [...p.processors, 'batch'] }]));
  return {
    ...config,
    processors: { ...config.processors, batch },
    exporters: { ...config.exporters, [AGENT_EXPORTER]: { ...exporter, sending_queue: { ...queue, wait_for_result: false, queue_size: MEMORY_QUEUE_LIMITS.spans }, retry_on_failure: EXPORT_RETRY } },
    service: { ...config.service, pipelines },
  };
}

/** The agent process as the fault drives it. */
export interface AgentHop {
  readonly name: string;
  /** SIGKILL: the process gets no chance to flush anything. */
  kill(): Promise<void>;
  start(): Promise<void>;
}

/** How long the agent stays dead before it is started again (a pod restart takes seconds). */
export const AGENT_DOWN_MS = 3000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The plan: orders over OUTAGE_MS; halfway, the agent is killed, stays down AGENT_DOWN_MS, and is started again. */
export function agentKillPlan(agent: AgentHop, ackOnReceipt: boolean): FaultPlan {
  return {
    name: `agent killed (SIGKILL) and restarted during ${OUTAGE_MS / 1000} s of orders`,
    down: [],
    during: async () => {
      await sleep(OUTAGE_MS / 2);
      await agent.kill();
      await sleep(AGENT_DOWN_MS);
      await agent.start();
    },
    keptBy: ackOnReceipt ? 'the classic agent (E2E_BREAK=agent-ack: it had acknowledged what it held)' : "the app's span buffer: the agent answers only after the gateway took the batch (wait_for_result)",
  };
}

export function agentFault(ctx: FaultContext, agent: AgentHop, jaegerApi: () => string, ackOnReceipt: boolean): Promise<FaultRow> {
  return runFault(ctx, jaegerApi, agentKillPlan(agent, ackOnReceipt));
}
