import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The stand-in providers' fake cluster (OfflineOptions.world, env TF_STANDIN_WORLD): one JSON
 * file per managed object, `<dir>/<resource type>/<namespace or _>/<name>.json`, written by
 * apply and removed by destroy (tools/tf-standin/world.go).
 */

export interface WorldObject {
  /** Terraform resource type, e.g. `kubernetes_secret_v1`, `helm_release`. */
  type: string;
  /** `undefined` for cluster-scoped objects (stored under `_`). */
  namespace?: string;
  name: string;
  /** The file holding it. */
  file: string;
  /**
   * What the provider sent to the API server: the resource's configuration as Terraform gave
   * it to apply (write-only values included) completed by the new state's computed values.
   */
  config: Record<string, unknown>;
  /** kubernetes_secret_v1 only: the Secret's data as the cluster holds it (what a pod reads). */
  clusterData?: Record<string, string>;
}

const CLUSTER_DATA = 'cluster_data';
const CLUSTER_SCOPED = '_';

/** Every object of the world, sorted by type, namespace and name; [] when the directory is absent. */
export function readWorld(dir: string): WorldObject[] {
  if (!existsSync(dir)) return [];
  const objects: WorldObject[] = [];
  for (const type of readdirSync(dir).sort()) {
    for (const ns of readdirSync(join(dir, type)).sort()) {
      for (const entry of readdirSync(join(dir, type, ns)).sort()) {
        if (!entry.endsWith('.json')) continue; // a writer's temp file
        const file = join(dir, type, ns, entry);
        const { [CLUSTER_DATA]: clusterData, ...config } = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
        objects.push({
          type,
          namespace: ns === CLUSTER_SCOPED ? undefined : ns,
          name: entry.slice(0, -'.json'.length),
          file,
          config,
          ...(clusterData !== undefined ? { clusterData: (clusterData ?? {}) as Record<string, string> } : {}),
        });
      }
    }
  }
  return objects;
}

/** One object of the world, or undefined. */
export function worldObject(dir: string, type: string, name: string, namespace?: string): WorldObject | undefined {
  return readWorld(dir).find((o) => o.type === type && o.name === name && o.namespace === namespace);
}

/** Deletes an object behind Terraform's back (like `kubectl delete`): the next refresh finds it gone. */
export function deleteFromWorld(dir: string, type: string, name: string, namespace?: string): void {
  const file = join(dir, type, namespace ?? CLUSTER_SCOPED, `${name}.json`);
  if (!existsSync(file)) throw new Error(`the world has no ${type} ${namespace ?? CLUSTER_SCOPED}/${name} (${file})`);
  rmSync(file);
}
