import { context, Span, SpanStatusCode, trace } from '@opentelemetry/api';
import express, { NextFunction, Request, Response } from 'express';
import http from 'node:http';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { AppConfig } from './config';
import type { AppMetrics } from './telemetry';
import { SERVICE_VERSION } from './telemetry';

const tracer = trace.getTracer('sample-app', SERVICE_VERSION);

export const OrderInput = z.strictObject({
  item: z.string().trim().min(1).max(100),
  quantity: z.int().min(1).max(1000),
});
export type Order = z.infer<typeof OrderInput> & { id: string; createdAt: string; reservation: string };

export interface AppState {
  /** false once SIGTERM arrived: /readyz answers 503 so Kubernetes stops routing here. */
  ready: boolean;
}

const MAX_ORDERS = 1000;

export function createApp(config: AppConfig, logger: Logger, appMetrics: AppMetrics, state: AppState = { ready: true }) {
  const app = express();
  const orders: Order[] = [];
  app.disable('x-powered-by');
  app.set('etag', false);

  app.use(accessLog(logger));
  // While shutting down, tell clients not to reuse the connection.
  app.use((_req, res, next) => {
    if (!state.ready) res.setHeader('connection', 'close');
    next();
  });
  app.use(express.json({ limit: config.MAX_BODY_BYTES, strict: true }));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', (_req, res) => {
    res.status(state.ready ? 200 : 503).json({ status: state.ready ? 'ready' : 'shutting-down' });
  });

  app.get('/', (_req, res) => {
    res.json({ service: process.env.OTEL_SERVICE_NAME ?? 'sample-app', version: SERVICE_VERSION, role: config.SERVICE_ROLE, environment: config.DEPLOYMENT_ENVIRONMENT });
  });

  app.get('/api/orders', (_req, res) => {
    res.json({ orders: orders.slice(-50), total: orders.length });
  });

  app.post('/api/orders', async (req, res, next) => {
    try {
      const parsed = await inSpan('order.validate', async () => OrderInput.safeParse(req.body));
      if (!parsed.success) {
        res.status(422).json({ error: 'validation_failed', issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) });
        return;
      }
      const reservation = await inSpan('order.reserve_inventory', () => reserve(config, parsed.data));
      const order = await inSpan('order.persist', async (span) => {
        await delay(5);
        const created: Order = { ...parsed.data, id: `ord-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`, createdAt: new Date().toISOString(), reservation };
        span.setAttribute('app.order.id', created.id);
        orders.push(created);
        if (orders.length > MAX_ORDERS) orders.shift();
        return created;
      });
      appMetrics.ordersCreated.add(1, { 'app.order.item': order.item.slice(0, 32) });
      logger.info({ order_id: order.id, item: order.item, quantity: order.quantity }, 'order created');
      res.status(201).json(order);
    } catch (err) {
      next(err);
    }
  });

  // The backend role's work; the front calls it over HTTP so one trace spans two services.
  app.post('/api/inventory/reserve', async (req, res) => {
    const parsed = OrderInput.safeParse(req.body);
    if (!parsed.success) {
      res.status(422).json({ error: 'validation_failed' });
      return;
    }
    const reservation = await inSpan('inventory.reserve', async (span) => {
      span.setAttribute('app.order.quantity', parsed.data.quantity);
      await delay(10);
      return `rsv-${Math.random().toString(36).slice(2, 10)}`;
    });
    res.json({ reservation });
  });

  app.get('/api/slow', async (req, res) => {
    const requested = Number(req.query.ms ?? config.SLOW_MS);
    if (!Number.isInteger(requested) || requested < 0 || requested > 30000) {
      res.status(400).json({ error: 'invalid_ms', message: 'ms must be an integer from 0 to 30000' });
      return;
    }
    await inSpan('slow.work', () => delay(requested));
    res.json({ waitedMs: requested });
  });

  app.get('/api/error', (_req, res) => {
    const err = new Error('simulated failure in /api/error');
    const span = trace.getActiveSpan();
    span?.recordException(err);
    span?.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
    appMetrics.errors.add(1, { 'http.route': '/api/error', 'error.type': 'SimulatedError' });
    logger.error({ err, route: '/api/error' }, 'handled error');
    res.status(500).json({ error: 'simulated_failure', message: err.message, trace_id: span?.spanContext().traceId });
  });

  app.use((_req, res) => {
    res.status(404).json({ error: 'not_found' });
  });

  // Body parser and other errors: always a JSON 4xx/5xx, never a crash.
  app.use((err: Error & { type?: string; status?: number }, req: Request, res: Response, _next: NextFunction) => {
    const status = err.type === 'entity.parse.failed' ? 400 : err.type === 'entity.too.large' ? 413 : (err.status ?? 500);
    const code = err.type === 'entity.parse.failed' ? 'invalid_json' : err.type === 'entity.too.large' ? 'body_too_large' : status >= 500 ? 'internal_error' : 'bad_request';
    if (status >= 500) {
      trace.getActiveSpan()?.recordException(err);
      trace.getActiveSpan()?.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
      appMetrics.errors.add(1, { 'http.route': req.route?.path ?? req.path, 'error.type': err.name });
      logger.error({ err }, 'request failed');
    }
    res.status(status).json({ error: code });
  });
  return app;
}

/** One JSON line per request, logged in the request's span context (trace_id/span_id). */
function accessLog(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction) => {
    const start = process.hrtime.bigint();
    const ctx = context.active();
    res.on('finish', () => {
      if (req.path === '/healthz' || req.path === '/readyz') return;
      const durationMs = Number(process.hrtime.bigint() - start) / 1e6;
      const line = { type: 'access', method: req.method, route: req.route?.path ?? req.path, path: req.originalUrl, status: res.statusCode, duration_ms: Math.round(durationMs * 100) / 100 };
      context.with(ctx, () => (res.statusCode >= 500 ? logger.error(line, 'request') : logger.info(line, 'request')));
    });
    next();
  };
}

async function inSpan<T>(name: string, work: (span: Span) => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, async (span) => {
    try {
      return await work(span);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Calls the backend role (instrumented http client: traceparent is propagated). */
async function reserve(config: AppConfig, order: z.infer<typeof OrderInput>): Promise<string> {
  if (config.SERVICE_ROLE === 'backend' || !config.BACKEND_URL) {
    await delay(10);
    return `rsv-local-${Math.random().toString(36).slice(2, 8)}`;
  }
  const body = JSON.stringify(order);
  const url = new URL('/api/inventory/reserve', config.BACKEND_URL);
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }, timeout: 5000 }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (data += chunk));
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`backend answered ${res.statusCode}`));
        try {
          resolve((JSON.parse(data) as { reservation: string }).reservation);
        } catch (err) {
          reject(err as Error);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('backend timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
