/**
 * Kibana's data views, kept by Terraform: every body the data-view Job sends is validated against
 * the request schema Kibana's own routes declare (checks/upstream/kibana-data-views-api.json, read
 * in Kibana's source), the Job's script runs against a fake Kibana on 127.0.0.1 (slow, missing,
 * refusing and garbage answers), and the Job's user holds Kibana privileges only.
 */
import Ajv from 'ajv';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import api from '../checks/upstream/kibana-data-views-api.json';
import type { MonitoringConfig } from '../config/schema';
import { dataViewRequests, KIBANA_DATA_VIEWS_API_VERSION } from '../constructs/kibana/data-views';
import { dataViewsScript } from '../constructs/kibana/data-views-job';
import { DATA_VIEW_IDS } from '../constructs/kibana/names';
import { readStacks, resolveTemplate } from '../ops/terraform-json';
import { build, config, outdirOf, resourcesOf, synth } from './helpers';

const EXISTING = { mode: 'existing', kubeconfigPath: '/dev/null', context: 'prod' };
const PROFILES: [string, MonitoringConfig][] = [
  ['dev', config()],
  ['production', config({ profile: 'production', cluster: EXISTING, sampleApp: { image: 'ghcr.io/acme/sample-app:1.0.0' } })],
];

const ajv = new Ajv({ strict: false, allErrors: true });
ajv.addSchema({ ...api, $id: 'kibana' });
const routes = Object.values(api.routes);
/** The validator of the route a request goes to (method + path), as Kibana's router would pick it. */
function validatorFor(method: string, path: string) {
  const route = routes.find((r) => r.method === method && r.path === path);
  if (!route) throw new Error(`no Kibana data view route ${method} ${path} in the upstream data`);
  return ajv.getSchema(`kibana${route.body.$ref}`)!;
}
const errorsOf = (method: string, path: string, body: unknown) => {
  const validate = validatorFor(method, path);
  return validate(body) ? [] : validate.errors!.map((e) => `${e.instancePath} ${e.message}${'additionalProperty' in e.params ? ` (${e.params.additionalProperty})` : ''}`.trim());
};
const urlParamsErrors = (params: unknown) => {
  const validate = ajv.getSchema('kibana#/definitions/urlFormatParams')!;
  return validate(params) ? [] : validate.errors!.map((e) => `${e.instancePath} ${e.message}`.trim());
};

/** The Job's requests as Terraform writes them: ConfigMap bodies (escapes resolved) and the script's send lines. */
function synthesizedRequests(cfg: MonitoringConfig) {
  const outdir = outdirOf(build(cfg));
  const stacks = readStacks(outdir);
  const kibana = stacks.kibana;
  const configMap = Object.values<any>(kibana.resource!.kubernetes_config_map_v1).find((c) => c.metadata.name === 'kibana-data-view-requests');
  const job = Object.values<any>(kibana.resource!.kubernetes_job_v1)[0];
  const script = resolveTemplate(job.spec.template.spec.container[0].command[2], 'kibana', stacks);
  const sends = [...script.matchAll(/^send (\S+) (\S+) (\S+)$/gm)].map(([, method, path, name]) => ({ method, path, name }));
  return { sends, bodies: Object.fromEntries(Object.entries<string>(configMap.data).map(([file, text]) => [file.replace(/\.json$/, ''), JSON.parse(resolveTemplate(text, 'kibana', stacks))])), job, stacks };
}

