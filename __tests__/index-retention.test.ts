import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { build, config, resourcesOf, synth } from './helpers';
import { retentionScript } from '../constructs/elasticsearch/index-retention';

/** A fake Elasticsearch on 127.0.0.1 answering _cat/indices and recording DELETEs. */
async function fakeElasticsearch(indices: string[]) {
  const deleted: string[] = [];
  const auth: string[] = [];
  const server = http.createServer((req, res) => {
    auth.push(req.headers.authorization ?? '');
    const url = new URL(req.url!, 'http://x');
    if (req.method === 'GET' && url.pathname.startsWith('/_cat/indices/')) {
      const prefix = decodeURIComponent(url.pathname.slice('/_cat/indices/'.length)).replace(/\*$/, '');
      res.end(indices.filter((i) => i.startsWith(prefix)).join('\n') + '\n');
    } else if (req.method === 'DELETE') {
      deleted.push(url.pathname.slice(1));
      res.end('{"acknowledged":true}');
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, deleted, auth, close: () => new Promise((r) => server.close(r)) };
}

/** Runs the script with /bin/sh asynchronously (the fake server lives in this process). */
function runScript(script: string, env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', script], { env: { PATH: process.env.PATH ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

function day(offset: number): string {
  return new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
}

describe('index retention job', () => {
  it('the real script deletes only dated indices older than the retention period', async () => {
    // The rejected documents' family lies inside `fluentd-*`: listed under both prefixes, it is
    // dated (and pruned) only as its own family.
    const indices = [`fluentd-${day(-10)}`, `fluentd-${day(-8)}`, `fluentd-${day(-7)}`, `fluentd-${day(-1)}`, `fluentd-${day(0)}`, 'fluentd-keepme', `fluentd-rejected-${day(-9)}`, `fluentd-rejected-${day(0)}`, `k8s-events-${day(-30)}`, `k8s-events-${day(0)}`, `other-${day(-30)}`];
    const es = await fakeElasticsearch(indices);
    try {
      const run = await runScript(retentionScript(['fluentd', 'fluentd-rejected', 'k8s-events'], 7), { ES_URL: es.url, ES_USERNAME: 'index-janitor', ES_PASSWORD: 's3cret' });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(es.deleted.sort()).toEqual([`fluentd-${day(-10)}`, `fluentd-${day(-8)}`, `fluentd-rejected-${day(-9)}`, `k8s-events-${day(-30)}`].sort());
      expect(new Set(es.auth)).toEqual(new Set([`Basic ${Buffer.from('index-janitor:s3cret').toString('base64')}`]));
    } finally {
      await es.close();
    }
  });

  it('fails (non-zero) when Elasticsearch refuses, so the Job shows as failed', async () => {
    const run = await runScript(retentionScript(['fluentd'], 7), { ES_URL: 'http://127.0.0.1:9', ES_USERNAME: 'u', ES_PASSWORD: 'p' });
    expect(run.status).not.toBe(0);
  });

  it('is a daily CronJob in the logging stack using the janitor credentials, and absent when retention is 0', () => {
    const logging = synth(build().logging);
    const job = resourcesOf(logging, 'kubernetes_cron_job_v1')[0];
    expect(job.spec.schedule).toBe('15 0 * * *');
    expect(job.spec.concurrency_policy).toBe('Forbid');
    const container = job.spec.job_template.spec.template.spec.container[0];
    expect(container.image).toMatch(/^curlimages\/curl:\d+\.\d+\.\d+$/);
    expect(container.security_context).toMatchObject({ run_as_non_root: true, read_only_root_filesystem: true });
    expect(container.resources.limits.memory).toBe('64Mi');
    // Each user twice: the client copy here and the file-realm copy in Elasticsearch's namespace.
    const secrets = Object.values(logging.resource!.kubernetes_secret_v1).map((s: any) => s.data_wo?.username).filter(Boolean);
    expect(secrets.sort()).toEqual(['index-janitor', 'index-janitor', 'log-writer', 'log-writer']);
    const none = synth(build(config({ elasticsearch: { retentionDays: 0 } })).logging);
    expect(resourcesOf(none, 'kubernetes_cron_job_v1')).toEqual([]);
  });
});
