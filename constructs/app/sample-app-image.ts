import { Image } from '@cdktf/provider-docker/lib/image';
import { RegistryImage } from '@cdktf/provider-docker/lib/registry-image';
import { Construct } from 'constructs';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathForTerraform } from '../terraform/paths';

export interface SampleAppImageProps {
  /** Absolute directory with the Dockerfile (sample-app/). */
  readonly contextDir: string;
  /** Registry host:port the Docker host pushes to and the nodes pull from. */
  readonly registry: string;
  /** @default sample-app */
  readonly repository?: string;
}

/** Top-level names the build context excludes: those in .dockerignore (plain names only). */
function dockerIgnored(dir: string): Set<string> {
  const file = join(dir, '.dockerignore');
  const names = existsSync(file) ? readFileSync(file, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#') && !l.startsWith('!')) : [];
  return new Set([...names, '.git']);
}

/** Whether a path relative to the context matches an ignored name or `*.ext` pattern. */
function isIgnored(rel: string, ignored: Set<string>): boolean {
  const top = rel.split('/')[0];
  if (ignored.has(top) || ignored.has(rel)) return true;
  return [...ignored].some((p) => p.startsWith('*.') && rel.endsWith(p.slice(1)));
}

/**
 * Builds the sample-app image with the local Docker engine and pushes it to the cluster's
 * local registry. The tag is a hash of the build context, so a code change gives a new
 * tag and rolls the Deployment, and an unchanged tree plans no change.
 */
export class SampleAppImage extends Construct {
  /** Reference to use in pod specs; resolves after the push. */
  readonly imageRef: string;
  /** The image name, for display. */
  readonly imageName: string;
  readonly contentHash: string;

  constructor(scope: Construct, id: string, props: SampleAppImageProps) {
    super(scope, id);
    this.contentHash = hashContext(props.contextDir);
    this.imageName = `${props.registry}/${props.repository ?? 'sample-app'}:${this.contentHash}`;
    const image = new Image(this, 'image', {
      name: this.imageName,
      keepLocally: true,
      // Relative to the stack's directory: the same in every checkout.
      buildAttribute: { context: pathForTerraform(this, props.contextDir), dockerfile: 'Dockerfile', label: { 'org.opencontainers.image.revision': this.contentHash } },
      triggers: { context_hash: this.contentHash },
    });
    const pushed = new RegistryImage(this, 'push', { name: image.name, keepRemotely: true, triggers: { context_hash: this.contentHash } });
    // Referencing the pushed image (not the plain string) orders the Deployment after the push.
    this.imageRef = pushed.name;
  }
}

/** sha256 over the relative paths and contents of what Docker sends as the build context, first 16 hex digits. */
export function hashContext(dir: string): string {
  const hash = createHash('sha256');
  const ignored = dockerIgnored(dir);
  const walk = (current: string) => {
    for (const entry of readdirSync(current).sort()) {
      const full = join(current, entry);
      if (isIgnored(relative(dir, full), ignored)) continue;
      if (statSync(full).isDirectory()) walk(full);
      else hash.update(relative(dir, full)).update('\0').update(readFileSync(full)).update('\0');
    }
  };
  walk(dir);
  return hash.digest('hex').slice(0, 16);
}
