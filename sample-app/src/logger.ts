import pino, { Logger } from 'pino';

/**
 * JSON lines for Fluentd: info and below to stdout, warn and above to stderr. The pino
 * OpenTelemetry instrumentation adds trace_id/span_id to every line logged inside a span.
 * The service is `service.name` (ECS), not a string `service`: Elasticsearch, ECK and Kibana log
 * `service.*` objects into the same daily index, and a string under an object name is refused (400),
 * which would send every line of the app to the fallback family (docs/logs-path.md).
 */
export function createLogger(level: string, service: string, destinations = { out: 1, err: 2 }): Logger {
  const streams = pino.multistream(
    [
      { level: 'trace', stream: pino.destination({ fd: destinations.out, sync: false }) },
      { level: 'warn', stream: pino.destination({ fd: destinations.err, sync: false }) },
    ],
    { dedupe: true },
  );
  return pino(
    {
      level,
      base: { 'service.name': service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    streams,
  );
}
