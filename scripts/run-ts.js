#!/usr/bin/env node
/**
 * Runs a TypeScript entry file of this repository (the cdktf app main.ts, scripts/run-stacks.ts)
 * as one JavaScript bundle that esbuild writes to dist/, rebuilt whenever any file that went into
 * it changed: its content hash is checked on every start, so a run never executes stale code.
 * Why not ts-node: it loads the TypeScript compiler and transpiles ~100 files on every
 * `cdktf synth` (most of the synth time); esbuild builds the bundle once, in a fraction of that.
 * The packages are bundled too (cdktf, the provider bindings: ~600 modules that Node would
 * otherwise resolve and load one by one). Types are checked by `npm run build` / `npm test`;
 * a stack trace points into the bundle, whose `// <file>` comments name each source.
 *
 *   node scripts/run-ts.js <entry.ts> [args…]     (the entry sees process.argv = [node, entry, args…])
 */
'use strict';
const { createHash } = require('node:crypto');
const { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, statSync, writeFileSync } = require('node:fs');
const { join, relative, resolve } = require('node:path');

const ROOT = resolve(__dirname, '..');
// One folder below the root, like the sources' own folders, so that a path a module builds from
// its __dirname (stacks/sample-app-stack.ts: `resolve(__dirname, '..', 'sample-app')`) is the same.
const OUT_DIR = join(ROOT, 'dist');

const entryArg = process.argv[2];
if (!entryArg) {
  console.error('usage: node scripts/run-ts.js <entry.ts> [args…]');
  process.exit(2);
}
const entry = resolve(entryArg);
const name = relative(ROOT, entry).replace(/\.ts$/, '').replace(/[\\/]/g, '__');
const outfile = join(OUT_DIR, `${name}.js`);
// The bundle's first line records what it was built from (one file, replaced in one rename).
const RECORD = '// run-ts inputs: ';

/** Our files by content; installed packages by size and modification time (npm rewrites them). */
function signature(file) {
  const path = join(ROOT, file);
  if (file.split(/[\\/]/).includes('node_modules')) {
    const st = statSync(path);
    return `${st.size}:${st.mtimeMs}`;
  }
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** The first line of a file, without reading the rest (the bundle is megabytes). */
function firstLine(file) {
  const fd = openSync(file, 'r');
  try {
    const chunks = [];
    const buf = Buffer.alloc(256 * 1024);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      const nl = buf.subarray(0, n).indexOf(10);
      chunks.push(Buffer.from(buf.subarray(0, nl >= 0 ? nl : n)));
      if (nl >= 0 || n === 0) return Buffer.concat(chunks).toString('utf8');
    }
  } finally {
    closeSync(fd);
  }
}

/** Whether the bundle was built from exactly the files there are now (and by this esbuild and launcher). */
function upToDate() {
  if (!existsSync(outfile)) return false;
  try {
    const first = firstLine(outfile);
    if (!first.startsWith(RECORD)) return false;
    const recorded = JSON.parse(first.slice(RECORD.length));
    if (recorded.esbuild !== require('esbuild/package.json').version || recorded.entry !== relative(ROOT, entry)) return false;
    return Object.entries(recorded.inputs).every(([file, sig]) => signature(file) === sig);
  } catch {
    return false; // a file gone, a broken record: build again
  }
}

function build() {
  const esbuild = require('esbuild');
  mkdirSync(OUT_DIR, { recursive: true });
  const tmp = `${outfile}.${process.pid}.tmp.js`; // concurrent builders each rename their own
  const result = esbuild.buildSync({
    absWorkingDir: ROOT,
    entryPoints: [entry],
    outfile: tmp,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: `node${process.versions.node.split('.')[0]}`,
    metafile: true,
    logLevel: 'error',
    tsconfig: join(ROOT, 'tsconfig.json'),
  });
  const files = [...Object.keys(result.metafile.inputs), 'tsconfig.json', relative(ROOT, __filename)];
  const inputs = Object.fromEntries(files.map((f) => [f, signature(f)]));
  writeFileSync(tmp, `${RECORD}${JSON.stringify({ esbuild: esbuild.version, entry: relative(ROOT, entry), inputs })}\n${readFileSync(tmp, 'utf8')}`);
  renameSync(tmp, outfile);
}

if (!upToDate()) build();
process.argv.splice(1, 2, entry);
require(outfile);
