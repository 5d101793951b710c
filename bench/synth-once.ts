/**
 * One synth in a fresh process: `full` = the six monitoring stacks, `trivial` = a one-resource
 * CDKTF app. Prints {ms, maxRssBytes} as JSON. Both load through the same ts-node runner.
 */
import { App, TerraformStack } from 'cdktf';
import { Password } from '@cdktf/provider-random/lib/password';
import { RandomProvider } from '@cdktf/provider-random/lib/provider';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const kind = process.argv[2];
const started = process.hrtime.bigint();
const app = new App({ outdir: mkdtempSync(join(tmpdir(), `synth-${kind}-`)) });
if (kind === 'full') {
  const { validateConfig } = require('../config/load') as typeof import('../config/load');
  const { buildMonitoringApp } = require('../stacks/app') as typeof import('../stacks/app');
  buildMonitoringApp(app, validateConfig({}));
} else {
  const stack = new TerraformStack(app, 'trivial');
  new RandomProvider(stack, 'random');
  new Password(stack, 'password', { length: 16 });
}
app.synth();
const ms = Number(process.hrtime.bigint() - started) / 1e6;
process.stdout.write(JSON.stringify({ ms, maxRssBytes: process.resourceUsage().maxRSS * 1024 }));
