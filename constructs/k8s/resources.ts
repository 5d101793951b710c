import type { Resources } from '../../config/schema';

/** Compute resources in Kubernetes API shape (also the charts' `resources` values). */
export interface ResourceRequirements {
  readonly requests: { readonly cpu: string; readonly memory: string };
  readonly limits: { readonly cpu: string; readonly memory: string };
}

/** Copies validated config resources into the API shape (a fresh object per call site). */
export function resourceRequirements(r: Resources): ResourceRequirements {
  return { requests: { ...r.requests }, limits: { ...r.limits } };
}
