import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { JaegerTrace } from '../ops/jaeger-api';
import { recordedJaegerAnswer, recordedTraceAnswer } from './fake-world';

// Small and fast: 4 orders over 200 ms, 1.5 s for them to arrive (read when the module loads).
process.env.E2E_FAULT_ORDERS = '4';
process.env.E2E_OUTAGE_MS = '200';
process.env.E2E_RECOVERY_MS = '1500';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const faults = require('../e2e/faults') as typeof import('../e2e/faults');

/** The recorded order trace about `id` without the backend's spans: what Jaeger answers while they have not arrived. */
function withoutBackendSpans(id: string): string {
  const answer = JSON.parse(recordedTraceAnswer('/api/orders', id)) as { data: JaegerTrace[] };
  const trace = answer.data[0];
  const backend = Object.keys(trace.processes).filter((p) => trace.processes[p].serviceName === 'sample-app-backend');
  return JSON.stringify({ ...answer, data: [{ ...trace, spans: trace.spans.filter((s) => !backend.includes(s.processID)) }] });
}

/** A fake Jaeger query API: the real Jaeger's recorded answers, a whole order trace for the ids in `stored`, a partial one for `partial`, its 404 otherwise. */
async function fakeJaeger(stored: Set<string>, partial = new Set<string>()) {
  const server = http.createServer((req, res) => {
    const id = req.url!.split('/').pop()!;
    if (!stored.has(id) && !partial.has(id)) return void res.writeHead(404, { 'content-type': 'application/json' }).end(recordedJaegerAnswer('missing.trace.json'));
    res.writeHead(200, { 'content-type': 'application/json' }).end(partial.has(id) ? withoutBackendSpans(id) : recordedTraceAnswer('/api/orders', id));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(r)) };
}

function harness() {
  const steps: { name: string; ok: boolean; detail: string }[] = [];
  const events: string[] = [];
  const sent: string[] = [];
  const hop = (name: string) => ({ name, stop: async () => void events.push(`${name} down`), start: async () => void events.push(`${name} up`) });
  const ctx = {
    log: () => undefined,
    step: (name: string, ok: boolean, detail: string) => {
      steps.push({ name, ok, detail });
      if (!ok) throw new Error(`${name}: ${detail}`);
    },
    sendOrder: async () => {
      const id = randomBytes(16).toString('hex');
      sent.push(id);
      events.push('order');
      return id;
    },
  };
  return { steps, events, sent, hop, ctx };
}

describe('e2e fault steps (the harness itself)', () => {
  it('passes only when every trace sent during the fault arrives whole, with the hops down while the orders are sent', async () => {
    const h = harness();
    const stored = new Set<string>();
    const jaeger = await fakeJaeger(stored);
    try {
      const plan = { name: 'collector down', down: [h.hop('collector')], keptBy: 'the app buffer', meanwhile: async () => void h.events.push('meanwhile') };
      // The hop comes back and the traces arrive afterwards (as a queue would deliver them).
      const running = faults.runFault(h.ctx, () => jaeger.url, plan);
      setTimeout(() => h.sent.forEach((id) => stored.add(id)), 300);
      const row = await running;
      expect(row).toMatchObject({ fault: 'collector down', sent: 4, arrived: 4 });
      expect(h.events).toEqual(['collector down', 'order', 'order', 'order', 'order', 'meanwhile', 'collector up']);
      expect(h.steps).toEqual([{ name: 'fault: collector down', ok: true, detail: '4/4 traces sent during the fault found whole in Jaeger afterwards (kept by the app buffer)' }]);
    } finally {
      await jaeger.close();
    }
  });

  it('fails naming the fault and what should have kept the traces when one is missing or only partly there', async () => {
    const h = harness();
    const stored = new Set<string>();
    const partial = new Set<string>();
    const jaeger = await fakeJaeger(stored, partial);
    try {
      const running = faults.runFault(h.ctx, () => jaeger.url, { name: 'collector restarted while Jaeger is down', down: [h.hop('Jaeger')], keptBy: "the collector's persistent sending queue" });
      setTimeout(() => {
        stored.add(h.sent[0]);
        stored.add(h.sent[1]);
        partial.add(h.sent[2]); // one service's spans only: not whole
      }, 300); // after the 4 orders (200 ms), before the second look (1 s later)
      await expect(running).rejects.toThrow("fault: collector restarted while Jaeger is down: only 2/4 traces sent during the fault reached Jaeger within 1.5 s after it ended: the collector's persistent sending queue did not keep them");
    } finally {
      await jaeger.close();
    }
  });

  it('runs `during` while the orders are being sent (a hop killed halfway and started again), with no hop down before', async () => {
    const h = harness();
    const stored = new Set<string>();
    const jaeger = await fakeJaeger(stored);
    try {
      const during = async () => {
        await new Promise((r) => setTimeout(r, 90));
        h.events.push('agent killed');
        h.events.push('agent started');
      };
      const running = faults.runFault(h.ctx, () => jaeger.url, { name: 'agent killed', down: [], during, keptBy: "the app's span buffer" });
      setTimeout(() => h.sent.forEach((id) => stored.add(id)), 300);
      expect(await running).toMatchObject({ sent: 4, arrived: 4 });
      const killed = h.events.indexOf('agent killed');
      expect(killed).toBeGreaterThan(0);
      expect(h.events.slice(killed + 2)).toContain('order'); // orders went on after the restart
    } finally {
      await jaeger.close();
    }
  });

  it('prints the rows as the issue table', () => {
    expect(faults.faultTable([{ fault: 'none (baseline)', sent: 40, arrived: 40, ms: 1 }, { fault: 'collector down 20 s', sent: 40, arrived: 0, ms: 1 }])).toBe(
      '| fault | traces that arrived |\n|---|---|\n| none (baseline) | 40/40 |\n| collector down 20 s | 0/40 |',
    );
  });
});
