/**
 * Pod Security Standards, evaluated: every pod we define (raw workloads as synthesized, and the
 * pod/container security contexts we pass to the charts) is checked against the level its
 * namespace enforces. The rules are the `restricted` profile's (kubernetes.io/docs/concepts/
 * security/pod-security-standards), plus hostPath (already refused by `baseline`).
 */
import { blockList as list, eckKibanaPod, EckKibanaPodFacts, restrictedViolations } from '../checks/pod-security';
import kibanaFacts from '../checks/upstream/eck-kibana-pod.json';
import type { MonitoringConfig } from '../config/schema';
import { helmValueDocuments, readStacks, resolveTemplate } from '../ops/terraform-json';
import { parse } from 'yaml';
import { build, chartDataFile, config, outdirOf, podTemplatesOf } from './helpers';

type Json = Record<string, any>;

interface Pod {
  name: string;
  namespace: string;
  violations: string[];
}

/**
 * opentelemetry-collector 0.170.0: values.yaml gives these ports a hostPort, and
 * _config.tpl podPortsConfig renders `hostPort` in daemonset mode when the merged value is truthy.
 */
const CHART_DEFAULT_HOST_PORTS: Record<string, number> = { otlp: 4317, 'otlp-http': 4318, 'jaeger-compact': 6831, 'jaeger-thrift': 14268, 'jaeger-grpc': 14250, zipkin: 9411 };

/** The container ports the chart renders for a daemonset-mode release (our values merged over its defaults). */
function collectorAgentPorts(ports: Record<string, { enabled: boolean; hostPort?: number }>): Json[] {
  return Object.entries(ports)
    .filter(([, p]) => p.enabled)
    .map(([name, p]) => ({ name, hostPort: 'hostPort' in p ? p.hostPort : CHART_DEFAULT_HOST_PORTS[name] }));
}

function podsOf(outdir: string): Pod[] {
  const pods: Pod[] = podTemplatesOf(outdir).map((t) => ({ name: t.name, namespace: t.namespace, violations: restrictedViolations(t.spec, [...list(t.spec.container), ...list(t.spec.init_container)], list(t.spec.volume)) }));
  const stacks = readStacks(outdir);
  for (const [stack, json] of Object.entries(stacks)) {
    const r = (json.resource ?? {}) as Record<string, Record<string, Json>>;
    for (const release of Object.values(r.helm_release ?? {})) {
      const v = helmValueDocuments(json, release)[0] ?? {};
      const namespace = resolveTemplate(release.namespace, stack, stacks);
      // The pod we describe in values: chart pod + container security contexts.
      if (release.chart === 'jaeger') pods.push({ name: 'jaeger', namespace, violations: restrictedViolations({ securityContext: v.jaeger.podSecurityContext }, [{ name: 'jaeger', securityContext: v.jaeger.securityContext }], []) });
      if (release.chart === 'opentelemetry-collector') {
        const ports = v.mode === 'daemonset' ? collectorAgentPorts(v.ports) : [];
        pods.push({ name: release.name, namespace, violations: restrictedViolations({ securityContext: v.podSecurityContext, hostNetwork: v.hostNetwork }, [{ name: 'collector', securityContext: v.securityContext, ports }], []) });
      }
      if (release.chart === 'eck-kibana') {
        // The pod ECK renders from our podTemplate: its defaults fill what we leave unset.
        const rendered = eckKibanaPod(v, kibanaFacts as EckKibanaPodFacts);
        pods.push({ name: 'kibana', namespace, violations: restrictedViolations(rendered.pod, rendered.containers, rendered.volumes) });
      }
      if (release.chart === 'eck-operator') {
        // We keep the chart's container security context: read it from the pinned values.yaml.
        const chartDefault = v.securityContext ?? parse(chartDataFile('chart-values', 'eck-operator', `${release.version}.yaml`)).securityContext;
        pods.push({ name: 'eck-operator', namespace, violations: restrictedViolations({ securityContext: v.podSecurityContext }, [{ name: 'manager', securityContext: chartDefault }], []) });
      }
    }
  }
  return pods;
}

const levelOf = (cfg: MonitoringConfig, namespace: string) => (namespace === cfg.namespaces.logging ? 'privileged' : 'restricted');

