import Ajv from 'ajv';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { fetchChartData, helmReleaseValues, readStacks, resolveTemplate, templateAll, writeValues } from '../checks/helm-releases';
import { build, chartDataFile, config, outdirOf } from './helpers';

const app = build();
const outdir = outdirOf(app);
const releases = helmReleaseValues(readStacks(outdir));
const byChart = (chart: string, release?: string) => releases.find((r) => r.chart === chart && (release === undefined || r.release === release))!;

/** A stand-in `helm` that records its arguments and fails for one chart. */
function fakeHelm(failChart?: string): { bin: string; log: string } {
  const dir = mkdtempSync(join(tmpdir(), 'helm-'));
  const log = join(dir, 'calls.log');
  const bin = join(dir, 'helm');
  writeFileSync(
    bin,
    `#!${process.execPath}
const fs = require('fs'); const path = require('path'); const args = process.argv.slice(2);
fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify(args) + '\\n');
if (args[0] === 'template' && args[2] === ${JSON.stringify(failChart ?? '')}) { console.error('Error: values don\\'t meet the specifications of the schema(s)'); process.exit(1); }
if (args[0] === 'show') { console.log('# default values of ' + args[2]); process.exit(0); }
if (args[0] === 'pull') { const d = path.join(args[args.indexOf('--untardir') + 1], args[1]); fs.mkdirSync(d, { recursive: true }); if (args[1] === 'opentelemetry-collector') fs.writeFileSync(path.join(d, 'values.schema.json'), '{}'); }
`,
  );
  chmodSync(bin, 0o755);
  return { bin, log };
}

