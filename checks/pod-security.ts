/**
 * The `restricted` Pod Security Standard as a function over a pod spec, for checking the pods
 * the stacks define (kubernetes.io/docs/concepts/security/pod-security-standards). Reads both
 * the provider's snake_case (synthesized JSON) and the API's camelCase (Helm values).
 */
type Json = Record<string, any>;
/** A block as cdktf writes it (one object or a list) as a list. */
export const blockList = (v: unknown): any[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);

/** Violations of `restricted` for one pod: pod-level and container-level (snake_case or camelCase). */
export function restrictedViolations(pod: Json, containers: Json[], volumes: Json[]): string[] {
  const get = (o: Json | undefined, snake: string) => (o ? (o[snake] ?? o[snake.replace(/_([a-z])/g, (_, c) => c.toUpperCase())]) : undefined);
  const podSc = blockList(get(pod, 'security_context'))[0] ?? {};
  const out: string[] = [];
  for (const key of ['host_network', 'host_pid', 'host_ipc']) if (get(pod, key) === true) out.push(`pod ${key}`);
  for (const v of volumes) if (get(v, 'host_path')) out.push(`hostPath volume ${v.name}`);
  for (const c of containers) {
    const sc = blockList(get(c, 'security_context'))[0] ?? {};
    const where = `container ${c.name}`;
    // Baseline (and so restricted) forbids host ports.
    for (const port of blockList(get(c, 'port') ?? get(c, 'ports'))) if (Number(get(port, 'host_port') ?? 0) > 0) out.push(`${where}: hostPort ${get(port, 'host_port')}`);
    if (get(sc, 'privileged') === true) out.push(`${where}: privileged`);
    if (get(sc, 'allow_privilege_escalation') !== false) out.push(`${where}: allowPrivilegeEscalation must be false`);
    const caps = blockList(get(sc, 'capabilities'))[0] ?? {};
    if (!blockList(caps.drop).includes('ALL')) out.push(`${where}: capabilities must drop ALL`);
    if (blockList(caps.add).some((c: string) => c !== 'NET_BIND_SERVICE')) out.push(`${where}: adds capabilities`);
    const nonRoot = get(sc, 'run_as_non_root') ?? get(podSc, 'run_as_non_root');
    if (nonRoot !== true) out.push(`${where}: runAsNonRoot must be true`);
    if (String(get(sc, 'run_as_user') ?? get(podSc, 'run_as_user')) === '0') out.push(`${where}: runs as uid 0`);
    const seccomp = blockList(get(sc, 'seccomp_profile'))[0] ?? blockList(get(podSc, 'seccomp_profile'))[0];
    if (!['RuntimeDefault', 'Localhost'].includes(seccomp?.type)) out.push(`${where}: seccompProfile must be RuntimeDefault or Localhost`);
  }
  return out;
}

/** ECK's Kibana pod rendering facts (checks/upstream/eck-kibana-pod.json, read at the pinned operator tag). */
export interface EckKibanaPodFacts {
  mainContainer: string;
  initContainers: string[];
  defaultPodSecurityContext: Json;
  defaultContainerSecurityContext: Json;
  emptyDirVolumes: Record<string, string>;
}

/**
 * The pod ECK creates from eck-kibana values (camelCase, as the chart passes `podTemplate` to the
 * Kibana resource): ECK's pod security context unless the template sets one, its container
 * default on every container and init container that sets none, its emptyDir volumes.
 */
export function eckKibanaPod(values: Json, facts: EckKibanaPodFacts): { pod: Json; containers: Json[]; volumes: Json[] } {
  const spec = values.podTemplate?.spec ?? {};
  const given = new Map<string, Json>(blockList(spec.containers).map((c: Json) => [c.name, c]));
  const withDefault = (name: string): Json => ({ ...given.get(name), name, securityContext: given.get(name)?.securityContext ?? facts.defaultContainerSecurityContext });
  const containers = [...new Set([facts.mainContainer, ...given.keys()])].map(withDefault);
  const initContainers = facts.initContainers.map(withDefault);
  const volumes = [...blockList(spec.volumes), ...Object.keys(facts.emptyDirVolumes).map((name) => ({ name, emptyDir: {} }))];
  return { pod: { securityContext: spec.securityContext ?? facts.defaultPodSecurityContext }, containers: [...containers, ...initContainers], volumes };
}
