/** Pod scheduling shapes shared by our workloads and the charts' values (Kubernetes API field names). */

/** A pod topology spread constraint. */
export interface TopologySpreadConstraint {
  readonly maxSkew: number;
  readonly topologyKey: string;
  readonly whenUnsatisfiable: 'DoNotSchedule' | 'ScheduleAnyway';
  /** Honor: tainted nodes (a control plane) are not counted as empty domains. @default - Ignore */
  readonly nodeTaintsPolicy?: 'Honor' | 'Ignore';
  readonly labelSelector: { readonly matchLabels: Record<string, string> };
}

/** Spread the pods with `podLabels` evenly (skew 1) over `topologyKey`, softly unless told. */
export function spreadOver(topologyKey: string, podLabels: Readonly<Record<string, string>>, whenUnsatisfiable: TopologySpreadConstraint['whenUnsatisfiable'] = 'ScheduleAnyway'): TopologySpreadConstraint {
  return { maxSkew: 1, topologyKey, whenUnsatisfiable, labelSelector: { matchLabels: { ...podLabels } } };
}