describe.each([
  ['dev', config()],
  ['production', config({ profile: 'production', cluster: { mode: 'existing', kubeconfigPath: '/dev/null', context: 'p' }, sampleApp: { image: 'a/b:1.0.0' } })],
])('pod security, %s profile', (_name, cfg) => {
  const pods = podsOf(outdirOf(build(cfg)));

  it('every pod in a restricted namespace meets the restricted profile', () => {
    const restricted = pods.filter((p) => levelOf(cfg, p.namespace) === 'restricted');
    expect(restricted.map((p) => p.name).sort()).toEqual(expect.arrayContaining(['elasticsearch-ready', 'jaeger', 'otel-agent', 'otel-collector', 'sample-app', 'sample-app-backend', 'eck-operator', 'kibana', 'kibana-data-views']));
    expect(pods.find((p) => p.name === 'kibana')!.namespace).toBe(cfg.namespaces.kibana);
    expect(restricted.filter((p) => p.violations.length > 0)).toEqual([]);
  });

  it('logging is privileged because Fluentd needs hostPath (and only for that)', () => {
    const fluentd = pods.find((p) => p.name === 'fluentd')!;
    expect(fluentd.namespace).toBe(cfg.namespaces.logging);
    // hostPath and uid 0 are what restricted refuses; nothing else.
    expect(fluentd.violations.every((v) => /hostPath volume|runAsNonRoot|uid 0/.test(v))).toBe(true);
    expect(fluentd.violations.some((v) => v.startsWith('hostPath volume'))).toBe(true);
  });
});

describe("Kibana's pod as ECK renders it", () => {
  const facts = kibanaFacts as EckKibanaPodFacts;

  it("ECK's defaults alone are refused by restricted (no runAsNonRoot): our pod security context is what passes", () => {
    const bare = eckKibanaPod({ podTemplate: { spec: { containers: [{ name: 'kibana' }] } } }, facts);
    expect(restrictedViolations(bare.pod, bare.containers, bare.volumes)).toEqual(['container kibana: runAsNonRoot must be true', 'container elastic-internal-init: runAsNonRoot must be true']);
  });

  it('keeps ECK\'s read-only root filesystem and emptyDirs for what Kibana writes; init container gets ECK\'s default', () => {
    const rendered = eckKibanaPod({ podTemplate: { spec: { securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } }, containers: [{ name: 'kibana', securityContext: { readOnlyRootFilesystem: true } }] } } }, facts);
    expect(rendered.containers.map((c) => [c.name, c.securityContext.readOnlyRootFilesystem])).toEqual([['kibana', true], ['elastic-internal-init', true]]);
    expect(rendered.volumes.map((v) => v.name)).toEqual(expect.arrayContaining(['temp-volume', 'kibana-data', 'kibana-logs', 'kibana-plugins']));
  });
});

describe('the restricted evaluator', () => {
  it('names each violation', () => {
    expect(restrictedViolations({ host_network: true }, [{ name: 'c', security_context: { privileged: true, capabilities: { add: ['SYS_ADMIN'] } } }], [{ name: 'logs', host_path: { path: '/var/log' } }])).toEqual([
      'pod host_network',
      'hostPath volume logs',
      'container c: privileged',
      'container c: allowPrivilegeEscalation must be false',
      'container c: capabilities must drop ALL',
      'container c: adds capabilities',
      'container c: runAsNonRoot must be true',
      'container c: seccompProfile must be RuntimeDefault or Localhost',
    ]);
    const ok = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } };
    expect(restrictedViolations({}, [{ name: 'c', securityContext: ok }], [])).toEqual([]);
    expect(restrictedViolations({ securityContext: { runAsNonRoot: true } }, [{ name: 'c', securityContext: { ...ok, runAsNonRoot: undefined, seccompProfile: undefined } }], [])).toEqual(['container c: seccompProfile must be RuntimeDefault or Localhost']);
  });
});

describe('the node agent keeps off the node ports (restricted forbids hostPort)', () => {
  it("the chart's default hostPorts would be rendered for a daemonset-mode release unless our values clear them", () => {
    const violations = (ports: Record<string, { enabled: boolean; hostPort?: number }>) => restrictedViolations({ securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } } }, [{ name: 'collector', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } }, ports: collectorAgentPorts(ports) }], []);
    expect(violations({ otlp: { enabled: true }, 'otlp-http': { enabled: true } })).toEqual(['container collector: hostPort 4317', 'container collector: hostPort 4318']);
    expect(violations({ otlp: { enabled: true, hostPort: 0 }, 'otlp-http': { enabled: true, hostPort: 0 }, zipkin: { enabled: false } })).toEqual([]);
  });
});
