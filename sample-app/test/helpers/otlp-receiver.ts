import http from 'node:http';
import type { AddressInfo } from 'node:net';

interface ProtoMessageType {
  decode(bytes: Uint8Array): unknown;
  toObject(message: unknown, options: object): unknown;
}
// The OTLP protobuf definitions the SDK's own exporters encode with (generated protobufjs root).
const root = require('@opentelemetry/otlp-transformer/build/src/generated/root');
const TraceRequest: ProtoMessageType = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
const MetricsRequest: ProtoMessageType = root.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
const TO_OBJECT = { longs: Number, bytes: String, defaults: false } as const;

/** OTLP ids are bytes; protobufjs gives them as base64, OTLP/JSON as hex. */
function idsToHex(span: any) {
  for (const key of ['traceId', 'spanId', 'parentSpanId']) {
    if (typeof span[key] === 'string' && span[key].length > 0) span[key] = Buffer.from(span[key], 'base64').toString('hex');
    else delete span[key];
  }
  return span;
}

/**
 * A minimal OTLP/HTTP receiver (POST /v1/traces, /v1/metrics) speaking the protobuf encoding
 * (application/x-protobuf): the protocol the deployed app uses (OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf).
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
  readonly contentTypes = new Set<string>();
  /** Number of metric export requests received. */
  metricExports = 0;
  private server = http.createServer((req, res) => this.handle(req, res));

  /** Listens on 127.0.0.1:`port` (0: a free one) and gives the endpoint URL. */
  async start(port = 0): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
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
      const type = req.headers['content-type'] ?? '';
      if (type !== 'application/x-protobuf') {
        res.writeHead(415).end();
        return;
      }
      this.contentTypes.add(type);
      const raw = Buffer.concat(chunks);
      if (req.url === '/v1/traces') {
        const body = TraceRequest.toObject(TraceRequest.decode(raw), TO_OBJECT) as any;
        for (const rs of body.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) ss.spans = (ss.spans ?? []).map(idsToHex);
        this.addTraces(body);
      } else if (req.url === '/v1/metrics') {
        this.metricExports++;
        this.addMetrics(MetricsRequest.toObject(MetricsRequest.decode(raw), TO_OBJECT));
      }
      // An empty ExportServiceResponse.
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(Buffer.alloc(0));
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
