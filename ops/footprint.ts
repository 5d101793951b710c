import { parseCpu, parseMemory } from '../config/schema';
import { helmValueDocuments, StackJson } from './terraform-json';

export interface Footprint {
  cpuRequestsMilli: number;
  cpuLimitsMilli: number;
  memoryRequestsBytes: number;
  memoryLimitsBytes: number;
}

export interface ContainerFootprint extends Footprint {
  stack: string;
  workload: string;
  container: string;
  /** Pods counted (an autoscaled workload: its minimum). */
  copies: number;
  /** An autoscaled workload's maximum pods. @default - not autoscaled */
  maxCopies?: number;
}

/** Persistent volume claims a workload makes (one per pod). */
export interface ClaimFootprint {
  stack: string;
  workload: string;
  sizeBytes: number;
  copies: number;
}

export interface FootprintReport {
  containers: ContainerFootprint[];
  perStack: Record<string, Footprint>;
  total: Footprint;
  /** Requests/limits with every autoscaled workload at its maximum. */
  totalAtMaxScale: Footprint;
  claims: ClaimFootprint[];
  storageBytes: number;
  /**
   * Kubernetes nodes the replicated workloads need to survive the loss of one node: the
   * largest replica count among workloads spread one per node (Elasticsearch's quorum).
   */
  nodesForHighAvailability: number;
  /** Containers without complete requests and limits, and charts we cannot read. */
  errors: string[];
}

type Resources = { requests?: Record<string, string>; limits?: Record<string, string> } | undefined;
interface HelmContainer {
  workload: string;
  container: string;
  copies: number;
  maxCopies?: number;
  resources: Resources;
}

const zero = (): Footprint => ({ cpuRequestsMilli: 0, cpuLimitsMilli: 0, memoryRequestsBytes: 0, memoryLimitsBytes: 0 });

/** Per chart: the containers a release runs, with their resources and copies (`nodes`: for DaemonSets). */
const HELM_READERS: Record<string, (values: any, nodes: number) => HelmContainer[]> = {
  'eck-operator': (v) => [{ workload: 'eck-operator', container: 'manager', copies: v.replicaCount ?? 1, resources: v.resources }],
  'eck-elasticsearch': (v) =>
    (v.nodeSets ?? []).flatMap((ns: any) => (ns.podTemplate?.spec?.containers ?? []).map((c: any) => ({ workload: `elasticsearch/${ns.name}`, container: c.name, copies: ns.count ?? 1, resources: c.resources }))),
  // ECK's Kibana: `count` pods of the `kibana` container we size. Its init container copies the
  // main container's resources (ECK WithInitContainerDefaults) and, as an init container, adds
  // nothing to the pod's effective request.
  'eck-kibana': (v) => (v.podTemplate?.spec?.containers ?? []).map((c: any) => ({ workload: v.fullnameOverride ?? 'kibana', container: c.name, copies: v.count ?? 1, resources: c.resources })),
  jaeger: (v) => [{ workload: 'jaeger', container: 'jaeger', copies: v.jaeger?.replicas ?? 1, resources: v.jaeger?.resources }],
  'opentelemetry-collector': (v, nodes) => {
    // The node agent (daemonset mode): one pod per node, like our raw DaemonSets.
    if (v.mode === 'daemonset') return [{ workload: `daemonset/${v.fullnameOverride ?? 'otel-collector'}`, container: 'opentelemetry-collector', copies: nodes, resources: v.resources }];
    const hpa = v.autoscaling?.enabled ? v.autoscaling : undefined;
    return [{ workload: v.fullnameOverride ?? 'otel-collector', container: 'opentelemetry-collector', copies: hpa ? hpa.minReplicas : (v.replicaCount ?? 1), maxCopies: hpa?.maxReplicas, resources: v.resources }];
  },
};

/** Per chart: the claims a release's pods make. */
const HELM_CLAIMS: Record<string, (values: any) => { workload: string; size: string; copies: number }[]> = {
  'eck-elasticsearch': (v) =>
    (v.nodeSets ?? []).flatMap((ns: any) => (ns.volumeClaimTemplates ?? []).map((t: any) => ({ workload: `elasticsearch/${ns.name}`, size: t.spec.resources.requests.storage, copies: ns.count ?? 1 }))),
  // The collectors' queue volumes: one per pod (at the HPA's minimum; a scaled-out replica adds its own).
  'opentelemetry-collector': (v) =>
    (v.statefulset?.volumeClaimTemplates ?? []).map((t: any) => ({
      workload: `${v.fullnameOverride ?? 'otel-collector'}/${t.metadata.name}`,
      size: t.spec.resources.requests.storage,
      copies: v.autoscaling?.enabled ? v.autoscaling.minReplicas : (v.replicaCount ?? 1),
    })),
};

/**
 * Sums CPU and memory requests/limits of everything the stacks run: raw Kubernetes
 * workloads and the containers of the Helm releases (from the values we pass).
 * DaemonSets count once per node.
 */
