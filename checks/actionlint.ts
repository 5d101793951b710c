/**
 * actionlint (github.com/rhysd/actionlint), the GitHub Actions workflow linter, built from its Go
 * module into the tools cache (outside the repository) and reused when present; and a run of it
 * over every workflow of the repository, its findings as data.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { toolsCacheDir } from './terraform-offline';

export const ACTIONLINT_MODULE = 'github.com/rhysd/actionlint';
export const ACTIONLINT_VERSION = 'v1.7.12';

/** Builds actionlint once into <tools cache>/actionlint-<version>/; returns the binary's path. */
export function ensureActionlint(log: (line: string) => void = () => undefined): string {
  const dir = join(toolsCacheDir(), `actionlint-${ACTIONLINT_VERSION}`);
  const binary = join(dir, 'actionlint');
  if (existsSync(binary)) return binary;
  // Installed beside the final directory and renamed into place: concurrent builders never see half a binary.
  const staging = `${dir}.building-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  log(`go install ${ACTIONLINT_MODULE}/cmd/actionlint@${ACTIONLINT_VERSION} -> ${binary}`);
  try {
    execFileSync('go', ['install', '-trimpath', `${ACTIONLINT_MODULE}/cmd/actionlint@${ACTIONLINT_VERSION}`], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, GOBIN: staging, GOFLAGS: '-mod=mod' } });
    mkdirSync(dir, { recursive: true });
    renameSync(join(staging, 'actionlint'), binary);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`The Go toolchain (\`go\`) is not on PATH: the workflow lint builds actionlint ${ACTIONLINT_VERSION} from its Go module with \`go install\`. Install Go 1.26 or newer.`);
    }
    if (!existsSync(binary)) throw new Error(`go install ${ACTIONLINT_MODULE}/cmd/actionlint@${ACTIONLINT_VERSION} failed: ${String((err as { stderr?: Buffer }).stderr ?? err).trim()}`);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return binary;
}

/** The workflow files of a repository (.github/workflows/*.yml|yaml), sorted, relative to `root`. */
export function workflowFiles(root: string): string[] {
  const dir = join(root, '.github', 'workflows');
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => join('.github', 'workflows', f));
}

export interface ActionlintFinding {
  readonly filepath: string;
  readonly line: number;
  readonly column: number;
  readonly kind: string;
  readonly message: string;
}

/**
 * Runs actionlint on `files` (relative to `cwd`) and returns its findings (its JSON format).
 * Shell scripts in `run:` are checked by shellcheck when actionlint finds it on PATH.
 */
export function actionlint(binary: string, cwd: string, files: string[]): ActionlintFinding[] {
  const r = spawnSync(binary, ['-format', '{{json .}}', ...files], { cwd, encoding: 'utf8', timeout: 120_000 });
  if (r.error) throw r.error;
  // Exit 0: no finding; 1: findings; anything else: actionlint itself failed.
  if (r.status !== 0 && r.status !== 1) throw new Error(`actionlint exited ${r.status}: ${r.stderr.trim()}`);
  const out = r.stdout.trim();
  return out ? (JSON.parse(out) as ActionlintFinding[]) : [];
}
