/**
 * Kubernetes NetworkPolicy (networking.k8s.io/v1) semantics over the synthesized stacks: the
 * `kubernetes_network_policy_v1` resources of every cdk.tf.json, read the way Terraform will
 * (templates resolved with `resolveTemplate`), and an evaluator that answers "may pod A reach
 * pod B on this port?" for a hand-described world of namespaces and pods.
 *
 * Pods are identified by their labels and namespace only: `ip_block` peers never match a pod.
 * Anything Kubernetes would reject or that cannot be evaluated (an unknown selector operator,
 * a namespace that is not a literal, a namespace the world does not list) is an error, never a
 * silent deny.
 */
import { readStacks, resolveTemplate, StackJson } from '../ops/terraform-json';

type Json = Record<string, any>;

/** A Kubernetes label selector; an empty selector (`{}`) selects everything. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}

/** One `kubernetes_network_policy_v1` of one stack, with every value resolved. */
export interface NetworkPolicy {
  /** The stack (cdktf.out/stacks/<stack>) that declares it. */
  stack: string;
  /** Terraform address, e.g. `kubernetes_network_policy_v1.allow-frontend`. */
  address: string;
  name: string;
  namespace: string;
  /** Selects the pods of `namespace` the policy applies to. */
  podSelector: LabelSelector;
  /** As given, or Kubernetes' default: Ingress, plus Egress if there are egress rules. */
  policyTypes: ('Ingress' | 'Egress')[];
  ingress: Rule[];
  egress: Rule[];
}

/** An ingress or egress rule; empty `peers` = all sources/destinations, empty `ports` = all ports. */
export interface Rule {
  peers: Peer[];
  ports: PortRule[];
}

/** A `from`/`to` block. Selectors present together are ANDed; an ipBlock never matches a pod here. */
export interface Peer {
  namespaceSelector?: LabelSelector;
  podSelector?: LabelSelector;
  ipBlock?: { cidr: string; except?: string[] };
}

/** A `ports` block: no port = every port of the protocol; a string port is a named port of the destination pod. */
export interface PortRule {
  port?: number | string;
  endPort?: number;
  protocol: 'TCP' | 'UDP' | 'SCTP';
}

/** A namespace of the modelled cluster; the evaluator adds `kubernetes.io/metadata.name=<name>` itself, as Kubernetes does. */
export interface NamespaceModel {
  name: string;
  labels: Record<string, string>;
}

/** A pod of the modelled cluster; `namedPorts` maps container port names to numbers. */
export interface PodModel {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  namedPorts?: Record<string, number>;
}

/** Whether a flow is allowed, and why: the policies that selected the pods and the rule that admitted it, or why nothing did. */
export interface Verdict {
  allowed: boolean;
  reason: string;
}

const TYPE = 'kubernetes_network_policy_v1';
const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;
const PROTOCOLS = ['TCP', 'UDP', 'SCTP'] as const;

// ---------------------------------------------------------------------------------------------
// Reading the synthesized JSON
// ---------------------------------------------------------------------------------------------

/** Every `kubernetes_network_policy_v1` of every stack, resolved (remote-state references included). */
export function policiesFromStacks(stacks: Record<string, StackJson>): NetworkPolicy[] {
  return Object.entries(stacks).flatMap(([stack, json]) =>
    Object.entries<Json>((json.resource?.[TYPE] ?? {}) as Record<string, Json>).map(([id, resource]) => readPolicy(stack, `${TYPE}.${id}`, resource, stacks)),
  );
}

/** The policies of every stack of a synthesized output directory (its manifest.json lists them). */
export function policiesFromOutdir(outdir: string): NetworkPolicy[] {
  return policiesFromStacks(readStacks(outdir));
}

