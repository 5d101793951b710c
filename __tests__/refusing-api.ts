/**
 * fixtures/refusing-api.js started for a test file: an HTTPS listener on 127.0.0.1 standing where a
 * Kubernetes API server would be, refusing every request (401), logging what the real kubectl sent
 * (path, Authorization, client certificate CN). With test certificates made by openssl: the
 * server's (for 127.0.0.1) and a client's (CN "deployer").
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Pem {
  readonly key: string;
  readonly cert: string;
}

export interface SeenRequest {
  readonly path: string;
  readonly authorization: string | null;
  readonly clientCn: string | null;
}

export interface RefusingApi {
  readonly port: number;
  /** The directory of the certificates (a test may write a kubeconfig there). */
  readonly dir: string;
  readonly server: Pem;
  readonly client: Pem;
  /** What reached it since the last clear(). */
  requests(): SeenRequest[];
  clear(): void;
  stop(): void;
}

/** The real kubectl on PATH (these tests need one: CI runners have it). */
export function realKubectl(): string {
  const kubectl = spawnSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).stdout.trim();
  if (!kubectl) throw new Error('kubectl is not on PATH: these tests run the real kubectl (https://kubernetes.io/docs/tasks/tools/)');
  return kubectl;
}

export async function startRefusingApi(): Promise<RefusingApi> {
  const dir = mkdtempSync(join(tmpdir(), 'pki-'));
  const pem = (name: string, cn: string, san?: string): Pem => {
    const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${cn}`, ...(san ? ['-addext', `subjectAltName=${san}`] : []), '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.crt`)], { encoding: 'utf8' });
    if (r.error || r.status !== 0) throw new Error(`openssl (to make test certificates) failed: ${r.error?.message ?? r.stderr}`);
    return { key: readFileSync(join(dir, `${name}.key`), 'utf8'), cert: readFileSync(join(dir, `${name}.crt`), 'utf8') };
  };
  const server = pem('server', '127.0.0.1', 'IP:127.0.0.1');
  const client = pem('client', 'deployer');
  const log = join(dir, 'requests.log');
  const child = spawn(process.execPath, [join(__dirname, 'fixtures', 'refusing-api.js'), join(dir, 'server.key'), join(dir, 'server.crt'), log], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((done) => child.stdout!.once('data', (d: Buffer) => done(Number(d.toString().trim()))));
  return {
    port,
    dir,
    server,
    client,
    requests: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as SeenRequest) : []),
    clear: () => rmSync(log, { force: true }),
    stop: () => child.kill('SIGTERM'),
  };
}
