import { formatResults, runVerify } from '../ops/verify';
import { fakeWorld, Modes } from './fake-world';

const fast = { timeoutMs: 2500, intervalMs: 100 };

describe('npm run verify logic against fake servers', () => {
  it('passes every hop when everything answers, with the time each took', async () => {
    const world = await fakeWorld();
    try {
      const results = await runVerify(world.endpoints, fast);
      expect(results.map((r) => [r.hop, r.ok])).toEqual([
        ['sample app answers', true],
        ['access log in fluentd-*', true],
        ['error log in fluentd-*', true],
        ['trace in Jaeger (both services)', true],
        ['error span in Jaeger', true],
        ['dependency sample-app → sample-app-backend', true],
        ['request and error counters rose', true],
        ['node and pod stats metrics', true],
        ['Kubernetes events in k8s-events-*', true],
      ]);
      expect(results[1].detail).toBe('fluentd-2026-11-27: pod sample-app-abc, namespace sample-app, container app');
      expect(results[6].detail).toBe('orders +3, errors +1');
      expect(formatResults(results)).toMatch(/9 passed, 0 failed$/);
    } finally {
      await world.close();
    }
  });

  it('waits for slow hops within the deadline', async () => {
    const world = await fakeWorld({ es: 'slow', jaeger: 'slow', prom: 'slow' });
    try {
      const results = await runVerify(world.endpoints, fast);
      expect(results.every((r) => r.ok)).toBe(true);
      expect(results[1].ms).toBeGreaterThanOrEqual(600);
    } finally {
      await world.close();
    }
  });

  it.each<[Partial<Modes>, string, RegExp]>([
    [{ es: 'missing' }, 'access log in fluentd-*', /is the Fluentd DaemonSet running\? kubectl -n logging logs ds\/fluentd/],
    [{ es: 'garbage' }, 'access log in fluentd-*', /Fluentd DaemonSet/],
    [{ jaeger: 'missing' }, 'trace in Jaeger (both services)', /is the collector exporting to Jaeger\?/],
    [{ jaeger: 'garbage' }, 'trace in Jaeger (both services)', /collector exporting to Jaeger/],
    [{ deps: 'missing' }, 'dependency sample-app → sample-app-backend', /BACKEND_URL/],
    [{ prom: 'missing' }, 'request and error counters rose', /Prometheus endpoint did not count/],
    [{ prom: 'garbage' }, 'request and error counters rose', /Prometheus endpoint/],
    [{ stats: 'missing' }, 'node and pod stats metrics', /nodes\/stats/],
    [{ events: 'missing' }, 'Kubernetes events in k8s-events-*', /elasticsearch\/events exporter/],
  ])('%j: fails hop "%s" and names the likely cause', async (modes, hop, cause) => {
    const world = await fakeWorld(modes);
    try {
      const results = await runVerify(world.endpoints, fast);
      const failed = results.filter((r) => !r.ok);
      expect(failed[0].hop).toBe(hop);
      expect(failed[0].cause).toMatch(cause);
      expect(formatResults(results)).toContain(`first failed hop: ${hop}: `);
    } finally {
      await world.close();
    }
  });

  it('garbage answers are reported as such, not as a crash', async () => {
    const world = await fakeWorld({ jaeger: 'garbage' });
    try {
      const results = await runVerify(world.endpoints, fast);
      expect(results.find((r) => r.hop.startsWith('trace'))!.detail).toMatch(/not JSON/);
    } finally {
      await world.close();
    }
  });

  it('stops at the app when it does not answer', async () => {
    const results = await runVerify({ app: 'http://127.0.0.1:9', jaeger: 'http://127.0.0.1:9', prometheus: 'http://127.0.0.1:9/metrics', elasticsearch: { url: 'http://127.0.0.1:9', username: 'u', password: 'p' } }, fast);
    expect(results).toHaveLength(1);
    expect(results[0].cause).toMatch(/is the sample app running\?/);
  });
});
