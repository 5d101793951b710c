import { Image } from '@cdktf/provider-docker/lib/image';
import { RegistryImage } from '@cdktf/provider-docker/lib/registry-image';
import { Construct } from 'constructs';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export interface SampleAppImageProps {
  /** Directory with the Dockerfile (sample-app/). */
  readonly contextDir: string;
  /** Registry host:port the Docker host pushes to and the nodes pull from. */
  readonly registry: string;
  /** @default sample-app */
  readonly repository?: string;
}

/** Files that never reach the image (mirrors sample-app/.dockerignore). */
const IGNORED = new Set(['node_modules', 'dist', 'coverage', '.git', 'bench-results']);

/**
 * Builds the sample-app image with the local Docker engine and pushes it to the cluster's
 * local registry. The tag is a hash of the build context, so a code change gives a new
 * tag and rolls the Deployment, and an unchanged tree plans no change.
 */
export class SampleAppImage extends Construct {
  readonly imageRef: string;
  readonly contentHash: string;

  constructor(scope: Construct, id: string, props: SampleAppImageProps) {
    super(scope, id);
    this.contentHash = hashContext(props.contextDir);
    this.imageRef = `${props.registry}/${props.repository ?? 'sample-app'}:${this.contentHash}`;
    const image = new Image(this, 'image', {
      name: this.imageRef,
      keepLocally: true,
      buildAttribute: { context: props.contextDir, dockerfile: 'Dockerfile', label: { 'org.opencontainers.image.revision': this.contentHash } },
      triggers: { context_hash: this.contentHash },
    });
    new RegistryImage(this, 'push', { name: image.name, keepRemotely: true, triggers: { context_hash: this.contentHash } });
  }
}

/** sha256 over the relative paths and contents of the build context, first 16 hex digits. */
export function hashContext(dir: string): string {
  const hash = createHash('sha256');
  const walk = (current: string) => {
    for (const entry of readdirSync(current).sort()) {
      if (IGNORED.has(entry)) continue;
      const full = join(current, entry);
      if (statSync(full).isDirectory()) walk(full);
      else hash.update(relative(dir, full)).update('\0').update(readFileSync(full)).update('\0');
    }
  };
  walk(dir);
  return hash.digest('hex').slice(0, 16);
}
