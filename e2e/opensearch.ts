import { ChildProcess, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pollUntil } from '../ops/poll';
import { cacheDir } from './binaries';

/**
 * A real search engine peer for the off-cluster e2e run: a single-node OpenSearch (the
 * Elasticsearch 7.10 fork Jaeger supports as its Elasticsearch storage) from Maven Central,
 * started by our own tiny main class (tools/opensearch-node) on 127.0.0.1, plain http, no
 * security plugin. Built with Maven into the e2e cache, keyed by a hash of its sources.
 */
export const OPENSEARCH_VERSION = '2.19.6'; // the newest OpenSearch line on Java 17 (3.x needs 21)
export const OPENSEARCH_NODE_SOURCES = join(__dirname, '..', 'tools', 'opensearch-node');
export const OPENSEARCH_MAIN_CLASS = 'monitoringstack.e2e.OpenSearchNode';
/** The line the main class prints once HTTP serves. */
export const OPENSEARCH_READY_LINE = /^opensearch-node ready (http:\/\/\S+)/;
const MIN_JAVA = 17;

/** sha256 (12 hex) of every file under `dir` (paths and bytes, sorted), ignoring a Maven `target/`. */
export function sourceHash(dir: string): string {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) {
        if (!(d === dir && entry.name === 'target')) walk(path);
      } else if (entry.isFile()) files.push(path);
    }
  };
  walk(dir);
  const hash = createHash('sha256');
  for (const file of files.map((f) => relative(dir, f)).sort()) {
    hash.update(`${file}\0`);
    hash.update(readFileSync(join(dir, file)));
    hash.update('\0');
  }
  return hash.digest('hex').slice(0, 12);
}

/** The feature release of a `java -version` output (1.8.0 → 8, 17.0.15 → 17), if any. */
export function javaMajor(versionOutput: string): number | undefined {
  const m = /version "(\d+)(?:\.(\d+))?[^"]*"/.exec(versionOutput);
  if (!m) return undefined;
  const first = Number(m[1]);
  return first === 1 && m[2] !== undefined ? Number(m[2]) : first;
}

export interface JavaToolchain {
  /** The java the node runs on: $JAVA_HOME/bin/java when JAVA_HOME is set (Maven uses it too), else `java`. */
  readonly java: string;
  readonly javaVersion: string;
  readonly mvn: string;
}

