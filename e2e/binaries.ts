import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';

/**
 * Real upstream programs for the off-cluster e2e run, built from their Go modules (through
 * the Go module proxy) into a cache outside the repository and reused when present.
 */
export const JAEGER_MODULE = 'github.com/jaegertracing/jaeger';
export const JAEGER_VERSION = 'v1.76.0'; // the Jaeger v2 binary (cmd/jaeger)
export const COLLECTOR_CORE_VERSION = 'v0.165.0';
export const COLLECTOR_CONTRIB_VERSION = 'v0.165.1';
export const CONFMAP_VERSION = 'v1.71.0';

/** Components of the collector's local profile: every one our generated config uses. */
export const COLLECTOR_COMPONENTS = {
  receivers: [`go.opentelemetry.io/collector/receiver/otlpreceiver ${COLLECTOR_CORE_VERSION}`, `github.com/open-telemetry/opentelemetry-collector-contrib/receiver/prometheusreceiver ${COLLECTOR_CONTRIB_VERSION}`],
  processors: [
    `go.opentelemetry.io/collector/processor/memorylimiterprocessor ${COLLECTOR_CORE_VERSION}`,
    `go.opentelemetry.io/collector/processor/batchprocessor ${COLLECTOR_CORE_VERSION}`,
    `github.com/open-telemetry/opentelemetry-collector-contrib/processor/resourceprocessor ${COLLECTOR_CONTRIB_VERSION}`,
  ],
  exporters: [
    `go.opentelemetry.io/collector/exporter/otlpexporter ${COLLECTOR_CORE_VERSION}`,
    `go.opentelemetry.io/collector/exporter/debugexporter ${COLLECTOR_CORE_VERSION}`,
    `github.com/open-telemetry/opentelemetry-collector-contrib/exporter/prometheusexporter ${COLLECTOR_CONTRIB_VERSION}`,
  ],
  extensions: [
    `github.com/open-telemetry/opentelemetry-collector-contrib/extension/healthcheckextension ${COLLECTOR_CONTRIB_VERSION}`,
    // The exporters' persistent sending queue (file_storage).
    `github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage ${COLLECTOR_CONTRIB_VERSION}`,
  ],
  providers: [`go.opentelemetry.io/collector/confmap/provider/envprovider ${CONFMAP_VERSION}`, `go.opentelemetry.io/collector/confmap/provider/fileprovider ${CONFMAP_VERSION}`],
};

export function cacheDir(): string {
  return process.env.MONITORING_E2E_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'monitoring-stack-e2e');
}

function go(args: string[], cwd: string, log: (line: string) => void): void {
  log(`go ${args.join(' ')}`);
  execFileSync('go', args, { cwd, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, GOFLAGS: '-mod=mod' } });
}

/** Jaeger all-in-one: its go.mod has replace directives, so it is built as a tool of a wrapper module. */
export function ensureJaeger(log: (line: string) => void): string {
  const dir = join(cacheDir(), `jaeger-${JAEGER_VERSION}`);
  const binary = join(dir, 'jaeger');
  if (existsSync(binary)) return binary;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'go.mod'), 'module monitoring-stack-e2e/jaeger\n\ngo 1.26\n');
  go(['get', '-tool', `${JAEGER_MODULE}/cmd/jaeger@${JAEGER_VERSION}`], dir, log);
  go(['build', '-o', binary, `${JAEGER_MODULE}/cmd/jaeger`], dir, log);
  return binary;
}

/**
 * Cache directory of the collector built from these components: keyed by their list, so a
 * binary built from another list (an older checkout's) is never reused, and stays usable there.
 */
export function collectorCacheDir(components = COLLECTOR_COMPONENTS): string {
  const key = createHash('sha256').update(JSON.stringify(components)).digest('hex').slice(0, 12);
  return join(cacheDir(), `otelcol-${COLLECTOR_CORE_VERSION}-${key}`);
}

/** A custom collector from the OpenTelemetry Collector Builder with COLLECTOR_COMPONENTS. */
export function ensureCollector(log: (line: string) => void): string {
  const dir = collectorCacheDir();
  const binary = join(dir, 'build', 'otelcol-e2e');
  if (existsSync(binary)) return binary;
  mkdirSync(dir, { recursive: true });
  const gobin = join(cacheDir(), 'bin');
  const builder = join(gobin, `builder-${COLLECTOR_CORE_VERSION}`);
  if (!existsSync(builder)) {
    go(['install', `go.opentelemetry.io/collector/cmd/builder@${COLLECTOR_CORE_VERSION}`], dir, log);
    const gopath = execFileSync('go', ['env', 'GOPATH'], { encoding: 'utf8' }).trim();
    mkdirSync(gobin, { recursive: true });
    execFileSync('cp', [join(gopath, 'bin', 'builder'), builder]);
  }
  const gomods = (xs: string[]) => xs.map((gomod) => ({ gomod }));
  const manifest = {
    dist: { name: 'otelcol-e2e', description: 'monitoring-stack e2e collector (local profile components)', output_path: './build', version: COLLECTOR_CORE_VERSION.slice(1) },
    receivers: gomods(COLLECTOR_COMPONENTS.receivers),
    processors: gomods(COLLECTOR_COMPONENTS.processors),
    exporters: gomods(COLLECTOR_COMPONENTS.exporters),
    extensions: gomods(COLLECTOR_COMPONENTS.extensions),
    providers: gomods(COLLECTOR_COMPONENTS.providers),
  };
  writeFileSync(join(dir, 'manifest.yaml'), stringify(manifest));
  log(`building the collector (${COLLECTOR_CORE_VERSION}) with the collector builder`);
  execFileSync(builder, ['--config', 'manifest.yaml'], { cwd: dir, stdio: ['ignore', 'inherit', 'inherit'] });
  return binary;
}

/** Component names the binary was built with (`<binary> components`). */
export function builtComponents(binary: string): Record<'receivers' | 'processors' | 'exporters' | 'extensions', string[]> {
  const out = parse(execFileSync(binary, ['components'], { encoding: 'utf8' })) as Record<string, { name: string }[]>;
  const names = (k: string) => (out[k] ?? []).map((c) => c.name);
  return { receivers: names('receivers'), processors: names('processors'), exporters: names('exporters'), extensions: names('extensions') };
}