describe.each(PROFILES)('data view requests, %s profile', (_profile, cfg) => {
  const { sends, bodies } = synthesizedRequests(cfg);

  it('sends one body per request, every one accepted by the schema of the Kibana route it goes to', () => {
    expect(sends.map((s) => s.name).sort()).toEqual(Object.keys(bodies).sort());
    for (const send of sends) expect({ send, errors: errorsOf(send.method, send.path, bodies[send.name]) }).toEqual({ send, errors: [] });
  });

  it('creates or overwrites the logs, events and spans views by their stable ids, then makes logs the default', () => {
    const views = sends.filter((s) => s.path === '/api/data_views/data_view').map((s) => bodies[s.name]);
    expect(views.every((b) => b.override === true)).toBe(true);
    const byId = Object.fromEntries(views.map((b) => [b.data_view.id, b.data_view]));
    expect(byId[DATA_VIEW_IDS.logs]).toMatchObject({ title: `${cfg.fluentd.indexPrefix}-*`, timeFieldName: '@timestamp' });
    expect(byId[DATA_VIEW_IDS.events]).toMatchObject({ title: 'k8s-events-*', timeFieldName: '@timestamp' });
    // Both profiles keep Jaeger's traces in Elasticsearch.
    expect(cfg.jaeger.storage).toBe('elasticsearch');
    expect(byId[DATA_VIEW_IDS.spans]).toMatchObject({ title: 'jaeger-span-*', timeFieldName: 'startTimeMillis' });
    expect(sends[sends.length - 1]).toEqual({ method: 'POST', path: '/api/data_views/default', name: 'default-data-view' });
    expect(bodies['default-data-view']).toEqual({ data_view_id: DATA_VIEW_IDS.logs, force: true });
  });

  it("formats trace ids as links to the trace in Jaeger (Kibana's url format params)", () => {
    const logs = Object.values<any>(bodies).find((b) => b.data_view?.id === DATA_VIEW_IDS.logs).data_view;
    expect(logs.fieldFormats.trace_id).toEqual({ id: 'url', params: { type: 'a', urlTemplate: `${cfg.jaeger.publicUrl}/trace/{{value}}`, labelTemplate: '{{value}}' } });
    for (const body of Object.values<any>(bodies)) for (const format of Object.values<any>(body.data_view?.fieldFormats ?? {})) expect(urlParamsErrors(format.params)).toEqual([]);
  });
});

describe('the spans view follows Jaeger\'s storage', () => {
  it('jaeger.storage "memory": no Jaeger spans view (there are no span indices)', () => {
    const ids = (cfg: MonitoringConfig) => dataViewRequests(cfg).map((r) => (r.body as any).data_view?.id).filter(Boolean);
    expect(ids(config({ jaeger: { storage: 'memory' } }))).toEqual([DATA_VIEW_IDS.logs, DATA_VIEW_IDS.events]);
    expect(ids(config())).toEqual([DATA_VIEW_IDS.logs, DATA_VIEW_IDS.events, DATA_VIEW_IDS.spans]);
  });
});

describe('the logs the links point into', () => {
  it('map trace_id and span_id as keyword in the index template the readiness gate applies (exact match, no analysis)', () => {
    const cfg = config({ fluentd: { indexPrefix: 'logs' } });
    const templates = resourcesOf(synth(build(cfg).elasticsearch), 'kubernetes_config_map_v1').find((c) => c.metadata.name === 'elasticsearch-index-templates');
    const logs = JSON.parse(templates.data['logs.json']);
    expect(logs.index_patterns).toEqual(['logs-*']);
    expect(logs.template.mappings.properties).toMatchObject({ '@timestamp': { type: 'date' }, trace_id: { type: 'keyword' }, span_id: { type: 'keyword' } });
    // The logs data view covers exactly the indices of that template.
    expect((dataViewRequests(cfg)[0].body as any).data_view.title).toBe(logs.index_patterns[0]);
  });
  it('map stream as keyword in both logs families, and the rejected family lies inside the data view and above the logs template', () => {
    const cfg = config({ fluentd: { indexPrefix: 'logs' } });
    const templates = resourcesOf(synth(build(cfg).elasticsearch), 'kubernetes_config_map_v1').find((c) => c.metadata.name === 'elasticsearch-index-templates');
    const logs = JSON.parse(templates.data['logs.json']);
    const rejected = JSON.parse(templates.data['logs-rejected.json']);
    for (const t of [logs, rejected]) expect(t.template.mappings.properties).toMatchObject({ stream: { type: 'keyword' }, trace_id: { type: 'keyword' }, span_id: { type: 'keyword' } });
    expect(rejected.index_patterns).toEqual(['logs-rejected-*']);
    // An index matches one composable template, the highest priority: the rejected family's.
    expect(rejected.priority).toBeGreaterThan(logs.priority);
    const view = (dataViewRequests(cfg)[0].body as any).data_view;
    expect(view.fieldAttrs.stream.customDescription).toMatch(/stdout or stderr/);
    // The fields the logs template maps for the app's object and the budget marker are described, by their mapped names.
    for (const field of ['json', 'fluentd_budget_exceeded']) {
      expect(logs.template.mappings.properties).toHaveProperty(field);
      expect(view.fieldAttrs[field].customDescription).toEqual(expect.any(String));
    }
    expect('logs-rejected-2026-12-05'.startsWith(view.title.replace('*', ''))).toBe(true);
  });
});

