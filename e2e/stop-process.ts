import { ChildProcess } from 'node:child_process';

/**
 * Stops a child process the way the platform stops a pod: SIGTERM, up to 10 s for a graceful
 * exit (a collector flushes its queue), then SIGKILL and up to 5 s more for the exit.
 */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
  if (child.exitCode === null && !child.signalCode) {
    child.kill('SIGKILL');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
  }
}
