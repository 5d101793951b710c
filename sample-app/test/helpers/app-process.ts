import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Environment for an app process exporting to an OTLP receiver, as deployed (http/protobuf). */
export function otelEnv(endpoint: string, service: string): Record<string, string> {
  return {
    OTEL_SERVICE_NAME: service,
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    OTEL_RESOURCE_ATTRIBUTES: 'k8s.pod.name=pod-1,k8s.namespace.name=ns-1,k8s.node.name=node-1',
    DEPLOYMENT_ENVIRONMENT: 'test',
  };
}

/** The real app (dist/server.js, as `npm start` runs it) in a child process on 127.0.0.1. */
export class AppProcess {
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  private child?: ChildProcess;
  private closed?: Promise<number | null>;
  /** Set once the process has exited and its output has been read to the end. */
  exitCode?: number | null;
  url = '';

  /** `env` is added to the defaults below; a key set to undefined removes that default. */
  constructor(private readonly env: Record<string, string | undefined>) {}

  async start(): Promise<string> {
    const port = await freePort();
    this.url = `http://127.0.0.1:${port}`;
    const env = { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), OTEL_METRIC_EXPORT_INTERVAL: '500', OTEL_METRIC_EXPORT_TIMEOUT: '400', OTEL_BSP_SCHEDULE_DELAY: '200', ...this.env };
    this.child = spawn(process.execPath, [join(__dirname, '..', '..', 'dist', 'server.js')], {
      env: Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (into: string[]) => (chunk: Buffer) => into.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    this.child.stdout!.on('data', collect(this.stdout));
    this.child.stderr!.on('data', collect(this.stderr));
    // 'close', not 'exit': by then stdout and stderr have been read to the end.
    this.closed = new Promise((resolve) => this.child!.once('close', (code) => resolve((this.exitCode = code))));
    const deadline = Date.now() + 15000;
    while (Date.now() < deadline) {
      if (this.stdout.some((l) => l.includes('"listening"'))) return this.url;
      if (this.exitCode !== undefined) throw new Error(`app exited ${this.exitCode}: ${this.stderr.join('\n')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('app did not start');
  }

  get pid(): number {
    return this.child!.pid!;
  }

  /** Sends SIGTERM and resolves with the exit code. */
  async stop(): Promise<number | null> {
    if (!this.child || this.exitCode !== undefined) return this.exitCode ?? null;
    this.child.kill('SIGTERM');
    return this.closed!;
  }

  jsonLines(stream: 'stdout' | 'stderr' = 'stdout'): Record<string, any>[] {
    return this[stream].flatMap((l) => {
      try {
        return [JSON.parse(l)];
      } catch {
        return [];
      }
    });
  }
}
