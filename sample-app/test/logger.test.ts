import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../src/logger';

/** Lines the real logger wrote to two files standing in for stdout and stderr. */
async function logLines(log: (logger: ReturnType<typeof createLogger>) => void): Promise<{ out: Record<string, unknown>[]; err: Record<string, unknown>[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'logger-'));
  const [outFile, errFile] = [join(dir, 'out'), join(dir, 'err')];
  const out = openSync(outFile, 'w');
  const err = openSync(errFile, 'w');
  const logger = createLogger('info', 'sample-app', { out, err });
  log(logger);
  await new Promise<void>((resolve) => logger.flush(() => resolve()));
  await new Promise((resolve) => setTimeout(resolve, 100)); // the async destinations' last write
  closeSync(out);
  closeSync(err);
  const parse = (file: string) => readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  return { out: parse(outFile), err: parse(errFile) };
}

describe('the JSON log lines Fluentd ships', () => {
  it('info to stdout, warn and error to stderr, each line once', async () => {
    const { out, err } = await logLines((l) => {
      l.info('taken');
      l.warn('slow');
      l.error('failed');
    });
    expect(out.map((l) => [l.level, l.msg])).toEqual([['info', 'taken']]);
    expect(err.map((l) => [l.level, l.msg])).toEqual([['warn', 'slow'], ['error', 'failed']]);
  });

  it('names the service as ECS service.name, never a string `service` (Elastic components log service.* objects into the same index)', async () => {
    const { out } = await logLines((l) => l.info({ type: 'access' }, 'GET /'));
    expect(out[0]['service.name']).toBe('sample-app');
    expect(out[0]).not.toHaveProperty('service');
    expect(typeof out[0].time).toBe('string'); // ISO: a date, not epoch ms
  });
});
