import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A minimal OTLP/HTTP receiver speaking the JSON encoding (application/json), the same
 * protocol the deployed app uses (OTEL_EXPORTER_OTLP_PROTOCOL=http/json).
 */
export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  status?: { code?: number; message?: string };
  attributes?: { key: string; value: Record<string, unknown> }[];
  events?: { name: string; attributes?: { key: string; value: Record<string, unknown> }[] }[];
  service: string;
}

export interface OtlpMetricPoint {
  metric: string;
  service: string;
  attributes: Record<string, unknown>;
  value: number;
}

export class OtlpReceiver {
  readonly spans: OtlpSpan[] = [];
  readonly metricPoints: OtlpMetricPoint[] = [];
  readonly metricNames = new Set<string>();
  private server = http.createServer((req, res) => this.handle(req, res));

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.headers['content-type'] !== 'application/json') {
        res.writeHead(415).end();
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      if (req.url === '/v1/traces') this.addTraces(body);
      else if (req.url === '/v1/metrics') this.addMetrics(body);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  }

  private addTraces(body: any) {
    for (const rs of body.resourceSpans ?? []) {
      const service = attr(rs.resource?.attributes, 'service.name') as string;
      for (const ss of rs.scopeSpans ?? []) for (const span of ss.spans ?? []) this.spans.push({ ...span, service });
    }
  }

  private addMetrics(body: any) {
    for (const rm of body.resourceMetrics ?? []) {
      const service = attr(rm.resource?.attributes, 'service.name') as string;
      for (const sm of rm.scopeMetrics ?? []) {
        for (const m of sm.metrics ?? []) {
          this.metricNames.add(m.name);
          const points = m.sum?.dataPoints ?? m.histogram?.dataPoints ?? m.gauge?.dataPoints ?? [];
          for (const p of points) {
            const value = Number(p.asInt ?? p.asDouble ?? p.count ?? 0);
            const attributes = Object.fromEntries((p.attributes ?? []).map((a: any) => [a.key, Object.values(a.value)[0]]));
            this.metricPoints.push({ metric: m.name, service, attributes, value });
          }
        }
      }
    }
  }

  /** Latest cumulative value of a metric for a service matching `attrs`. */
  latest(metric: string, service: string, attrs: Record<string, unknown> = {}): number | undefined {
    const matching = this.metricPoints.filter((p) => p.metric === metric && p.service === service && Object.entries(attrs).every(([k, v]) => String(p.attributes[k]) === String(v)));
    return matching.length ? matching[matching.length - 1].value : undefined;
  }
}

export function attr(attributes: { key: string; value: Record<string, unknown> }[] | undefined, key: string): unknown {
  const found = attributes?.find((a) => a.key === key);
  return found ? Object.values(found.value)[0] : undefined;
}

export async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 20000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
