// Runs `cdktf <synth|deploy|diff|destroy>` for all stacks in dependency order, after
// checking the tools the command needs, so a missing tool is one clear message.
import { spawnSync } from 'node:child_process';

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
  docker: 'Docker is required (kind nodes and the local registry run as containers): https://docs.docker.com/get-docker/ — in existing-cluster mode with sampleApp.image set, Docker is not used',
};
for (const tool of needs) {
  if (tool === 'docker' && process.env.MONITORING_CLUSTER_MODE === 'existing') continue;
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
