import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canReach, NamespaceModel, NetworkPolicy, PodModel, policiesFromOutdir, policiesFromStacks } from '../checks/network-policies';
import { StackJson } from '../ops/terraform-json';

type Json = Record<string, any>;

// The namespace of most policies is a reference to the stack's namespace resource, as our stacks write it.
const WEB = '${kubernetes_namespace_v1.web.metadata[0].name}';

/** The policies of one stack `app` holding a `web` namespace resource and these network policies. */
function policies(resources: Record<string, Json>): NetworkPolicy[] {
  const stack: StackJson = { resource: { kubernetes_namespace_v1: { web: { metadata: { name: 'web' } } }, kubernetes_network_policy_v1: resources } };
  return policiesFromStacks({ app: stack });
}

const namespaces: NamespaceModel[] = [
  { name: 'web', labels: { team: 'web', env: 'prod' } },
  { name: 'shop', labels: { team: 'shop', env: 'prod' } },
  { name: 'dev', labels: { env: 'dev' } },
  { name: 'tools', labels: {} },
];
const api: PodModel = { name: 'api', namespace: 'web', labels: { app: 'api', tier: 'backend' }, namedPorts: { http: 8080, metrics: 9090 } };
const webClient: PodModel = { name: 'client', namespace: 'web', labels: { app: 'client' } };
const shopClient: PodModel = { name: 'client', namespace: 'shop', labels: { app: 'client' } };
const shopOther: PodModel = { name: 'other', namespace: 'shop', labels: { app: 'other' } };
const devClient: PodModel = { name: 'client', namespace: 'dev', labels: { app: 'client' } };
const toolsPod: PodModel = { name: 'debug', namespace: 'tools', labels: { app: 'debug', tier: 'ops' } };

const reach = (ps: NetworkPolicy[], from: PodModel, to: PodModel, port = 8080, protocol?: 'TCP' | 'UDP') => canReach({ namespaces, policies: ps }, from, to, port, protocol);
const allowed = (ps: NetworkPolicy[], from: PodModel, to: PodModel, port = 8080, protocol?: 'TCP' | 'UDP') => reach(ps, from, to, port, protocol).allowed;

/** A policy selecting the api pod with these ingress rules (object-form blocks). */
const apiIngress = (ingress: unknown, extra: Json = {}) => ({
  metadata: { name: 'api-ingress', namespace: WEB },
  spec: { pod_selector: { match_labels: { app: 'api' } }, policy_types: ['Ingress'], ingress, ...extra },
});

