/**
 * Names and paths of the local kind cluster that the operator tools (ops/, scripts/) use too.
 * Plain values, no provider bindings.
 */
import { join } from 'node:path';

/** kubectl context kind creates for a cluster. */
export function kindContext(clusterName: string): string {
  return `kind-${clusterName}`;
}

/** Where the kind cluster's files live, relative to the project directory (git-ignored). */
export function kindDir(clusterName: string): string {
  return join('.kind', clusterName);
}

/** The kubeconfig the cluster stack writes, relative to the project directory. */
export function kindKubeconfigPath(clusterName: string): string {
  return join(kindDir(clusterName), 'kubeconfig');
}

/** Registry container name and in-network port (kind's local-registry pattern). */
export const REGISTRY_CONTAINER = 'kind-registry';
export const REGISTRY_INTERNAL_PORT = 5000;

/** The registry as the Docker host and the kind nodes both address it. */
export function registryHost(port: number): string {
  return `localhost:${port}`;
}