type Probe = (command: string, args: string[]) => { ok: boolean; output: string };
const probe: Probe = (command, args) => {
  const r = spawnSync(command, args, { encoding: 'utf8', timeout: 30_000 });
  return { ok: !r.error && r.status === 0, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
};

/** Java 17+ and Maven, or what is missing ("no Maven (mvn)", for the e2e's SKIPPED line). */
export function findJavaToolchain(env: NodeJS.ProcessEnv = process.env, run: Probe = probe): { toolchain?: JavaToolchain; missing?: string } {
  const java = env.JAVA_HOME ? join(env.JAVA_HOME, 'bin', 'java') : 'java';
  const missing: string[] = [];
  const v = run(java, ['-version']);
  const major = v.ok ? javaMajor(v.output) : undefined;
  if (!v.ok) missing.push(`no Java runtime (${java}${env.JAVA_HOME ? ', from JAVA_HOME' : ''})`);
  else if (major === undefined || major < MIN_JAVA) missing.push(`no Java ${MIN_JAVA}+ (${java} is ${major ? `Java ${major}` : 'of an unknown version'})`);
  const mvn = run('mvn', ['-v']);
  if (!mvn.ok) missing.push('no Maven (mvn)');
  if (missing.length) return { missing: missing.join(' and ') };
  return { toolchain: { java, javaVersion: String(major), mvn: 'mvn' } };
}

export interface OpenSearchNodeBuild {
  /** Our jar first, then OpenSearch and its dependencies from the local Maven repository. */
  readonly classpath: string;
  readonly dir: string;
  /** Whether this call ran Maven (false: reused from the cache). */
  readonly built: boolean;
}

/**
 * tools/opensearch-node built with Maven into <cache>/opensearch-node-<source hash>/ (Maven's
 * build directory is set there, nothing is written into the repository), reused when present.
 * The dependencies stay in the local Maven repository (~/.m2), listed by dependency:build-classpath.
 */
export function ensureOpenSearchNode(toolchain: JavaToolchain, log: (line: string) => void): OpenSearchNodeBuild {
  const dir = join(cacheDir(), `opensearch-node-${OPENSEARCH_VERSION}-${sourceHash(OPENSEARCH_NODE_SOURCES)}`);
  const cached = readBuild(dir);
  if (cached) return { classpath: cached, dir, built: false };
  if (existsSync(dir)) log(`cached OpenSearch node in ${dir} is incomplete or stale (a jar is gone from the Maven repository): rebuilding`);
  // Built beside the final directory and renamed into place: an interrupted or concurrent build never leaves a half one there.
  const staging = `${dir}.building-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    const args = ['-B', '-q', '-Dstyle.color=never', '-f', join(OPENSEARCH_NODE_SOURCES, 'pom.xml'), `-DbuildDirectory=${join(staging, 'build')}`, 'package', 'dependency:build-classpath'];
    log(`building tools/opensearch-node (OpenSearch ${OPENSEARCH_VERSION}; the first build downloads it from Maven Central): ${toolchain.mvn} ${args.join(' ')}`);
    const mvn = spawnSync(toolchain.mvn, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 20 * 60_000, env: process.env });
    if (mvn.error || mvn.status !== 0) {
      // Quiet Maven prints only errors (and, with jansi, stray colour resets): show the tail.
      const output = `${mvn.stdout ?? ''}${mvn.stderr ?? ''}`.replace(/\x1b\[[0-9;]*m/g, '').trim().split('\n').slice(-30).join('\n');
      throw new Error(`mvn exited ${mvn.status ?? mvn.signal ?? mvn.error?.message}\n${output}`);
    }
    const deps = readFileSync(join(staging, 'build', 'classpath.txt'), 'utf8').trim();
    if (!existsSync(join(staging, 'build', 'opensearch-node.jar')) || !deps) throw new Error('Maven did not produce opensearch-node.jar and its classpath');
    writeFileSync(join(staging, 'classpath'), `${[join(dir, 'build', 'opensearch-node.jar'), ...deps.split(':')].join(':')}\n`);
    rmSync(dir, { recursive: true, force: true });
    try {
      renameSync(staging, dir);
    } catch (err) {
      if (!readBuild(dir)) throw err; // else a concurrent run put its complete build there first
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  const classpath = readBuild(dir);
  if (!classpath) throw new Error(`the OpenSearch node build in ${dir} is incomplete`);
  return { classpath, dir, built: true };
}

/** The classpath of a complete build in `dir` (our jar, then the dependencies), if every entry is there. */
function readBuild(dir: string): string | undefined {
  const file = join(dir, 'classpath');
  if (!existsSync(file)) return undefined;
  const classpath = readFileSync(file, 'utf8').trim();
  return classpath && classpath.split(':').every((entry) => existsSync(entry)) ? classpath : undefined;
}

/** The java command line of a node: HTTP on 127.0.0.1:httpPort, data (and logs) under dataDir. */
export function openSearchJavaArgs(build: Pick<OpenSearchNodeBuild, 'classpath'>, httpPort: number, dataDir: string): string[] {
  return ['-Xms256m', '-Xmx512m', `-Djava.io.tmpdir=${dataDir}`, '-cp', build.classpath, OPENSEARCH_MAIN_CLASS, String(httpPort), dataDir];
}

export interface ClusterHealth {
  status: 'green' | 'yellow' | 'red';
  number_of_nodes: number;
  active_shards: number;
  unassigned_shards: number;
}

/** A JSON request to the node; throws with the status and body on non-2xx. */
export async function searchJson<T = any>(baseUrl: string, path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const res = await fetch(`${baseUrl}${path}`, {
    method: init.method ?? 'GET',
    headers: init.body === undefined ? undefined : { 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Waits for the node's ready line and a yellow or green cluster health; the node's last lines on failure. */
export async function waitForOpenSearch(baseUrl: string, child: ChildProcess & { lines?: string[] }, timeoutMs = 120_000): Promise<{ health?: ClusterHealth; elapsedMs: number; error?: string }> {
  const r = await pollUntil(
    async () => {
      if (child.exitCode !== null || child.signalCode) throw new Error(`the node exited (${child.exitCode ?? child.signalCode})`);
      if (!(child.lines ?? []).some((l) => OPENSEARCH_READY_LINE.test(l))) return undefined;
      const health = await searchJson<ClusterHealth>(baseUrl, '/_cluster/health?wait_for_status=yellow&timeout=1s');
      return health.status === 'green' || health.status === 'yellow' ? health : undefined;
    },
    { timeoutMs, intervalMs: 250 },
  );
  if (r.value) return { health: r.value, elapsedMs: r.elapsedMs };
  if (child.exitCode !== null || child.signalCode) r.lastError = `the node exited (${child.exitCode ?? child.signalCode})`;
  return { elapsedMs: r.elapsedMs, error: `${r.lastError ?? 'timeout'}\n${(child.lines ?? []).slice(-15).join('\n')}` };
}

/** Names of all indices (`_cat/indices`), sorted. */
export async function indexNames(baseUrl: string): Promise<string[]> {
  const rows = await searchJson<{ index: string }[]>(baseUrl, '/_cat/indices?format=json&expand_wildcards=all');
  return rows.map((r) => r.index).sort();
}

/** The UTC day of a date, YYYY-MM-DD: the date part of daily index names. */
export function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** One index dated `ageDays` ago and one dated today (UTC) per family. */
export function retentionFixture(families: readonly string[], now: Date, ageDays = 30): { expired: string[]; current: string[] } {
  const old = utcDay(new Date(now.getTime() - ageDays * 86_400_000));
  const today = utcDay(now);
  return { expired: families.map((f) => `${f}-${old}`), current: families.map((f) => `${f}-${today}`) };
}

/** The indices the retention script says it deletes ("deleting <index> (older than <cutoff>)"), in order. */
export function deletedByScript(output: string): string[] {
  return [...output.matchAll(/^deleting (\S+) \(older than \d{4}-\d{2}-\d{2}\)$/gm)].map((m) => m[1]);
}

/** An OTLP/JSON export request (POST /v1/traces) of one server span with the given ids. */
export function otlpJsonTrace(options: { traceId: string; spanId: string; service: string; name: string; startMs: number; durationMs?: number }): unknown {
  const ns = (ms: number) => `${BigInt(Math.round(ms)) * 1_000_000n}`;
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: options.service } }] },
        scopeSpans: [
          {
            scope: { name: 'monitoring-stack-e2e' },
            spans: [
              {
                traceId: options.traceId,
                spanId: options.spanId,
                name: options.name,
                kind: 2, // SPAN_KIND_SERVER
                startTimeUnixNano: ns(options.startMs),
                endTimeUnixNano: ns(options.startMs + (options.durationMs ?? 5)),
                attributes: [{ key: 'e2e.peer', value: { stringValue: 'opensearch' } }],
              },
            ],
          },
        ],
      },
    ],
  };
}
