import type { Server } from 'node:http';
import { AppConfig, ConfigError, loadAppConfig } from './config';
import { createAppMetrics, startTelemetry } from './telemetry';

let config: AppConfig;
try {
  config = loadAppConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`sample-app: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
}

// Telemetry first: pino, http and express must be loaded after the SDK has patched them.
let warn = (message: string): void => void process.stderr.write(`${JSON.stringify({ level: "warn", component: "otel", msg: message })}\n`);
const telemetry = startTelemetry((message) => warn(message), config);
const { createLogger } = require('./logger') as typeof import('./logger');
const { createApp } = require('./app') as typeof import('./app');
const logger = createLogger(config.LOG_LEVEL, process.env.OTEL_SERVICE_NAME ?? 'sample-app');
warn = (message) => logger.warn({ component: 'otel' }, message);

const state = { ready: true };
const app = createApp(config, logger, createAppMetrics(), state);
const server: Server = app.listen(config.PORT, config.HOST, () => {
  logger.info({ port: config.PORT, host: config.HOST, role: config.SERVICE_ROLE, telemetry: telemetry.enabled }, 'listening');
});
server.keepAliveTimeout = 65_000;

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  state.ready = false;
  const deadline = config.SHUTDOWN_TIMEOUT_MS;
  logger.info({ signal, deadline_ms: deadline }, 'shutting down: draining requests, flushing telemetry');
  const force = setTimeout(() => {
    logger.error('shutdown deadline passed, exiting');
    process.exit(1);
  }, deadline + 1000);
  force.unref();
  // Stop accepting, let in-flight requests finish; keep-alive sockets are closed as soon
  // as they go idle (a response finishing after this point leaves its socket idle).
  await new Promise<void>((resolve) => {
    const reaper = setInterval(() => server.closeIdleConnections(), 100);
    server.close(() => {
      clearInterval(reaper);
      resolve();
    });
    server.closeIdleConnections();
  });
  await telemetry.shutdown(Math.max(500, deadline - 500));
  logger.info('stopped');
  logger.flush();
  setImmediate(() => process.exit(0));
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
