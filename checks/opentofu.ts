/**
 * OpenTofu (github.com/opentofu/opentofu), the second engine the offline checks and tests run,
 * built from its Go module into the tools cache (outside the repository) and reused when present.
 *
 * `go install …/cmd/tofu@version` refuses the module (its go.mod has a replace directive), so
 * the module is downloaded into the Go module cache and built there, with the flags of its own
 * release build (.goreleaser.yaml: CGO off, -trimpath, -mod=readonly, version.dev=no so that
 * `tofu version` reports the release and not "-dev").
 *
 *   ts-node --transpile-only checks/opentofu.ts build   builds if needed, prints the binary's path
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { TESTED_OPENTOFU_VERSION } from '../constructs/terraform/required-version';
import { toolsCacheDir } from './terraform-offline';

export const OPENTOFU_MODULE = 'github.com/opentofu/opentofu';
export const OPENTOFU_VERSION = `v${TESTED_OPENTOFU_VERSION}`;

/** Where ensureTofu() keeps the binary (it may not exist yet). */
export function tofuPath(): string {
  return join(toolsCacheDir(), `tofu-${OPENTOFU_VERSION}`, 'tofu');
}

/** Builds OpenTofu once into <tools cache>/tofu-<version>/tofu; returns the binary's path. */
export function ensureTofu(log: (line: string) => void = () => undefined): string {
  const binary = tofuPath();
  if (existsSync(binary)) return binary;
  const dir = join(binary, '..');
  // Built beside the final directory and renamed into place: concurrent builders never see half a binary.
  const staging = `${dir}.building-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const env = { ...process.env, GOFLAGS: '-mod=readonly', GOWORK: 'off', CGO_ENABLED: '0' };
  log(`go build ${OPENTOFU_MODULE}/cmd/tofu@${OPENTOFU_VERSION} -> ${binary}`);
  try {
    const download = JSON.parse(execFileSync('go', ['mod', 'download', '-json', `${OPENTOFU_MODULE}@${OPENTOFU_VERSION}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env })) as { Dir?: string; Error?: string };
    if (!download.Dir) throw new Error(download.Error ?? 'go mod download gave no directory');
    execFileSync('go', ['build', '-trimpath', '-ldflags', `-s -w -X '${OPENTOFU_MODULE}/version.dev=no'`, '-o', join(staging, 'tofu'), './cmd/tofu'], { cwd: download.Dir, stdio: ['ignore', 'ignore', 'pipe'], env });
    mkdirSync(dir, { recursive: true });
    renameSync(join(staging, 'tofu'), binary);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`The Go toolchain (\`go\`) is not on PATH: the OpenTofu leg of the offline checks builds OpenTofu ${OPENTOFU_VERSION} from its Go module. Install Go 1.26 or newer.`);
    }
    if (!existsSync(binary)) throw new Error(`building ${OPENTOFU_MODULE}/cmd/tofu@${OPENTOFU_VERSION} failed: ${String((err as { stderr?: Buffer }).stderr ?? err).trim()}`);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return binary;
}

if (require.main === module) {
  const [command] = process.argv.slice(2);
  if (command !== 'build') {
    console.error('usage: ts-node --transpile-only checks/opentofu.ts build');
    process.exit(2);
  }
  try {
    console.log(ensureTofu((l) => console.error(l)));
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }
}
