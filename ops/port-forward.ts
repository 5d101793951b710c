import { ChildProcess, spawn } from 'node:child_process';
import { ClusterAccess, kubectlFlags } from './cluster-access';

interface ForwardBase {
  readonly namespace: string;
  readonly remotePort: number;
  /** 0: kubectl picks a free local port. */
  readonly localPort: number;
}

/** A Service (kubectl picks one of its pods) or one named pod. */
export type ForwardSpec = ForwardBase & ({ readonly service: string; readonly pod?: undefined } | { readonly pod: string; readonly service?: undefined });

/** The kubectl resource a spec forwards to: `svc/<service>` or `pod/<pod>`. */
export function forwardResource(spec: ForwardSpec): string {
  return spec.pod !== undefined ? `pod/${spec.pod}` : `svc/${spec.service}`;
}

/**
 * `kubectl port-forward svc/…` (or `pod/…`) on 127.0.0.1, resolved once kubectl says which local port it
 * forwards from. We use kubectl (not a client library) so the user's auth plugins and
 * contexts work exactly as in their shell.
 */
export class PortForward {
  private child?: ChildProcess;
  localPort = 0;

  constructor(private readonly spec: ForwardSpec, private readonly access: ClusterAccess, private readonly kubectl = process.env.KUBECTL ?? 'kubectl') {}

  start(timeoutMs = 20_000): Promise<number> {
    const { namespace, remotePort, localPort } = this.spec;
    const resource = forwardResource(this.spec);
    const args = [...kubectlFlags(this.access), '-n', namespace, 'port-forward', '--address', '127.0.0.1', resource, `${localPort || ''}:${remotePort}`];
    const child = spawn(this.kubectl, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    return new Promise((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => fail(new Error(`kubectl port-forward ${resource} did not start within ${timeoutMs} ms: ${output.trim()}`)), timeoutMs);
      const fail = (err: Error) => {
        clearTimeout(timer);
        child.kill();
        reject(err);
      };
      child.on('error', (err) => fail(new Error(`cannot run kubectl (${err.message}): install kubectl or set $KUBECTL`)));
      // 'close', not 'exit': after kubectl's last words are read (its final `error: …` line).
      child.on('close', (code) => fail(new Error(`kubectl port-forward ${resource} exited ${code}: ${output.trim()}`)));
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const m = /Forwarding from 127\.0\.0\.1:(\d+) ->/.exec(output);
        if (m) {
          clearTimeout(timer);
          child.removeAllListeners('close');
          this.localPort = Number(m[1]);
          resolve(this.localPort);
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
    });
  }

  /** Resolves when kubectl exits (pod restarted, connection lost, or stop()). */
  exited(): Promise<number | null> {
    const child = this.child;
    if (!child || child.exitCode !== null) return Promise.resolve(child?.exitCode ?? null);
    return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode) return;
    const done = this.exited();
    child.kill('SIGTERM');
    await Promise.race([done, new Promise((r) => setTimeout(r, 3000))]);
    if (child.exitCode === null && !child.signalCode) child.kill('SIGKILL');
  }
}