/** Reads one resource; `where` prefixes every error with the stack and policy address. */
function readPolicy(stack: string, address: string, resource: Json, stacks: Record<string, StackJson>): NetworkPolicy {
  const where = `stack ${stack}: ${address}`;
  const fail = (path: string, message: string): never => {
    throw new Error(`${where}: ${path}: ${message}`);
  };
  /** A string as Terraform evaluates it; an error if any part is only known after apply. */
  const literal = (value: unknown, path: string): string => {
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    if (typeof value !== 'string') return fail(path, `expected a string, got ${JSON.stringify(value)}`);
    const resolved = resolveTemplate(value, stack, stacks, 'placeholder');
    if (isPlaceholder(resolved)) fail(path, `${JSON.stringify(value)} does not resolve to a literal (only known after apply: ${resolved})`);
    return resolved;
  };
  const selector = (value: unknown, path: string): LabelSelector | undefined => {
    const block = single(value, path, fail);
    if (!block) return undefined;
    const out: LabelSelector = {};
    if (block.match_labels != null) {
      if (typeof block.match_labels !== 'object' || Array.isArray(block.match_labels)) fail(`${path}.match_labels`, 'expected a map');
      out.matchLabels = Object.fromEntries(Object.entries<unknown>(block.match_labels).map(([k, v]) => [k, literal(v, `${path}.match_labels.${k}`)]));
    }
    const expressions = blocks(block.match_expressions, `${path}.match_expressions`, fail);
    if (expressions.length) {
      out.matchExpressions = expressions.map((e, i) => {
        const at = `${path}.match_expressions[${i}]`;
        const key = e.key == null ? fail(at, 'no key') : literal(e.key, `${at}.key`);
        const operator = literal(e.operator ?? '', `${at}.operator`);
        if (!(OPERATORS as readonly string[]).includes(operator)) fail(`${at}.operator`, `unknown operator ${JSON.stringify(operator)} (expected one of ${OPERATORS.join(', ')})`);
        if (e.values != null && !Array.isArray(e.values)) fail(`${at}.values`, 'expected a list');
        const values = ((e.values ?? []) as unknown[]).map((v, j) => literal(v, `${at}.values[${j}]`));
        const expression = { key, operator: operator as (typeof OPERATORS)[number], ...(values.length ? { values } : {}) };
        const invalid = expressionError(expression);
        if (invalid) fail(at, invalid);
        return expression;
      });
    }
    return out;
  };
  const peer = (block: Json, path: string): Peer => {
    const out: Peer = {};
    const namespaceSelector = selector(block.namespace_selector, `${path}.namespace_selector`);
    const podSelector = selector(block.pod_selector, `${path}.pod_selector`);
    const ip = single(block.ip_block, `${path}.ip_block`, fail);
    if (namespaceSelector) out.namespaceSelector = namespaceSelector;
    if (podSelector) out.podSelector = podSelector;
    if (ip) {
      if (namespaceSelector || podSelector) fail(path, 'ip_block cannot be combined with pod_selector or namespace_selector');
      const except = ((ip.except ?? []) as unknown[]).map((c, j) => literal(c, `${path}.ip_block.except[${j}]`));
      out.ipBlock = { cidr: literal(ip.cidr, `${path}.ip_block.cidr`), ...(except.length ? { except } : {}) };
    }
    if (!namespaceSelector && !podSelector && !ip) fail(path, 'a peer needs pod_selector, namespace_selector or ip_block (Kubernetes rejects an empty one)');
    return out;
  };
  const port = (block: Json, path: string): PortRule => {
    const protocol = block.protocol == null ? 'TCP' : literal(block.protocol, `${path}.protocol`);
    if (!(PROTOCOLS as readonly string[]).includes(protocol)) fail(`${path}.protocol`, `unknown protocol ${JSON.stringify(protocol)} (expected one of ${PROTOCOLS.join(', ')})`);
    const out: PortRule = { protocol: protocol as PortRule['protocol'] };
    if (block.port != null) {
      const text = literal(block.port, `${path}.port`);
      if (/^\d+$/.test(text)) {
        out.port = Number(text);
        if (out.port < 1 || out.port > 65535) fail(`${path}.port`, `${text} is not a port number`);
      } else if (/^(?=.*[a-z])[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$/.test(text) && !text.includes('--')) {
        out.port = text;
      } else fail(`${path}.port`, `${JSON.stringify(text)} is neither a port number nor a port name`);
    }
    if (block.end_port != null) {
      const text = literal(block.end_port, `${path}.end_port`);
      if (!/^\d+$/.test(text)) fail(`${path}.end_port`, `${JSON.stringify(text)} is not a number`);
      if (typeof out.port !== 'number') fail(`${path}.end_port`, 'end_port needs a numeric port');
      out.endPort = Number(text);
      if (out.endPort < (out.port as number) || out.endPort > 65535) fail(`${path}.end_port`, `${text} is not in ${out.port}..65535`);
    }
    return out;
  };
  const rules = (value: unknown, kind: 'ingress' | 'egress'): Rule[] =>
    blocks(value, `spec.${kind}`, fail).map((rule, i) => {
      const peerKey = kind === 'ingress' ? 'from' : 'to';
      return {
        peers: blocks(rule[peerKey], `spec.${kind}[${i}].${peerKey}`, fail).map((p, j) => peer(p, `spec.${kind}[${i}].${peerKey}[${j}]`)),
        ports: blocks(rule.ports, `spec.${kind}[${i}].ports`, fail).map((p, j) => port(p, `spec.${kind}[${i}].ports[${j}]`)),
      };
    });

  const metadata = single(resource.metadata, 'metadata', fail) ?? fail('metadata', 'missing');
  const spec = single(resource.spec, 'spec', fail) ?? fail('spec', 'missing');
  // The provider sends "default" when no namespace is given.
  const namespace = metadata.namespace == null ? 'default' : literal(metadata.namespace, 'metadata.namespace');
  if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(namespace)) fail('metadata.namespace', `${JSON.stringify(namespace)} is not a namespace name`);
  const name = metadata.name == null ? address : resolveTemplate(String(metadata.name), stack, stacks, 'placeholder');
  const ingress = rules(spec.ingress, 'ingress');
  const egress = rules(spec.egress, 'egress');
  const given = ((spec.policy_types ?? []) as unknown[]).map((t, i) => literal(t, `spec.policy_types[${i}]`));
  for (const t of given) if (t !== 'Ingress' && t !== 'Egress') fail('spec.policy_types', `unknown policy type ${JSON.stringify(t)}`);
  // Kubernetes defaults empty policyTypes to Ingress, plus Egress when there are egress rules.
  const types = given.length ? given : ['Ingress', ...(egress.length ? ['Egress'] : [])];
  return {
    stack,
    address,
    name,
    namespace,
    podSelector: selector(spec.pod_selector, 'spec.pod_selector') ?? fail('spec.pod_selector', 'missing (use an empty block to select every pod)'),
    policyTypes: (['Ingress', 'Egress'] as const).filter((t) => types.includes(t)),
    ingress,
    egress,
  };
}

