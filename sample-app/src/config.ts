import { z } from 'zod';

/** Largest delay Node timers accept; longer ones fire after 1 ms instead (TimeoutOverflowWarning). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A duration as the OpenTelemetry environment specification defines it: whole milliseconds. */
const durationMs = () =>
  z
    .string()
    .regex(/^\s*-?\d+\s*$/, { error: 'must be a whole number of milliseconds' })
    .transform(Number)
    .pipe(z.number().min(1, { error: 'must be greater than 0' }).max(MAX_TIMER_MS, { error: `must be at most ${MAX_TIMER_MS}` }))
    .optional();

/**
 * App settings from the environment. OTEL_* variables are read by the SDK itself, except the
 * metric export interval and timeout: the SDK silently ignores unparsable values and crashes
 * on an interval shorter than the timeout, so they are validated here and applied in telemetry.ts.
 */
const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(1).max(65535).default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  /** front serves users and calls the backend; backend only does the work. */
  SERVICE_ROLE: z.enum(['front', 'backend']).default('front'),
  /** Base URL of the backend role; empty: the front does the work itself. */
  BACKEND_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** Default latency of GET /api/slow. */
  SLOW_MS: z.coerce.number().int().min(0).max(30000).default(500),
  /** Deadline for finishing requests and flushing telemetry on SIGTERM. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(60000).default(10000),
  /** Largest accepted JSON body. */
  MAX_BODY_BYTES: z.coerce.number().int().min(256).max(10 * 1024 * 1024).default(16 * 1024),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
  DEPLOYMENT_ENVIRONMENT: z.string().min(1).default('local'),
  /**
   * Spans the app holds while the collector cannot be reached (span-buffer.ts); 0 turns the
   * buffer off (the SDK's exporter alone: ~10 s of retries, then the batch is dropped).
   */
  TELEMETRY_BUFFER_SPANS: z.coerce.number().int().min(0).max(1_000_000).default(8192),
  /** Standard SDK variable (default 60000): time between two metric exports. */
  OTEL_METRIC_EXPORT_INTERVAL: durationMs(),
  /** Standard SDK variable (default 30000, at most the interval): deadline of one metric export. */
  OTEL_METRIC_EXPORT_TIMEOUT: durationMs(),
});

export type AppConfig = z.infer<typeof EnvSchema>;

export class ConfigError extends Error {}

/** Parses the environment; a bad value gives one message that names the variable. */
export function loadAppConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const result = EnvSchema.safeParse(cleaned);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const name = String(issue.path[0]);
  throw new ConfigError(`invalid environment variable ${name}=${JSON.stringify(env[name] ?? '')}: ${issue.message}`);
}