describe('the schema catches what Kibana would refuse', () => {
  const [logs] = dataViewRequests(config());
  const create = (body: unknown) => errorsOf('POST', '/api/data_views/data_view', body);

  it('accepts our body and refuses a misspelt or unknown key at every level', () => {
    expect(create(logs.body)).toEqual([]);
    const view = (logs.body as any).data_view;
    expect(create({ ...logs.body, data_view: { ...view, timeField: '@timestamp' } })).toEqual(['/data_view must NOT have additional properties (timeField)']);
    expect(create({ data_view: view, overwrite: true })).toEqual(['must NOT have additional properties (overwrite)']);
    expect(create({ index_pattern: view })).toEqual(expect.arrayContaining(["must have required property 'data_view'"]));
    expect(create({ data_view: { ...view, title: undefined } })).toEqual(["/data_view must have required property 'title'"]);
    expect(create({ data_view: { ...view, fieldFormats: { trace_id: { id: 'url', param: {} } } } })).toEqual(['/data_view/fieldFormats/trace_id must NOT have additional properties (param)']);
    expect(urlParamsErrors({ type: 'a', urlTemplate: 'x', labeltemplate: 'y' })).toEqual(['must NOT have additional properties']);
    expect(errorsOf('POST', '/api/data_views/default', { data_view_id: '' })).toEqual(['/data_view_id must NOT have fewer than 1 characters', '/data_view_id must be null', '/data_view_id must match a schema in anyOf']);
  });

  it('follows the configured public address of Jaeger and the index prefix', () => {
    const requests = dataViewRequests(config({ jaeger: { publicUrl: 'https://jaeger.example.com' }, fluentd: { indexPrefix: 'logs' } }));
    const view = (requests[0].body as any).data_view;
    expect(view.title).toBe('logs-*');
    expect(view.fieldFormats.trace_id.params.urlTemplate).toBe('https://jaeger.example.com/trace/{{value}}');
  });
});

/** A fake Kibana on 127.0.0.1: status answers from a list, data view requests answered by `answer`. */
async function fakeKibana(statusAnswers: number[], answer: (path: string, body: string, calls: number) => [number, string] = () => [200, '{}']) {
  const received: { method: string; path: string; headers: http.IncomingHttpHeaders; body: any }[] = [];
  let statusCalls = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      if (req.method === 'GET' && req.url === '/api/status') {
        const code = statusAnswers[Math.min(statusCalls++, statusAnswers.length - 1)];
        res.writeHead(code, { 'content-type': 'application/json' }).end(code === 200 ? '{"status":{"overall":{"level":"available"}}}' : '{"status":{"overall":{"level":"unavailable"}}}');
        return;
      }
      received.push({ method: req.method!, path: req.url!, headers: req.headers, body: (() => { try { return JSON.parse(body); } catch { return body; } })() });
      const [code, text] = answer(req.url!, body, received.length);
      res.writeHead(code, { 'content-type': 'application/json' }).end(text);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, statusCalls: () => statusCalls, close: () => new Promise((r) => server.close(r)) };
}

/** The script as the Job runs it, with its ConfigMap mount moved to a temp dir and short sleeps. */
function runJob(timeoutSeconds: number, kibanaUrl: string): Promise<{ status: number | null; stdout: string; stderr: string; requests: ReturnType<typeof dataViewRequests> }> {
  const requests = dataViewRequests(config());
  const dir = mkdtempSync(join(tmpdir(), 'data-views-'));
  for (const r of requests) writeFileSync(join(dir, `${r.name}.json`), JSON.stringify(r.body));
  const script = dataViewsScript(requests, timeoutSeconds).replace(/\/kibana-requests\//g, `${dir}/`).replace(/\bsleep 5\b/g, 'sleep 0.2');
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', script], { env: { PATH: process.env.PATH ?? '', KB_URL: kibanaUrl, KB_NAMESPACE: 'kibana', KB_USERNAME: 'kibana-data-views', KB_PASSWORD: 'secret' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr, requests }));
  });
}