describe('reading kubernetes_network_policy_v1 from synthesized JSON', () => {
  const objectForm = {
    metadata: { name: 'allow', namespace: WEB },
    spec: {
      pod_selector: { match_labels: { app: 'api' } },
      policy_types: ['Ingress', 'Egress'],
      ingress: { from: { namespace_selector: { match_labels: { team: 'shop' } }, pod_selector: { match_expressions: { key: 'app', operator: 'In', values: ['client'] } } }, ports: { port: '8080', protocol: 'TCP' } },
      egress: { to: { ip_block: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }, ports: { port: 'dns', protocol: 'UDP' } },
    },
  };
  const arrayForm = {
    metadata: [{ name: 'allow', namespace: WEB }],
    spec: [
      {
        pod_selector: [{ match_labels: { app: 'api' } }],
        policy_types: ['Ingress', 'Egress'],
        ingress: [{ from: [{ namespace_selector: [{ match_labels: { team: 'shop' } }], pod_selector: [{ match_expressions: [{ key: 'app', operator: 'In', values: ['client'] }] }] }], ports: [{ port: '8080', protocol: 'TCP' }] }],
        egress: [{ to: [{ ip_block: [{ cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] }] }], ports: [{ port: 'dns', protocol: 'UDP' }] }],
      },
    ],
  };

  it('reads the object and the array block forms to the same policy, namespace resolved through the namespace resource', () => {
    const [a, b] = policies({ obj: objectForm, arr: arrayForm });
    const expected = {
      stack: 'app',
      name: 'allow',
      namespace: 'web',
      podSelector: { matchLabels: { app: 'api' } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ peers: [{ namespaceSelector: { matchLabels: { team: 'shop' } }, podSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['client'] }] } }], ports: [{ port: 8080, protocol: 'TCP' }] }],
      egress: [{ peers: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }], ports: [{ port: 'dns', protocol: 'UDP' }] }],
    };
    expect(a).toEqual({ ...expected, address: 'kubernetes_network_policy_v1.obj' });
    expect(b).toEqual({ ...expected, address: 'kubernetes_network_policy_v1.arr' });
  });

  it('defaults omitted policy_types to Ingress, plus Egress when there are egress rules, and an omitted protocol to TCP', () => {
    const ps = policies({
      ingressOnly: { metadata: { name: 'i', namespace: 'web' }, spec: { pod_selector: {}, ingress: { ports: { port: '80' } } } },
      both: { metadata: { name: 'b', namespace: 'web' }, spec: { pod_selector: {}, egress: [{ ports: [{ port: '53', protocol: 'UDP' }] }] } },
    });
    expect(ps.map((p) => p.policyTypes)).toEqual([['Ingress'], ['Ingress', 'Egress']]);
    expect(ps[0].ingress[0].ports).toEqual([{ port: 80, protocol: 'TCP' }]);
    // Defaulted Ingress with no ingress rules denies ingress to every pod of web.
    expect(allowed(ps, shopClient, api)).toBe(false);
  });

  it('resolves a namespace from another stack through remote state', () => {
    const stacks: Record<string, StackJson> = {
      base: { output: { ns: { value: '${kubernetes_namespace_v1.n.metadata[0].name}' } }, resource: { kubernetes_namespace_v1: { n: { metadata: { name: 'shop' } } } } },
      app: { resource: { kubernetes_network_policy_v1: { p: { metadata: { name: 'p', namespace: '${data.terraform_remote_state.cross-stack-reference-input-base.outputs.ns}' }, spec: { pod_selector: {}, policy_types: ['Ingress'] } } } } },
    };
    expect(policiesFromStacks(stacks).map((p) => [p.stack, p.namespace])).toEqual([['app', 'shop']]);
  });

  it('throws, naming the stack and the policy, when a namespace only resolves after apply', () => {
    const stacks: Record<string, StackJson> = {
      app: { resource: { random_pet: { ns: {} }, kubernetes_network_policy_v1: { deny: { metadata: { name: 'deny', namespace: '${random_pet.ns.id}' }, spec: { pod_selector: {}, policy_types: ['Ingress'] } } } } },
    };
    expect(() => policiesFromStacks(stacks)).toThrow(/stack app: kubernetes_network_policy_v1\.deny: metadata\.namespace: .* does not resolve to a literal/);
    const missing = { metadata: { name: 'x', namespace: '${kubernetes_namespace_v1.nope.metadata[0].name}' }, spec: { pod_selector: {}, policy_types: ['Ingress'] } };
    expect(() => policies({ missing })).toThrow(/stack app: kubernetes_network_policy_v1\.missing: metadata\.namespace/);
  });

  it('throws on an unknown operator while reading, naming where', () => {
    const bad = apiIngress({ from: { pod_selector: { match_expressions: { key: 'app', operator: 'Contains', values: ['x'] } } } });
    expect(() => policies({ bad })).toThrow(/kubernetes_network_policy_v1\.bad: spec\.ingress\[0\]\.from\[0\]\.pod_selector\.match_expressions\[0\]\.operator: unknown operator "Contains"/);
  });

  it('reads the stacks of a synthesized outdir (manifest.json, stacks/*/cdk.tf.json)', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'netpol-'));
    try {
      mkdirSync(join(outdir, 'stacks', 'one'), { recursive: true });
      mkdirSync(join(outdir, 'stacks', 'two'), { recursive: true });
      writeFileSync(join(outdir, 'stacks', 'one', 'cdk.tf.json'), JSON.stringify({ resource: { kubernetes_network_policy_v1: { a: { metadata: { name: 'a', namespace: 'web' }, spec: { pod_selector: {}, policy_types: ['Ingress'] } } } } }));
      writeFileSync(join(outdir, 'stacks', 'two', 'cdk.tf.json'), JSON.stringify({ resource: { kubernetes_namespace_v1: {} } }));
      // cdktf synth lists the stacks in manifest.json.
      writeFileSync(join(outdir, 'manifest.json'), JSON.stringify({ stacks: { one: { name: 'one', dependencies: [] }, two: { name: 'two', dependencies: [] } } }));
      expect(policiesFromOutdir(outdir).map((p) => `${p.stack}/${p.address}/${p.namespace}`)).toEqual(['one/kubernetes_network_policy_v1.a/web']);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});