describe('Helm releases with the values Helm receives', () => {
  it('lists every release of every stack with its pinned chart', () => {
    const cfg = config();
    expect(releases.map((r) => `${r.stack}/${r.release}/${r.chart}@${r.version}`).sort()).toEqual([
      `elasticsearch/eck-operator/eck-operator@${cfg.elasticsearch.operatorChartVersion}`,
      `elasticsearch/elasticsearch/eck-elasticsearch@${cfg.elasticsearch.chartVersion}`,
      `jaeger/jaeger/jaeger@${cfg.jaeger.chartVersion}`,
      `kibana/kibana/eck-kibana@${cfg.kibana.chartVersion}`,
      `otel-collector/otel-agent/opentelemetry-collector@${cfg.collector.chartVersion}`,
      `otel-collector/otel-collector/opentelemetry-collector@${cfg.collector.chartVersion}`,
    ]);
    expect(byChart('jaeger').documents).toHaveLength(2);
    expect(byChart('opentelemetry-collector').namespace).toBe('observability');
    expect(byChart('eck-kibana').namespace).toBe('kibana');
    expect(byChart('eck-kibana').repository).toBe('https://helm.elastic.co');
  });

  it('resolves cross-stack references and resource arguments exactly, and keeps literal ${…} for the collector', () => {
    const values = parse(byChart('opentelemetry-collector', 'otel-collector').documents[0]);
    // The agent forwards to the collector release's Service, resolved from the release's attributes.
    expect(parse(byChart('opentelemetry-collector', 'otel-agent').documents[0]).config.exporters['otlp/gateway'].endpoint).toBe('otel-collector.observability.svc.cluster.local:4317');
    expect(values.config.exporters['otlp/jaeger'].endpoint).toBe('jaeger.jaeger.svc.cluster.local:4317');
    expect(values.config.exporters['elasticsearch/events'].endpoints).toEqual(['https://elasticsearch.elasticsearch.svc:9200']);
    expect(values.config.exporters['elasticsearch/events'].password).toBe('${env:ES_PASSWORD}');
    expect(values.config.receivers.otlp.protocols.grpc.endpoint).toBe('${env:MY_POD_IP}:4317');
    expect(values.extraEnvs[0].valueFrom.secretKeyRef.name).toBe('elasticsearch-events-writer-credentials');
    // Known only after apply: a hash of the right shape.
    expect(values.podAnnotations['checksum/elasticsearch-client']).toMatch(/^[0-9a-f]{64}$/);
    expect(parse(byChart('jaeger').documents[1]).jaeger.extraEnv[0].value).toMatch(/^[0-9a-f]{64}$/);
    // Kibana's elasticsearchRef: the elasticsearch stack's namespace, through remote state.
    expect(parse(byChart('eck-kibana').documents[0]).elasticsearchRef).toEqual({ name: 'elasticsearch', namespace: 'elasticsearch' });
  });

  it.each(['otel-collector', 'otel-agent'])("the collector's resolved values pass the pinned chart's values schema: %s", (release) => {
    const r = byChart('opentelemetry-collector', release);
    const validate = new Ajv({ strict: false, allErrors: true }).compile(JSON.parse(chartDataFile('chart-schemas', r.chart, `${r.version}.json`)));
    const values = parse(r.documents[0]);
    expect(validate({ apiVersion: 'apps/v1', ...values }) ? [] : validate.errors).toEqual([]);
  });

  it('reads Terraform template escapes and refuses directives it does not evaluate', () => {
    expect(resolveTemplate('a $${b} %%{c} d', 's', { s: {} })).toBe('a ${b} %{c} d');
    expect(() => resolveTemplate('%{ if x }y%{ endif }', 's', { s: {} })).toThrow(/directive/);
  });

  it('`template` runs helm template per release with its values files; a rejection names stack and address', () => {
    const dir = mkdtempSync(join(tmpdir(), 'values-'));
    const index = writeValues(outdir, dir);
    expect(index.every((r) => r.files.every(existsSync))).toBe(true);
    const helm = fakeHelm('opentelemetry-collector');
    process.env.HELM = helm.bin;
    try {
      const failures = templateAll(dir);
      const calls = readFileSync(helm.log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as string[]);
      expect(calls).toHaveLength(6);
      expect(calls.find((c) => c[2] === 'eck-kibana')!.slice(0, 9)).toEqual(['template', 'kibana', 'eck-kibana', '--repo', 'https://helm.elastic.co', '--version', config().kibana.chartVersion, '--namespace', 'kibana']);
      const jaeger = calls.find((c) => c[2] === 'jaeger')!;
      expect(jaeger.slice(0, 9)).toEqual(['template', 'jaeger', 'jaeger', '--repo', 'https://jaegertracing.github.io/helm-charts', '--version', config().jaeger.chartVersion, '--namespace', 'jaeger']);
      expect(jaeger.filter((a) => a === '--values')).toHaveLength(2);
      // Both releases of the failing chart (the agent and the collector), each named.
      expect(failures).toHaveLength(2);
      expect(failures[0]).toMatch(/^otel-collector: helm_release\.agent_release_[0-9A-F]+ \(opentelemetry-collector [\d.]+\): helm template failed:\nError: values don't meet/);
      expect(failures[1]).toMatch(/^otel-collector: helm_release\.collector_release_[0-9A-F]+ \(opentelemetry-collector [\d.]+\): helm template failed:\nError: values don't meet/);
    } finally {
      delete process.env.HELM;
    }
  });

  it('`chart-data` fills CHART_DATA_DIR: default values of every chart, values schema where the chart has one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'values-'));
    writeValues(outdir, dir);
    const data = mkdtempSync(join(tmpdir(), 'chart-data-'));
    process.env.HELM = fakeHelm().bin;
    try {
      fetchChartData(dir, data);
    } finally {
      delete process.env.HELM;
    }
    const cfg = config();
    expect(readFileSync(join(data, 'chart-values', 'jaeger', `${cfg.jaeger.chartVersion}.yaml`), 'utf8')).toContain('# default values of jaeger');
    expect(existsSync(join(data, 'chart-schemas', 'opentelemetry-collector', `${cfg.collector.chartVersion}.json`))).toBe(true);
    expect(existsSync(join(data, 'chart-schemas', 'jaeger'))).toBe(false);
    expect(readFileSync(join(data, 'chart-values', 'eck-kibana', `${cfg.kibana.chartVersion}.yaml`), 'utf8')).toContain('# default values of eck-kibana');
  });
});
