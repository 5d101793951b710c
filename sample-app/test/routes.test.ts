import { metrics } from '@opentelemetry/api';
import pino from 'pino';
import request from 'supertest';
import { createApp } from '../src/app';
import { loadAppConfig } from '../src/config';
import { createAppMetrics } from '../src/telemetry';

const config = loadAppConfig({ SERVICE_ROLE: 'front', MAX_BODY_BYTES: '1024' });
const silent = pino({ level: 'silent' });

function app(state = { ready: true }) {
  metrics.disable();
  return createApp(config, silent, createAppMetrics(), state);
}

describe('routes', () => {
  it('GET / describes the service', async () => {
    const res = await request(app()).get('/').expect(200).expect('content-type', /application\/json/);
    expect(res.body).toMatchObject({ version: '1.0.0', role: 'front' });
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('POST /api/orders creates an order that GET /api/orders lists', async () => {
    const server = app();
    const created = await request(server).post('/api/orders').send({ item: 'book', quantity: 2 }).expect(201);
    expect(created.body).toMatchObject({ item: 'book', quantity: 2 });
    expect(created.body.id).toMatch(/^ord-/);
    expect(created.body.reservation).toMatch(/^rsv-/);
    const list = await request(server).get('/api/orders').expect(200);
    expect(list.body.total).toBe(1);
    expect(list.body.orders[0].id).toBe(created.body.id);
  });

  it.each([
    [{ item: '', quantity: 1 }, 'item'],
    [{ item: 'x', quantity: 0 }, 'quantity'],
    [{ item: 'x', quantity: 1.5 }, 'quantity'],
    [{ item: 'x', quantity: '2' }, 'quantity'],
    [{ item: 'x', quantity: 1, extra: true }, ''],
  ])('POST /api/orders rejects %j with 422 naming %s', async (body, field) => {
    const res = await request(app()).post('/api/orders').send(body).expect(422);
    expect(res.body.error).toBe('validation_failed');
    expect(res.body.issues.map((i: { path: string }) => i.path)).toContain(field);
  });

  it('answers invalid JSON with 400 and an oversized body with 413, as JSON', async () => {
    const bad = await request(app()).post('/api/orders').set('content-type', 'application/json').send('{"item":').expect(400);
    expect(bad.body).toEqual({ error: 'invalid_json' });
    const big = await request(app()).post('/api/orders').send({ item: 'x'.repeat(5000), quantity: 1 }).expect(413);
    expect(big.body).toEqual({ error: 'body_too_large' });
  });

  it('GET /api/slow waits the requested time and validates ms', async () => {
    const started = Date.now();
    const res = await request(app()).get('/api/slow?ms=120').expect(200);
    expect(res.body).toEqual({ waitedMs: 120 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(115);
    await request(app()).get('/api/slow?ms=-1').expect(400);
    await request(app()).get('/api/slow?ms=abc').expect(400);
  });

  it('GET /api/error is a handled 500 with a JSON body', async () => {
    const res = await request(app()).get('/api/error').expect(500);
    expect(res.body).toMatchObject({ error: 'simulated_failure' });
  });

  it('health and readiness; readiness drops while shutting down', async () => {
    const state = { ready: true };
    const server = app(state);
    await request(server).get('/healthz').expect(200, { status: 'ok' });
    await request(server).get('/readyz').expect(200);
    state.ready = false;
    await request(server).get('/readyz').expect(503);
    await request(server).get('/healthz').expect(200);
  });

  it('unknown routes get a JSON 404', async () => {
    await request(app()).get('/nope').expect(404, { error: 'not_found' });
  });
});

describe('configuration from the environment', () => {
  it('applies defaults', () => {
    expect(loadAppConfig({})).toMatchObject({ PORT: 8080, HOST: '0.0.0.0', SERVICE_ROLE: 'front' });
  });
  it.each([
    [{ PORT: '70000' }, 'PORT'],
    [{ PORT: 'abc' }, 'PORT'],
    [{ SERVICE_ROLE: 'db' }, 'SERVICE_ROLE'],
    [{ BACKEND_URL: 'not a url' }, 'BACKEND_URL'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
  ])('rejects %j naming the variable', (env, name) => {
    expect(() => loadAppConfig(env)).toThrow(new RegExp(`^invalid environment variable ${name}=`));
  });
});