describe('canReach: Kubernetes NetworkPolicy semantics', () => {
  const defaultDeny = { metadata: { name: 'default-deny', namespace: WEB }, spec: { pod_selector: {}, policy_types: ['Ingress'] } };

  it('allows everything when no policy selects either pod', () => {
    const v = reach([], shopClient, api);
    expect(v.allowed).toBe(true);
    expect(v.reason).toMatch(/no policy with type Ingress selects web\/api/);
    expect(v.reason).toMatch(/no policy with type Egress selects shop\/client/);
  });

  it('default-deny (empty pod_selector, Ingress, no rules) denies ingress in its namespace only', () => {
    const ps = policies({ 'default-deny': defaultDeny });
    const v = reach(ps, shopClient, api);
    expect(v.allowed).toBe(false);
    expect(v.reason).toContain('selected by web/default-deny (app: kubernetes_network_policy_v1.default-deny)');
    expect(v.reason).toContain('has no ingress rules');
    expect(allowed(ps, webClient, api)).toBe(false); // also from its own namespace
    expect(allowed(ps, api, shopClient)).toBe(true); // egress from web and ingress to shop are not restricted
  });

  it('a policy only restricts pods its pod_selector selects, in its own namespace', () => {
    const ps = policies({ onlyApi: apiIngress([]) });
    expect(allowed(ps, shopClient, api)).toBe(false);
    expect(allowed(ps, shopClient, webClient)).toBe(true); // web/client is not app=api
    // tools/debug has app=debug, shop/other app=other: neither selected; a pod labelled app=api elsewhere is not either.
    expect(allowed(ps, toolsPod, { name: 'api', namespace: 'shop', labels: { app: 'api' } })).toBe(true);
  });

  it('an empty ingress rule admits every source on every port', () => {
    const ps = policies({ deny: defaultDeny, all: apiIngress({}) });
    expect(allowed(ps, devClient, api, 1234)).toBe(true);
    expect(allowed(ps, devClient, webClient, 1234)).toBe(false); // only api is opened
  });

  it('namespace_selector and pod_selector in one from block are ANDed', () => {
    const ps = policies({ and: apiIngress({ from: { namespace_selector: { match_labels: { team: 'shop' } }, pod_selector: { match_labels: { app: 'client' } } } }) });
    expect(allowed(ps, shopClient, api)).toBe(true);
    expect(allowed(ps, shopOther, api)).toBe(false); // right namespace, wrong pod
    expect(allowed(ps, devClient, api)).toBe(false); // right pod, wrong namespace
    expect(allowed(ps, webClient, api)).toBe(false); // the policy's own namespace is not special here
  });

  it('two from blocks are ORed, and a pod_selector-only peer means pods of the policy namespace', () => {
    const ps = policies({ or: apiIngress([{ from: [{ namespace_selector: [{ match_labels: { team: 'shop' } }] }, { pod_selector: [{ match_labels: { app: 'client' } }] }] }]) });
    expect(allowed(ps, shopOther, api)).toBe(true); // any pod of a team=shop namespace
    expect(allowed(ps, webClient, api)).toBe(true); // app=client in web, the policy's namespace
    expect(allowed(ps, devClient, api)).toBe(false); // app=client, but not in web and dev is not team=shop
  });

  it('a pod_selector-only peer is scoped to the policy namespace; with an empty namespace_selector it spans all namespaces', () => {
    const scoped = policies({ p: apiIngress({ from: { pod_selector: { match_labels: { app: 'client' } } } }) });
    expect(allowed(scoped, webClient, api)).toBe(true);
    expect(allowed(scoped, shopClient, api)).toBe(false);
    const everywhere = policies({ p: apiIngress({ from: { pod_selector: { match_labels: { app: 'client' } }, namespace_selector: {} } }) });
    expect(allowed(everywhere, shopClient, api)).toBe(true);
    expect(allowed(everywhere, devClient, api)).toBe(true);
    expect(allowed(everywhere, shopOther, api)).toBe(false);
  });

  it('an empty namespace_selector alone admits every pod; an empty pod_selector alone every pod of the policy namespace', () => {
    const anyNs = policies({ p: apiIngress({ from: { namespace_selector: {} } }) });
    expect(allowed(anyNs, toolsPod, api)).toBe(true);
    const ownNs = policies({ p: apiIngress({ from: { pod_selector: {} } }) });
    expect(allowed(ownNs, webClient, api)).toBe(true);
    expect(allowed(ownNs, toolsPod, api)).toBe(false);
  });

  it('namespace selectors see the kubernetes.io/metadata.name label the evaluator adds', () => {
    const ps = policies({ p: apiIngress({ from: { namespace_selector: { match_labels: { 'kubernetes.io/metadata.name': 'dev' } } } }) });
    expect(allowed(ps, devClient, api)).toBe(true);
    expect(allowed(ps, shopClient, api)).toBe(false);
  });

  it('an ip_block peer never matches a pod', () => {
    const ps = policies({ p: apiIngress({ from: { ip_block: { cidr: '0.0.0.0/0' } } }) });
    expect(allowed(ps, shopClient, api)).toBe(false);
  });

  it('matches numeric ports and end_port ranges', () => {
    const ps = policies({
      p: apiIngress([{ ports: [{ port: '8080' }] }, { ports: [{ port: '9000', end_port: 9100, protocol: 'TCP' }] }]),
    });
    expect(allowed(ps, shopClient, api, 8080)).toBe(true);
    expect(allowed(ps, shopClient, api, 8081)).toBe(false);
    expect(allowed(ps, shopClient, api, 9000)).toBe(true);
    expect(allowed(ps, shopClient, api, 9100)).toBe(true);
    expect(allowed(ps, shopClient, api, 8999)).toBe(false);
    expect(allowed(ps, shopClient, api, 9101)).toBe(false);
    expect(reach(ps, shopClient, api, 9050).reason).toContain('api-ingress (app: kubernetes_network_policy_v1.p) ingress[1] (any source, ports[0])');
  });

  it('resolves named ports through the destination pod', () => {
    const ps = policies({ p: apiIngress({ ports: { port: 'http' } }), q: { metadata: { name: 'q', namespace: 'web' }, spec: { pod_selector: { match_labels: { app: 'client' } }, policy_types: ['Ingress'], ingress: { ports: { port: 'http' } } } } });
    expect(allowed(ps, shopClient, api, 8080)).toBe(true); // api: http = 8080
    expect(allowed(ps, shopClient, api, 9090)).toBe(false); // that is metrics
    expect(allowed(ps, shopClient, webClient, 8080)).toBe(false); // web/client has no port named http
  });

  it('requires the protocol to match, TCP by default', () => {
    const ps = policies({ p: apiIngress([{ ports: { port: '53', protocol: 'UDP' } }, { ports: { port: '8080' } }]) });
    expect(allowed(ps, shopClient, api, 53, 'UDP')).toBe(true);
    expect(allowed(ps, shopClient, api, 53, 'TCP')).toBe(false);
    expect(allowed(ps, shopClient, api, 53)).toBe(false); // canReach defaults to TCP
    expect(allowed(ps, shopClient, api, 8080)).toBe(true);
    expect(allowed(ps, shopClient, api, 8080, 'UDP')).toBe(false); // the rule's protocol defaults to TCP
  });

  describe('match_expressions operators', () => {
    const expr = (operator: string, values?: string[]) => policies({ p: apiIngress({ from: { namespace_selector: {}, pod_selector: { match_expressions: { key: 'tier', operator, ...(values ? { values } : {}) } } } }) });
    const frontend: PodModel = { name: 'fe', namespace: 'shop', labels: { tier: 'frontend' } };
    const batch: PodModel = { name: 'batch', namespace: 'shop', labels: { tier: 'batch' } };
    const untiered = shopClient;

    it('In: the label is present with one of the values', () => {
      const ps = expr('In', ['frontend', 'ops']);
      expect([frontend, batch, untiered, toolsPod].map((p) => allowed(ps, p, api))).toEqual([true, false, false, true]);
    });
    it('NotIn: the label is absent or has none of the values', () => {
      const ps = expr('NotIn', ['frontend']);
      expect([frontend, batch, untiered].map((p) => allowed(ps, p, api))).toEqual([false, true, true]);
    });
    it('Exists: the label is present', () => {
      const ps = expr('Exists');
      expect([frontend, batch, untiered].map((p) => allowed(ps, p, api))).toEqual([true, true, false]);
    });
    it('DoesNotExist: the label is absent', () => {
      const ps = expr('DoesNotExist');
      expect([frontend, batch, untiered].map((p) => allowed(ps, p, api))).toEqual([false, false, true]);
    });
    it('expressions and match_labels are ANDed, also on namespace selectors and on the policy pod_selector', () => {
      const ps = policies({
        p: {
          metadata: { name: 'p', namespace: WEB },
          spec: {
            pod_selector: { match_expressions: [{ key: 'tier', operator: 'In', values: ['backend'] }] },
            policy_types: ['Ingress'],
            ingress: { from: { namespace_selector: { match_labels: { env: 'prod' }, match_expressions: { key: 'team', operator: 'NotIn', values: ['web'] } } } },
          },
        },
      });
      expect(allowed(ps, shopClient, api)).toBe(true); // shop: env=prod, team=shop
      expect(allowed(ps, webClient, api)).toBe(false); // web: team=web
      expect(allowed(ps, devClient, api)).toBe(false); // dev: env=dev
      expect(allowed(ps, devClient, webClient)).toBe(true); // web/client has no tier: not selected
    });
    it('an unknown operator is an error when evaluating, not a silent deny', () => {
      const [p] = policies({ p: apiIngress({ from: { pod_selector: { match_labels: { app: 'client' } } } }) });
      const broken: NetworkPolicy = { ...p, ingress: [{ peers: [{ podSelector: { matchExpressions: [{ key: 'app', operator: 'Matches' as 'In', values: ['client'] }] } }], ports: [] }] };
      expect(() => reach([broken], webClient, api)).toThrow(/unknown operator "Matches"/);
    });
  });

  it('egress: a pod selected by an Egress policy with no rules may reach nothing', () => {
    const ps = policies({ 'shop-egress': { metadata: [{ name: 'no-egress', namespace: 'shop' }], spec: [{ pod_selector: [{}], policy_types: ['Egress'] }] } });
    const v = reach(ps, shopClient, api);
    expect(v.allowed).toBe(false);
    expect(v.reason).toMatch(/egress from shop\/client to web\/api on 8080\/TCP: denied, selected by shop\/no-egress/);
    expect(allowed(ps, devClient, shopClient)).toBe(true); // ingress to shop is not restricted by an Egress-only policy
  });

  it('egress rules: peers are destinations, ports are destination ports', () => {
    const ps = policies({
      e: {
        metadata: { name: 'e', namespace: 'shop' },
        spec: { pod_selector: { match_labels: { app: 'client' } }, policy_types: ['Egress'], egress: { to: { namespace_selector: { match_labels: { team: 'web' } }, pod_selector: { match_labels: { app: 'api' } } }, ports: { port: 'metrics' } } },
      },
    });
    expect(allowed(ps, shopClient, api, 9090)).toBe(true); // api names 9090 metrics
    expect(allowed(ps, shopClient, api, 8080)).toBe(false);
    expect(allowed(ps, shopClient, webClient, 9090)).toBe(false);
    expect(allowed(ps, shopOther, webClient, 9090)).toBe(true); // shop/other is not selected
  });

  it('both directions must allow: an allowed egress does not bypass a denying ingress', () => {
    const ps = policies({
      e: { metadata: { name: 'e', namespace: 'shop' }, spec: { pod_selector: {}, policy_types: ['Egress'], egress: {} } },
      deny: defaultDeny,
    });
    const v = reach(ps, shopClient, api);
    expect(v.allowed).toBe(false);
    expect(v.reason).toMatch(/^denied: ingress to web\/api from shop\/client on 8080\/TCP: denied.*; egress from shop\/client to web\/api on 8080\/TCP: allowed by shop\/e \(app: kubernetes_network_policy_v1\.e\) egress\[0\] \(any destination, any port\)/);
  });

  it('the union of several policies selecting a pod applies, and the reason names the admitting policy and rule', () => {
    const ps = policies({
      deny: defaultDeny,
      'from-shop': { metadata: { name: 'from-shop', namespace: WEB }, spec: { pod_selector: { match_labels: { app: 'api' } }, policy_types: ['Ingress'], ingress: { from: { namespace_selector: { match_labels: { team: 'shop' } } }, ports: { port: '8080' } } } },
      'from-dev': { metadata: [{ name: 'from-dev', namespace: WEB }], spec: [{ pod_selector: [{ match_labels: { tier: 'backend' } }], policy_types: ['Ingress'], ingress: [{ ports: [{ port: '9090' }] }, { from: [{ namespace_selector: [{ match_labels: { env: 'dev' } }] }], ports: [{ port: '9090' }] }] }] },
    });
    expect(allowed(ps, shopClient, api, 8080)).toBe(true);
    expect(allowed(ps, devClient, api, 8080)).toBe(false);
    const v = reach(ps, devClient, api, 9090);
    expect(v.allowed).toBe(true);
    expect(v.reason).toBe(
      'allowed: ingress to web/api from dev/client on 9090/TCP: allowed by web/from-dev (app: kubernetes_network_policy_v1.from-dev) ingress[0] (any source, ports[0]); ' +
        'also by web/from-dev (app: kubernetes_network_policy_v1.from-dev) ingress[1] (from[0], ports[0]) ' +
        '[selected by web/default-deny (app: kubernetes_network_policy_v1.deny), web/from-shop (app: kubernetes_network_policy_v1.from-shop), web/from-dev (app: kubernetes_network_policy_v1.from-dev)]; ' +
        'egress from dev/client to web/api on 9090/TCP: unrestricted, no policy with type Egress selects dev/client',
    );
    const denied = reach(ps, shopClient, api, 9999);
    expect(denied.allowed).toBe(false);
    expect(denied.reason).toContain('no ingress rule admits it');
    expect(denied.reason).toContain('web/from-shop (app: kubernetes_network_policy_v1.from-shop) ingress[0]: no ports entry matches 9999/TCP');
    expect(denied.reason).toContain('kubernetes_network_policy_v1.from-dev) ingress[1]: no from matches shop/client and no ports entry matches 9999/TCP');
  });

  it('a pod in a namespace the world does not list is an error', () => {
    const ghost: PodModel = { name: 'g', namespace: 'ghost', labels: {} };
    expect(() => reach([], ghost, api)).toThrow(/pod ghost\/g: namespace ghost is not in the world/);
    expect(() => reach([], api, ghost)).toThrow(/namespace ghost is not in the world/);
  });
});
