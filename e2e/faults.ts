/**
 * Fault steps of the off-cluster e2e run: one hop of the trace path (collector, Jaeger, the
 * search engine under Jaeger) goes down while the sample app keeps taking orders, each with a
 * trace id of its own; once the hop is back, every one of those traces must reach Jaeger, whole
 * (both services' spans). The table of the issue "Nothing lost when a hop restarts", as steps.
 *
 * What keeps them: the app's span buffer (sample-app/src/span-buffer.ts) while no collector
 * answers, the collector's persistent sending queue (file_storage, collector-config.ts) while
 * Jaeger does not and across a collector restart. E2E_BREAK=app-buffer (buffer off) and
 * E2E_BREAK=collector-queue (in-memory queue) remove each, and the fault that needs it fails.
 */
import { getTrace, JaegerTrace } from '../ops/jaeger-api';

/** A process of the run that a fault stops and starts again (same config, same ports, same data). */
export interface Hop {
  readonly name: string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

export interface FaultContext {
  readonly log: (line: string) => void;
  readonly step: (name: string, ok: boolean, detail: string, ms?: number) => void;
  /** One POST /api/orders through the front with a trace id of its own; resolves to that id. */
  readonly sendOrder: () => Promise<string>;
}

export interface FaultRow {
  readonly fault: string;
  readonly sent: number;
  readonly arrived: number;
  readonly ms: number;
}

/** Orders sent during each fault, spread over OUTAGE_MS (the issue's 40 over 20 s). */
export const ORDERS_PER_FAULT = Number(process.env.E2E_FAULT_ORDERS ?? 40);
export const OUTAGE_MS = Number(process.env.E2E_OUTAGE_MS ?? 20_000);
/** How long the traces may take to arrive once the hop is back (app buffer backoff ≤ 10 s, collector retry ≤ 30 s). */
export const RECOVERY_MS = Number(process.env.E2E_RECOVERY_MS ?? 90_000);

/** An order's trace is whole when both services' spans are in it. */
export function wholeOrderTrace(trace: JaegerTrace | undefined): boolean {
  if (!trace) return false;
  const ops = new Set(trace.spans.map((s) => s.operationName));
  return ops.has('order.persist') && ops.has('inventory.reserve');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends ORDERS_PER_FAULT orders evenly over OUTAGE_MS; every one must be answered 201 (the app serves through the fault). */
async function sendDuringOutage(ctx: FaultContext): Promise<string[]> {
  const ids: string[] = [];
  const started = Date.now();
  for (let i = 0; i < ORDERS_PER_FAULT; i++) {
    ids.push(await ctx.sendOrder());
    const next = started + ((i + 1) * OUTAGE_MS) / ORDERS_PER_FAULT;
    await sleep(Math.max(0, next - Date.now()));
  }
  return ids;
}

/** How many of the traces Jaeger returns whole, polling until all are there or RECOVERY_MS passed. */
async function countArrived(jaegerApi: () => string, ids: string[]): Promise<number> {
  const found = new Set<string>();
  const deadline = Date.now() + RECOVERY_MS;
  while (Date.now() < deadline) {
    for (const id of ids.filter((x) => !found.has(x))) {
      try {
        if (wholeOrderTrace(await getTrace(jaegerApi(), id))) found.add(id);
      } catch {
        // Jaeger still starting: ask again on the next round.
      }
    }
    if (found.size === ids.length) break;
    await sleep(1000);
  }
  return found.size;
}

export interface FaultPlan {
  readonly name: string;
  /** Hops stopped when the fault starts, started again (in this order) when it ends. */
  readonly down: Hop[];
  /** Runs after the orders were sent, before the hops come back (e.g. restart another hop). */
  readonly meanwhile?: () => Promise<void>;
  /** Runs while the orders are being sent (e.g. kill a hop halfway and start it again). */
  readonly during?: () => Promise<void>;
  /** What the fault needs that an E2E_BREAK switch removes: named in the failure. */
  readonly keptBy: string;
}

/** One fault: hops down, orders sent, hops up, every trace counted. A step fails unless all arrived. */
export async function runFault(ctx: FaultContext, jaegerApi: () => string, plan: FaultPlan): Promise<FaultRow> {
  const t0 = Date.now();
  for (const hop of plan.down) await hop.stop();
  ctx.log(`fault "${plan.name}": ${plan.down.length ? `${plan.down.map((h) => h.name).join(', ')} down, ` : ''}sending ${ORDERS_PER_FAULT} orders over ${OUTAGE_MS / 1000} s`);
  const [ids] = await Promise.all([sendDuringOutage(ctx), plan.during?.()]);
  if (plan.meanwhile) await plan.meanwhile();
  for (const hop of [...plan.down].reverse()) await hop.start();
  const arrived = await countArrived(jaegerApi, ids);
  const row = { fault: plan.name, sent: ids.length, arrived, ms: Date.now() - t0 };
  ctx.step(
    `fault: ${plan.name}`,
    arrived === ids.length,
    arrived === ids.length
      ? `${arrived}/${ids.length} traces sent during the fault found whole in Jaeger afterwards (kept by ${plan.keptBy})`
      : `only ${arrived}/${ids.length} traces sent during the fault reached Jaeger within ${RECOVERY_MS / 1000} s after it ended: ${plan.keptBy} did not keep them`,
    row.ms,
  );
  return row;
}

/** The collector and Jaeger faults (Jaeger on in-memory storage). */
export async function traceHopFaults(ctx: FaultContext, hops: { collector: Hop; jaeger: Hop }, jaegerApi: () => string): Promise<FaultRow[]> {
  const { collector, jaeger } = hops;
  const rows: FaultRow[] = [];
  rows.push(await runFault(ctx, jaegerApi, { name: `collector down ${OUTAGE_MS / 1000} s`, down: [collector], keptBy: "the app's span buffer (TELEMETRY_BUFFER_SPANS)" }));
  rows.push(await runFault(ctx, jaegerApi, { name: `Jaeger down ${OUTAGE_MS / 1000} s`, down: [jaeger], keptBy: "the collector's sending queue and retry" }));
  rows.push(
    await runFault(ctx, jaegerApi, {
      name: 'collector restarted while Jaeger is down',
      down: [jaeger],
      // The apps' batches (200 ms) have reached the collector by now; its queue holds them
      // across the restart only if it is on disk.
      meanwhile: async () => {
        await sleep(3000);
        await collector.stop();
        await collector.start();
      },
      keptBy: "the collector's persistent sending queue (file_storage)",
    }),
  );
  return rows;
}

/** Formats the fault rows as the issue's table. */
export function faultTable(rows: FaultRow[]): string {
  return ['| fault | traces that arrived |', '|---|---|', ...rows.map((r) => `| ${r.fault} | ${r.arrived}/${r.sent} |`)].join('\n');
}