describe("the data-view Job's script, against a fake Kibana", () => {
  it('waits until Kibana answers, then sends every body with the API version, the XSRF header and its own user', async () => {
    const kb = await fakeKibana([503, 503, 200]);
    try {
      const run = await runJob(60, kb.url);
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(kb.statusCalls()).toBe(3);
      expect(kb.received.map((r) => [r.method, r.path, r.body])).toEqual(run.requests.map((r) => [r.method, r.path, r.body]));
      for (const r of kb.received) {
        expect(r.headers['elastic-api-version']).toBe(KIBANA_DATA_VIEWS_API_VERSION);
        expect(r.headers['kbn-xsrf']).toBeTruthy();
        expect(r.headers['content-type']).toBe('application/json');
        expect(r.headers.authorization).toBe(`Basic ${Buffer.from('kibana-data-views:secret').toString('base64')}`);
      }
      expect(run.stdout).toContain('default-data-view applied');
    } finally {
      await kb.close();
    }
  });

  it('retries a request while Kibana is not ready for it (503, 401), then goes on', async () => {
    const kb = await fakeKibana([200], (_path, _body, n) => (n === 1 ? [503, '{"message":"not ready"}'] : n === 2 ? [401, '{"message":"unauthorized"}'] : [200, '{}']));
    try {
      const run = await runJob(60, kb.url);
      expect(run.status).toBe(0);
      expect(kb.received.length).toBe(run.requests.length + 2);
    } finally {
      await kb.close();
    }
  });

  it('fails at once on a body Kibana refuses (400), naming the request and the answer', async () => {
    const kb = await fakeKibana([200], () => [400, '{"statusCode":400,"error":"Bad Request","message":"[request body.data_view.timeField]: definition for this key is missing"}']);
    try {
      const run = await runJob(60, kb.url);
      expect(run.status).not.toBe(0);
      expect(kb.received).toHaveLength(1);
      expect(run.stderr).toContain(`Kibana at ${kb.url} refused POST /api/data_views/data_view (data-view-logs)`);
      expect(run.stderr).toContain('definition for this key is missing');
      expect(run.stderr).toContain('HTTP400');
    } finally {
      await kb.close();
    }
  });

  it('gives up after its deadline when Kibana never answers, naming Kibana, the URL and the last answer', async () => {
    const kb = await fakeKibana([503]);
    try {
      const run = await runJob(1, kb.url);
      expect(run.status).not.toBe(0);
      expect(run.stderr).toContain(`Kibana at ${kb.url} did not answer within 1 s`);
      expect(run.stderr).toContain('kubectl -n kibana get kibana');
      expect(kb.received).toEqual([]);
    } finally {
      await kb.close();
    }
  });

  it('gives up after its deadline when a request keeps failing with garbage, naming the last answer', async () => {
    const kb = await fakeKibana([200], () => [502, '<html>bad gateway</html>']);
    try {
      const run = await runJob(1, kb.url);
      expect(run.status).not.toBe(0);
      expect(run.stderr).toContain('did not accept POST /api/data_views/data_view (data-view-logs) within 1 s');
      expect(run.stderr).toContain('<html>bad gateway</html>');
    } finally {
      await kb.close();
    }
  });

  it('gives up when nothing listens at all', async () => {
    const kb = await fakeKibana([200]);
    await kb.close();
    const run = await runJob(1, kb.url);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain(`Kibana at ${kb.url} did not answer within 1 s`);
  });
});

