import { AGENT_EXPORTER, AGENT_NODE_LABEL } from '../constructs/otel/collector-config';
import { Sample, sumOf } from './prometheus-text';

/**
 * The node agents' hop of `npm run verify`. Each agent scrapes its own telemetry (labelled
 * `agent_node` with its node: the `job` label is the collector's own service.name, the same on
 * the gateway's self-telemetry) and forwards it with its other metrics to the gateway (or
 * the dev all-in-one), whose Prometheus endpoint verify already reads: per node, the spans the
 * agent accepted from the apps, forwarded to the gateway, refused (the apps keep and resend
 * those) and failed to send (answered as refusals, so the apps resend those too).
 */
export interface AgentPods {
  /** Running agent pods and the node each runs on (kubectl get pods … -o json). */
  readonly pods: readonly { readonly pod: string; readonly node: string }[];
  /** The label selector they were listed with, for the hints. */
  readonly selector: string;
}

export interface AgentCounts {
  accepted: number;
  forwarded: number;
  refused: number;
  sendFailed: number;
}

/** A counter as the Prometheus exporter names it (with or without `_total`). */
const counter = (samples: Sample[], name: string, match: Record<string, string>) => sumOf(samples, `${name}_total`, match) + sumOf(samples, name, match);

/** The agents' own series (labelled with their node): not the gateway's, whose queues decide loss. */
export const isAgentSeries = (s: Sample) => s.labels[AGENT_NODE_LABEL] !== undefined;

/** Span counters per node, from the agents' self-telemetry among `samples`. */
export function agentCounts(samples: Sample[]): Map<string, AgentCounts> {
  const byNode = new Map<string, AgentCounts>();
  const nodes = new Set(samples.filter(isAgentSeries).map((s) => s.labels[AGENT_NODE_LABEL]).filter(Boolean));
  for (const node of [...nodes].sort()) {
    const m = { [AGENT_NODE_LABEL]: node };
    byNode.set(node, {
      accepted: counter(samples, 'otelcol_receiver_accepted_spans', m),
      forwarded: counter(samples, 'otelcol_exporter_sent_spans', { ...m, exporter: AGENT_EXPORTER }),
      refused: counter(samples, 'otelcol_receiver_refused_spans', m),
      sendFailed: counter(samples, 'otelcol_exporter_send_failed_spans', { ...m, exporter: AGENT_EXPORTER }),
    });
  }
  return byNode;
}

/** What the agents refused back to the apps in all (the apps' buffers resend it: not a loss). */
export function agentRefusals(samples: Sample[]): number {
  return [...agentCounts(samples).values()].reduce((n, c) => n + c.refused, 0);
}

/**
 * The hop: every Running agent's node reports, and spans went through the agents since verify
 * started (accepted and forwarded both rose). Polled until then or the deadline.
 */
export function agentHop(agents: AgentPods, scrape: () => Promise<Sample[]>, before: Sample[], collectorNamespace: string) {
  const base = agentCounts(before);
  let missing: string[] = [];
  return {
    name: 'node agents forwarded the spans',
    get cause() {
      return missing.length
        ? `no telemetry from the agent on ${missing.join(', ')} reached the collector: is it forwarding? kubectl -n ${collectorNamespace} logs ${agents.pods.filter((p) => missing.includes(p.node)).map((p) => `pod/${p.pod}`).join(' ')}`
        : `the agents received or forwarded no span: do the apps send to the agent Service (OTEL_EXPORTER_OTLP_ENDPOINT)? kubectl -n ${collectorNamespace} logs -l ${agents.selector}`;
    },
    failNow: agents.pods.length === 0 ? `no Running pod matches ${agents.selector} in namespace ${collectorNamespace}` : undefined,
    probe: async () => {
      const now = agentCounts(await scrape());
      missing = agents.pods.map((p) => p.node).filter((node) => !now.has(node));
      if (missing.length) return undefined;
      const delta = (node: string, k: keyof AgentCounts) => (now.get(node)?.[k] ?? 0) - (base.get(node)?.[k] ?? 0);
      const nodes = agents.pods.map((p) => p.node);
      const accepted = nodes.reduce((n, node) => n + delta(node, 'accepted'), 0);
      const forwarded = nodes.reduce((n, node) => n + delta(node, 'forwarded'), 0);
      if (accepted <= 0 || forwarded <= 0) return undefined;
      return nodes
        .map((node) => `${node}: +${delta(node, 'accepted')} spans in, +${delta(node, 'forwarded')} forwarded, ${now.get(node)!.refused} refused to the apps (resent by them), ${now.get(node)!.sendFailed} send failures`)
        .join('; ');
    },
  };
}