/** What resolveTemplate writes for a value only known after apply. */
function isPlaceholder(resolved: string): boolean {
  return /placeholder-[0-9a-f]{8}/.test(resolved) || /(^|[^0-9a-f])[0-9a-f]{64}($|[^0-9a-f])/.test(resolved);
}

/** A nested block as cdktf writes it (object or array of objects) → array; absent → []. */
function blocks(value: unknown, path: string, fail: (path: string, message: string) => never): Json[] {
  if (value == null) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((b, i) => (b != null && typeof b === 'object' && !Array.isArray(b) ? (b as Json) : fail(`${path}[${i}]`, `expected a block, got ${JSON.stringify(b)}`)));
}

/** A block with at most one item (max_items = 1): the block, or undefined when absent. */
function single(value: unknown, path: string, fail: (path: string, message: string) => never): Json | undefined {
  const list = blocks(value, path, fail);
  if (list.length > 1) fail(path, `at most one block allowed, got ${list.length}`);
  return list[0];
}

// ---------------------------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------------------------

/** Why a selector requirement is invalid (as metav1.LabelSelectorAsSelector would reject it), or undefined. */
function expressionError(e: { key: string; operator: string; values?: string[] }): string | undefined {
  const n = e.values?.length ?? 0;
  if (!e.key) return 'empty key';
  if (e.operator === 'In' || e.operator === 'NotIn') return n ? undefined : `operator ${e.operator} needs values`;
  if (e.operator === 'Exists' || e.operator === 'DoesNotExist') return n ? `operator ${e.operator} takes no values` : undefined;
  return `unknown operator ${JSON.stringify(e.operator)} (expected one of ${OPERATORS.join(', ')})`;
}

/** Whether a label selector selects an object with these labels (matchLabels AND matchExpressions). */
function selects(selector: LabelSelector, labels: Record<string, string>, context: string): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const invalid = expressionError(e);
    if (invalid) throw new Error(`${context}: match_expressions on ${JSON.stringify(e.key)}: ${invalid}`);
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const ok =
      e.operator === 'In' ? has && e.values!.includes(labels[e.key])
      : e.operator === 'NotIn' ? !has || !e.values!.includes(labels[e.key])
      : e.operator === 'Exists' ? has
      : !has;
    if (!ok) return false;
  }
  return true;
}

function policyLabel(p: NetworkPolicy): string {
  return `${p.namespace}/${p.name} (${p.stack}: ${p.address})`;
}

function pod(p: PodModel): string {
  return `${p.namespace}/${p.name}`;
}

/**
 * Whether `from` may open a connection to `to` on `port`/`protocol` (default TCP): ingress to
 * `to` must be allowed by the policies of its namespace AND egress from `from` by those of its
 * namespace, each exactly as Kubernetes NetworkPolicy v1 defines it.
 */