describe('the Job as Terraform runs it', () => {
  const cfg = config();
  const { job, stacks } = synthesizedRequests(cfg);

  it('is bounded, waited for, after the Kibana release and its credentials; a body change replaces it', () => {
    expect(job.metadata.name).toBe('kibana-data-views');
    expect(job.wait_for_completion).toBe(true);
    const deadline = Number(job.spec.active_deadline_seconds);
    expect(deadline).toBeGreaterThan(900);
    expect(job.timeouts.create).toBe(`${deadline + 60}s`);
    expect(job.depends_on.some((d: string) => d.startsWith('helm_release.eck-kibana'))).toBe(true);
    expect(job.depends_on.some((d: string) => d.startsWith('kubernetes_secret_v1.data-views-credentials'))).toBe(true);
    expect(job.spec.template.metadata.annotations['checksum/requests']).toMatch(/^\$\{sha256\(jsonencode\(\[kubernetes_config_map_v1\.data-views_requests_[0-9A-F]+\.data, \[/);
    // Another Jaeger address changes a body, so the ConfigMap data the checksum hashes changes.
    const other = synthesizedRequests(config({ jaeger: { publicUrl: 'https://jaeger.example.com' } }));
    expect(JSON.stringify(other.bodies)).not.toEqual(JSON.stringify(synthesizedRequests(cfg).bodies));
  });

  it("authenticates as its own file-realm user, whose role holds Kibana's data-view and default-view privileges and nothing in Elasticsearch", () => {
    // The kibana stack creates its own user: role and file-realm Secrets in Elasticsearch's namespace.
    const secrets = Object.values<any>(stacks.kibana.resource!.kubernetes_secret_v1);
    const role = secrets.find((s) => s.metadata.name === 'elasticsearch-kibana-data-views-role');
    expect(resolveTemplate(role.metadata.namespace, 'kibana', stacks)).toBe('elasticsearch');
    expect(parse(resolveTemplate(role.data['roles.yml'], 'kibana', stacks))).toEqual({
      kibana_data_views: { cluster: [], indices: [], applications: [{ application: 'kibana-.kibana', privileges: ['feature_indexPatterns.all', 'feature_advancedSettings.all'], resources: ['space:default'] }] },
    });
    const release = Object.values<any>(stacks.elasticsearch.resource!.helm_release).find((r) => r.chart === 'eck-elasticsearch');
    const values = parse(resolveTemplate(stacks.elasticsearch.locals![Object.keys(stacks.elasticsearch.locals!).find((k) => k.startsWith('eck-elasticsearch'))!] as string, 'elasticsearch', stacks));
    expect(release).toBeDefined();
    expect(values.auth.fileRealm).toContainEqual({ secretName: 'elasticsearch-kibana-data-views-user' });
    // One ephemeral password, written (write-only) to the file-realm user and to the Job's Secret: nothing crosses stacks.
    const realmUser = secrets.find((s) => s.metadata.name === 'elasticsearch-kibana-data-views-user');
    const credentials = secrets.find((s) => s.metadata.name === 'elasticsearch-kibana-data-views-credentials');
    expect(credentials.data).toBeUndefined();
    expect(credentials.data_wo.password).toMatch(/^\$\{ephemeral\.random_password\.[^.]+\.result\}$/);
    expect(realmUser.data_wo.password).toBe(credentials.data_wo.password);
    expect(JSON.stringify(stacks.kibana)).not.toMatch(/outputs\.[^}]*password/);
    const secretRef = job.spec.template.spec.container[0].env.find((e: any) => e.name === 'KB_PASSWORD').value_from.secret_key_ref.name;
    expect(resolveTemplate(secretRef, 'kibana', stacks)).toBe(credentials.metadata.name);
  });
});

describe('kibana.enabled: false', () => {
  const app = build(config({ kibana: { enabled: false } }));

  it('synthesizes nothing of Kibana: no stack, no data-view user, the operator manages only Elasticsearch', () => {
    expect(app.kibana).toBeUndefined();
    const stacks = readStacks(outdirOf(app));
    expect(Object.keys(stacks).sort()).toEqual(['cluster', 'elasticsearch', 'jaeger', 'logging', 'otel-collector', 'sample-app']);
    const es = synth(app.elasticsearch);
    expect(JSON.stringify(es)).not.toMatch(/kibana-data-views|kibana_data_views|"kibana"/);
    const operator = parse(resolveTemplate(es.locals![Object.keys(es.locals!).find((k) => k.startsWith('eck-operator'))!] as string, 'elasticsearch', stacks));
    expect(operator.managedNamespaces).toEqual(['elasticsearch']);
    expect(resourcesOf(es, 'kubernetes_secret_v1').map((s) => s.metadata.name)).not.toContain('elasticsearch-kibana-data-views-user');
  });
});
