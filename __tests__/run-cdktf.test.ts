import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const script = join(__dirname, '..', 'scripts', 'run-cdktf.mjs');

/** A PATH with node and, optionally, stand-ins for other tools that answer with `exit`. */
function pathWith(tools: Record<string, number>): string {
  const dir = mkdtempSync(join(tmpdir(), 'path-'));
  mkdirSync(dir, { recursive: true });
  symlinkSync(process.execPath, join(dir, 'node'));
  for (const [tool, exit] of Object.entries(tools)) {
    writeFileSync(join(dir, tool), `#!/bin/sh\nexit ${exit}\n`);
    chmodSync(join(dir, tool), 0o755);
  }
  return dir;
}

function run(command: string, path: string) {
  return spawnSync(process.execPath, [script, command], { env: { PATH: path, HOME: process.env.HOME }, encoding: 'utf8', cwd: dirname(script) });
}

describe('npm run deploy/diff/destroy preflight', () => {
  it('stops at once, naming Terraform and where to get it, when it is missing', () => {
    const r = run('deploy', pathWith({}));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^cannot deploy: terraform is not installed or not running\. Terraform >= 1\.5 is required/);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
  });

  it('names Docker when Terraform is there but no Docker engine answers', () => {
    const r = run('deploy', pathWith({ terraform: 0, docker: 1 }));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/cannot deploy: docker is not installed or not running/);
  });

  it('does not ask for Docker outside kind mode', () => {
    const r = spawnSync(process.execPath, [script, 'deploy'], { env: { PATH: pathWith({ terraform: 0, docker: 1 }), MONITORING_CLUSTER_MODE: 'environment', HOME: process.env.HOME }, encoding: 'utf8', cwd: dirname(script) });
    expect(r.stderr).not.toMatch(/docker/);
  });

  it('diff needs Terraform only; unknown commands get the usage', () => {
    expect(run('diff', pathWith({})).stderr).toMatch(/cannot diff: terraform/);
    const r = run('apply', pathWith({}));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/usage/);
  });
});
