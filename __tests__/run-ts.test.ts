import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * scripts/run-ts.js (cdktf.json's app command and the stack scripts): the bundle it runs is
 * rebuilt exactly when a file that went into it changed, so `cdktf synth` never runs stale code.
 * Exercised in a throw-away copy of the layout (scripts/, tsconfig.json, node_modules).
 */
const ROOT = join(__dirname, '..');

function project() {
  const dir = mkdtempSync(join(tmpdir(), 'run-ts-'));
  mkdirSync(join(dir, 'scripts'));
  mkdirSync(join(dir, 'lib'));
  copyFileSync(join(ROOT, 'scripts', 'run-ts.js'), join(dir, 'scripts', 'run-ts.js'));
  copyFileSync(join(ROOT, 'tsconfig.json'), join(dir, 'tsconfig.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  writeFileSync(join(dir, 'lib', 'answer.ts'), 'export const answer: number = 41;\n');
  writeFileSync(
    join(dir, 'main.ts'),
    ["import { parse } from 'yaml';", "import { answer } from './lib/answer';", "const here: string = __dirname;", 'console.log(JSON.stringify({ answer, args: process.argv.slice(2), entry: process.argv[1], yaml: parse("a: 1"), here }));', ''].join('\n'),
  );
  const run = (...args: string[]) => {
    const r = spawnSync(process.execPath, [join(dir, 'scripts', 'run-ts.js'), 'main.ts', ...args], { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`run-ts failed: ${r.stderr}`);
    return JSON.parse(r.stdout);
  };
  const bundle = join(dir, 'dist', 'main.js');
  return { dir, run, built: () => statSync(bundle).mtimeMs, bundle };
}

describe('scripts/run-ts.js', () => {
  it('runs the entry with its arguments, packages and __dirname as from the sources', () => {
    const p = project();
    expect(p.run('deploy', '--x')).toEqual({ answer: 41, args: ['deploy', '--x'], entry: join(p.dir, 'main.ts'), yaml: { a: 1 }, here: join(p.dir, 'dist') });
    // the bundle sits one folder below the root, like stacks/: `resolve(__dirname, '..', 'sample-app')` is the same path
    expect(readFileSync(p.bundle, 'utf8').split('\n', 1)[0]).toMatch(/^\/\/ run-ts inputs: \{"esbuild":"[\d.]+","entry":"main.ts","inputs":\{.*"lib\/answer.ts":"[0-9a-f]{64}"/);
  });

  it('reuses the bundle while nothing changed, rebuilds it when an input changed', () => {
    const p = project();
    p.run();
    const first = p.built();
    p.run();
    expect(p.built()).toBe(first);
    writeFileSync(join(p.dir, 'lib', 'answer.ts'), 'export const answer: number = 42;\n');
    expect(p.run().answer).toBe(42);
    const second = p.built();
    expect(second).toBeGreaterThan(first);
    // same size, new content: still noticed (content hashes, not sizes or times)
    writeFileSync(join(p.dir, 'lib', 'answer.ts'), 'export const answer: number = 43;\n');
    expect(p.run().answer).toBe(43);
    // a changed tsconfig.json rebuilds too
    const third = p.built();
    writeFileSync(join(p.dir, 'tsconfig.json'), readFileSync(join(p.dir, 'tsconfig.json'), 'utf8') + '\n');
    p.run();
    expect(p.built()).toBeGreaterThan(third);
  });

  it('a type error does not stop it (types are checked by tsc), a syntax error does, naming the file', () => {
    const p = project();
    writeFileSync(join(p.dir, 'lib', 'answer.ts'), 'export const answer: number = "not a number" as unknown as number;\n');
    expect(p.run().answer).toBe('not a number');
    writeFileSync(join(p.dir, 'lib', 'answer.ts'), 'export const answer = ;\n');
    const r = spawnSync(process.execPath, [join(p.dir, 'scripts', 'run-ts.js'), 'main.ts'], { cwd: p.dir, encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('lib/answer.ts');
  });
});
