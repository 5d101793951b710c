import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readinessScript } from '../constructs/elasticsearch/readiness-gate';
import { build, config, resourcesOf, synth } from './helpers';

/** A fake Elasticsearch on 127.0.0.1: health answers from a script of statuses, templates are recorded. */
async function fakeElasticsearch(healthAnswers: number[]) {
  const templates: Record<string, unknown> = {};
  let healthCalls = 0;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      if (req.method === 'GET' && url.pathname === '/_cluster/health') {
        const status = healthAnswers[Math.min(healthCalls++, healthAnswers.length - 1)];
        res.writeHead(status, { 'content-type': 'application/json' }).end(status === 200 ? '{"status":"yellow"}' : '{"status":"red","timed_out":true}');
      } else if (req.method === 'PUT' && url.pathname.startsWith('/_index_template/')) {
        templates[url.pathname.slice('/_index_template/'.length)] = JSON.parse(body);
        res.end('{"acknowledged":true}');
      } else {
        res.writeHead(404).end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, templates, healthCalls: () => healthCalls, close: () => new Promise((r) => server.close(r)) };
}

/** The script as the Job runs it, with its mounts moved to a temp dir. */
function runGate(script: string, env: Record<string, string>, templates: Record<string, unknown>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'gate-'));
  for (const [name, t] of Object.entries(templates)) writeFileSync(join(dir, `${name}.json`), JSON.stringify(t));
  const local = script.replace(/\/index-templates\//g, `${dir}/`).replace(/\bsleep 5\b/, 'sleep 0.2');
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', local], { env: { PATH: process.env.PATH ?? '', ES_NAMESPACE: 'elasticsearch', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('Elasticsearch readiness gate', () => {
  it('waits for green/yellow health, then applies every index template', async () => {
    const es = await fakeElasticsearch([503, 408, 200]);
    try {
      const templates = { fluentd: { index_patterns: ['fluentd-*'] }, 'k8s-events': { index_patterns: ['k8s-events-*'] } };
      const run = await runGate(readinessScript(Object.keys(templates), 60), { ES_URL: es.url, ES_USERNAME: 'index-janitor', ES_PASSWORD: 'p' }, templates);
      expect(run.status).toBe(0);
      expect(es.healthCalls()).toBe(3);
      expect(es.templates).toEqual(templates);
      expect(run.stdout).toContain('index template k8s-events applied');
    } finally {
      await es.close();
    }
  });

  it('fails after its deadline with a message naming Elasticsearch, the URL and the last answer', async () => {
    const es = await fakeElasticsearch([503]);
    try {
      const run = await runGate(readinessScript(['fluentd'], 1), { ES_URL: es.url, ES_USERNAME: 'u', ES_PASSWORD: 'p' }, { fluentd: {} });
      expect(run.status).not.toBe(0);
      expect(run.stderr).toContain(`Elasticsearch at ${es.url} did not report green or yellow health within 1 s`);
      expect(run.stderr).toContain('kubectl -n elasticsearch get elasticsearch');
      expect(es.templates).toEqual({});
    } finally {
      await es.close();
    }
  });

  const json = synth(build().elasticsearch);
  const job = resourcesOf(json, 'kubernetes_job_v1')[0];
  const templates = resourcesOf(json, 'kubernetes_config_map_v1').find((c) => c.metadata.name === 'elasticsearch-index-templates');

  it('is a Job Terraform waits for, bounded, after the Elasticsearch release', () => {
    expect(job.metadata.name).toBe('elasticsearch-ready');
    expect(job.wait_for_completion).toBe(true);
    const deadline = Number(job.spec.active_deadline_seconds);
    expect(deadline).toBeGreaterThan(900);
    expect(job.timeouts.create).toBe(`${deadline + 60}s`);
    expect(job.depends_on.some((d: string) => d.startsWith('helm_release.eck-elasticsearch'))).toBe(true);
    // A template change replaces the Job (immutable pod template), so it runs again.
    expect(job.spec.template.metadata.annotations['checksum/index-templates']).toMatch(/^\$\{sha256\(jsonencode\(kubernetes_config_map_v1\.ready_templates_[0-9A-F]+\.data\)\)\}$/);
  });

  it('installs a template for every daily index family, with the configured replicas', () => {
    expect(Object.keys(templates.data).sort()).toEqual(['fluentd-rejected.json', 'fluentd.json', 'k8s-events.json']);
    for (const file of Object.values<string>(templates.data)) expect(JSON.parse(file).template.settings.number_of_replicas).toBe(0);
    const two = resourcesOf(synth(build(config({ elasticsearch: { nodes: 3, indexReplicas: 2 } })).elasticsearch), 'kubernetes_config_map_v1').find((c) => c.metadata.name === 'elasticsearch-index-templates');
    for (const file of Object.values<string>(two.data)) expect(JSON.parse(file).template.settings.number_of_replicas).toBe(2);
    expect(JSON.parse(templates.data['k8s-events.json']).index_patterns).toEqual(['k8s-events-*']);
  });
});
