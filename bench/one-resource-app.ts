/**
 * The baseline of the synth measurement in `npm run bench`: a one-resource CDKTF app, run the
 * way ours is (cdktf.json's app command: scripts/run-ts.js) through the same `cdktf synth`.
 */
import { App, TerraformStack } from 'cdktf';
import { Password } from '@cdktf/provider-random/lib/password';
import { RandomProvider } from '@cdktf/provider-random/lib/provider';

const app = new App();
const stack = new TerraformStack(app, 'one-resource');
new RandomProvider(stack, 'random');
new Password(stack, 'password', { length: 16 });
app.synth();