export function computeFootprint(stacks: Record<string, StackJson>, nodes: number): FootprintReport {
  const containers: ContainerFootprint[] = [];
  const claims: ClaimFootprint[] = [];
  const errors: string[] = [];
  let nodesForHighAvailability = 1;
  const add = (stack: string, workload: string, container: string, copies: number, resources: Resources, maxCopies?: number) => {
    const r = resources?.requests;
    const l = resources?.limits;
    if (!r?.cpu || !r?.memory || !l?.cpu || !l?.memory) {
      errors.push(`${stack}/${workload}/${container}: missing ${['requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory'].filter((k) => !(k.startsWith('requests') ? r : l)?.[k.split('.')[1]]).join(', ')}`);
      return;
    }
    containers.push({ stack, workload, container, copies, ...(maxCopies === undefined ? {} : { maxCopies }), cpuRequestsMilli: parseCpu(r.cpu) * copies, cpuLimitsMilli: parseCpu(l.cpu) * copies, memoryRequestsBytes: parseMemory(r.memory) * copies, memoryLimitsBytes: parseMemory(l.memory) * copies });
  };
  for (const [stack, json] of Object.entries(stacks)) {
    const res = json.resource ?? {};
    for (const d of Object.values(res.kubernetes_deployment_v1 ?? {})) for (const c of d.spec.template.spec.container) add(stack, `deployment/${d.metadata.name}`, c.name, Number(d.spec.replicas ?? 1), c.resources);
    for (const d of Object.values(res.kubernetes_daemon_set_v1 ?? {})) for (const c of d.spec.template.spec.container) add(stack, `daemonset/${d.metadata.name}`, c.name, nodes, c.resources);
    for (const j of Object.values(res.kubernetes_cron_job_v1 ?? {})) for (const c of j.spec.job_template.spec.template.spec.container) add(stack, `cronjob/${j.metadata.name}`, c.name, 1, c.resources);
    for (const j of Object.values(res.kubernetes_job_v1 ?? {})) for (const c of j.spec.template.spec.container) add(stack, `job/${j.metadata.name}`, c.name, 1, c.resources);
    for (const release of Object.values(res.helm_release ?? {})) {
      const reader = HELM_READERS[release.chart];
      if (!reader) {
        errors.push(`${stack}/helm ${release.chart}: no footprint reader for this chart`);
        continue;
      }
      const values = helmValueDocuments(json, release)[0] ?? {};
      for (const c of reader(values, nodes)) add(stack, `helm/${c.workload}`, c.container, c.copies, c.resources, c.maxCopies);
      for (const c of HELM_CLAIMS[release.chart]?.(values) ?? []) {
        claims.push({ stack, workload: `helm/${c.workload}`, sizeBytes: parseMemory(c.size), copies: c.copies });
        // Claims pin pods to their nodes: one Elasticsearch node per Kubernetes node.
        nodesForHighAvailability = Math.max(nodesForHighAvailability, c.copies);
      }
    }
  }
  const perStack: Record<string, Footprint> = {};
  const total = zero();
  for (const c of containers) {
    const s = (perStack[c.stack] ??= zero());
    for (const k of Object.keys(total) as (keyof Footprint)[]) {
      s[k] += c[k];
      total[k] += c[k];
    }
  }
  const totalAtMaxScale = zero();
  for (const c of containers) {
    const scale = (c.maxCopies ?? c.copies) / c.copies;
    for (const k of Object.keys(totalAtMaxScale) as (keyof Footprint)[]) totalAtMaxScale[k] += c[k] * scale;
  }
  const storageBytes = claims.reduce((sum, c) => sum + c.sizeBytes * c.copies, 0);
  return { containers, perStack, total, totalAtMaxScale, claims, storageBytes, nodesForHighAvailability, errors };
}

export const GiB = 1024 ** 3;

/** What runs on every node (DaemonSets: Fluentd, the node agent), per node: its requests and limits. */
export function perNodeFootprint(report: Pick<FootprintReport, 'containers'>, nodes: number): { workloads: string[]; perNode: Footprint } {
  const daemons = report.containers.filter((c) => /(^|\/)daemonset\//.test(c.workload));
  const perNode = zero();
  for (const c of daemons) for (const k of Object.keys(perNode) as (keyof Footprint)[]) perNode[k] += c[k] / nodes;
  return { workloads: daemons.map((c) => `${c.workload}/${c.container}`), perNode };
}

/**
 * The laptop budget: one 2-CPU / 4-GiB node; memory requests at most 4 GiB with Kibana, and at
 * most 3 GiB without it (`kibana.enabled: false`), for laptops that only need Jaeger and the API.
 */
export const BUDGET = { nodeCpuMilli: 2000, nodeMemoryBytes: 4 * GiB, maxMemoryRequestsBytes: { withKibana: 4 * GiB, withoutKibana: 3 * GiB } };

export function fitsBudget(total: Footprint, kibana: boolean): { fits: boolean; reasons: string[] } {
  const reasons: string[] = [];
  const max = kibana ? BUDGET.maxMemoryRequestsBytes.withKibana : BUDGET.maxMemoryRequestsBytes.withoutKibana;
  if (total.memoryRequestsBytes > max) reasons.push(`memory requests ${(total.memoryRequestsBytes / GiB).toFixed(2)} GiB > ${max / GiB} GiB${kibana ? '' : ' (without Kibana)'}`);
  if (total.cpuRequestsMilli > BUDGET.nodeCpuMilli) reasons.push(`CPU requests ${total.cpuRequestsMilli}m > 2000m`);
  return { fits: reasons.length === 0, reasons };
}