export function canReach(world: { namespaces: NamespaceModel[]; policies: NetworkPolicy[] }, from: PodModel, to: PodModel, port: number, protocol: 'TCP' | 'UDP' = 'TCP'): Verdict {
  const namespaces = new Map<string, Record<string, string>>();
  for (const ns of world.namespaces) {
    if (namespaces.has(ns.name)) throw new Error(`namespace ${ns.name} is listed twice in the world`);
    namespaces.set(ns.name, { ...ns.labels, 'kubernetes.io/metadata.name': ns.name });
  }
  for (const p of [from, to]) if (!namespaces.has(p.namespace)) throw new Error(`pod ${pod(p)}: namespace ${p.namespace} is not in the world (${[...namespaces.keys()].join(', ') || 'none listed'})`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${port} is not a port number`);

  const flow = `${port}/${protocol}`;
  /** One direction: the policies of `subject`'s namespace of this type that select it, and their rules against `peer`. */
  const direction = (kind: 'Ingress' | 'Egress', subject: PodModel, peer: PodModel): { allowed: boolean; reason: string } => {
    const key = kind === 'Ingress' ? 'ingress' : 'egress';
    const peerKey = kind === 'Ingress' ? 'from' : 'to';
    const what = kind === 'Ingress' ? `ingress to ${pod(to)} from ${pod(from)} on ${flow}` : `egress from ${pod(from)} to ${pod(to)} on ${flow}`;
    const selecting = world.policies.filter((p) => p.policyTypes.includes(kind) && p.namespace === subject.namespace && selects(p.podSelector, subject.labels, policyLabel(p)));
    if (!selecting.length) return { allowed: true, reason: `${what}: unrestricted, no policy with type ${kind} selects ${pod(subject)}` };
    const admitted: string[] = [];
    const misses: string[] = [];
    for (const p of selecting) {
      const rules = p[key];
      if (!rules.length) misses.push(`${policyLabel(p)} has no ${key} rules`);
      rules.forEach((rule, i) => {
        const peerMatch = rule.peers.length ? rule.peers.findIndex((q) => peerMatches(q, p, peer, namespaces)) : -1;
        const portMatch = rule.ports.length ? rule.ports.findIndex((r) => portMatches(r, to, port, protocol)) : -1;
        const peersOk = !rule.peers.length || peerMatch >= 0;
        const portsOk = !rule.ports.length || portMatch >= 0;
        const rulePath = `${policyLabel(p)} ${key}[${i}]`;
        if (peersOk && portsOk) {
          const peerText = rule.peers.length ? `${peerKey}[${peerMatch}]` : `any ${kind === 'Ingress' ? 'source' : 'destination'}`;
          const portText = rule.ports.length ? `ports[${portMatch}]` : 'any port';
          admitted.push(`${rulePath} (${peerText}, ${portText})`);
        } else {
          misses.push(`${rulePath}: ${[!peersOk ? `no ${peerKey} matches ${pod(peer)}` : '', !portsOk ? `no ports entry matches ${flow}` : ''].filter(Boolean).join(' and ')}`);
        }
      });
    }
    const selected = `selected by ${selecting.map(policyLabel).join(', ')}`;
    if (admitted.length) return { allowed: true, reason: `${what}: allowed by ${admitted.join('; also by ')} [${selected}]` };
    return { allowed: false, reason: `${what}: denied, ${selected}, and no ${key} rule admits it [${misses.join('; ')}]` };
  };

  const ingress = direction('Ingress', to, from);
  const egress = direction('Egress', from, to);
  const allowed = ingress.allowed && egress.allowed;
  return { allowed, reason: `${allowed ? 'allowed' : 'denied'}: ${ingress.reason}; ${egress.reason}` };
}

/** Whether a peer of `policy`'s rule matches `pod`: selectors ANDed; podSelector alone = the policy's namespace. */
function peerMatches(peer: Peer, policy: NetworkPolicy, target: PodModel, namespaces: Map<string, Record<string, string>>): boolean {
  if (!peer.namespaceSelector && !peer.podSelector) {
    if (peer.ipBlock) return false; // pods are identified by labels only here
    throw new Error(`${policyLabel(policy)}: a peer without pod_selector, namespace_selector or ip_block`);
  }
  const context = policyLabel(policy);
  const namespaceOk = peer.namespaceSelector ? selects(peer.namespaceSelector, namespaces.get(target.namespace)!, context) : target.namespace === policy.namespace;
  return namespaceOk && (!peer.podSelector || selects(peer.podSelector, target.labels, context));
}

/** Whether a ports entry matches the destination port; named ports resolve through the destination pod. */
function portMatches(rule: PortRule, destination: PodModel, port: number, protocol: string): boolean {
  if ((rule.protocol ?? 'TCP') !== protocol) return false;
  if (rule.port === undefined) return true;
  if (typeof rule.port === 'string' && !/^\d+$/.test(rule.port)) return destination.namedPorts?.[rule.port] === port;
  const first = Number(rule.port);
  return rule.endPort === undefined ? first === port : first <= port && port <= rule.endPort;
}
