import { App } from 'cdktf';
import { ConfigError, loadConfig } from './config/load';
import { buildMonitoringApp } from './stacks/app';

// Validate the configuration before anything reaches Terraform: one clear message, no trace.
try {
  const config = loadConfig();
  const app = new App();
  buildMonitoringApp(app, config);
  app.synth();
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}
