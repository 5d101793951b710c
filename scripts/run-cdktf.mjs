// Runs `cdktf <synth|deploy|diff|destroy>` for all stacks in dependency order, after
// checking the tools the command needs, so a missing tool is one clear message.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';

/** kind mode (the default) runs the cluster and its registry in Docker; other modes do not. */
function clusterMode() {
  if (process.env.MONITORING_CLUSTER_MODE) return process.env.MONITORING_CLUSTER_MODE;
  const file = process.env.MONITORING_STACK_CONFIG ?? 'monitoring-stack.yaml';
  if (!existsSync(file)) return 'kind';
  try {
    return parse(readFileSync(file, 'utf8'))?.cluster?.mode ?? 'kind';
  } catch {
    return 'kind'; // synth reports the bad file with the field that is wrong
  }
}

const STACKS = ['cluster', 'elasticsearch', 'jaeger', 'otel-collector', 'logging', 'sample-app'];
const command = process.argv[2];
const extra = process.argv.slice(3);
const needs = { synth: [], diff: ['terraform'], deploy: ['terraform', 'docker'], destroy: ['terraform', 'docker'] }[command];
if (!needs) {
  console.error(`usage: run-cdktf.mjs synth|diff|deploy|destroy [stack …]`);
  process.exit(2);
}
const help = {
  terraform: 'Terraform >= 1.5 is required: https://developer.hashicorp.com/terraform/install',
  docker: 'Docker is required in kind mode (kind nodes and the local registry run as containers): https://docs.docker.com/get-docker/ (cluster.mode existing or environment needs no Docker)',
};
for (const tool of needs) {
  if (tool === 'docker' && clusterMode() !== 'kind') continue;
  const probe = spawnSync(tool, tool === 'docker' ? ['info', '--format', '{{.ServerVersion}}'] : ['version'], { stdio: 'ignore' });
  if (probe.error || probe.status !== 0) {
    console.error(`cannot ${command}: ${tool} is not installed or not running. ${help[tool]}`);
    process.exit(1);
  }
}
const env = { ...process.env, CHECKPOINT_DISABLE: '1' };
const stacks = extra.length ? extra : command === 'destroy' ? [...STACKS].reverse() : STACKS;
const args = command === 'synth' ? ['synth'] : command === 'diff' ? ['diff', ...stacks] : [command, ...stacks, '--auto-approve', '--ignore-missing-stack-dependencies'];
const run = spawnSync('npx', ['cdktf', ...args], { stdio: 'inherit', env });
process.exit(run.status ?? 1);
