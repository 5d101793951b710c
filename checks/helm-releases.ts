/**
 * The Helm releases of the synthesized stacks, with the values Helm will receive, for checks
 * with the real `helm` where there is network (the CI workflow):
 *
 *   ts-node checks/helm-releases.ts values <cdktf.out> <dir>      values files + index.json (offline)
 *   ts-node checks/helm-releases.ts template <dir>                `helm template` of every release
 *   ts-node checks/helm-releases.ts chart-data <dir> <data-dir>   `helm show values` + values.schema.json
 *                                                                  of every pinned chart → $CHART_DATA_DIR
 *
 * Values are read as Terraform reads them: template escapes (`$${`, `%%{`) become literal text,
 * and every live interpolation is resolved from the synthesized JSON where its value is known
 * there (locals, resource arguments, other stacks' outputs through remote state); values only
 * known after apply (hashes, generated names) become placeholders of the same type.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readStacks, resolveTemplate } from '../ops/terraform-json';

type Json = Record<string, any>;

export { resolveTemplate };

export interface HelmReleaseValues {
  readonly stack: string;
  /** Terraform address, e.g. helm_release.collector_release_7433E2FF */
  readonly address: string;
  readonly release: string;
  readonly namespace: string;
  readonly chart: string;
  readonly repository: string;
  readonly version: string;
  /** The values documents as Helm receives them, in merge order. */
  readonly documents: string[];
}

export { readStacks };

/** The releases of every stack with their values resolved. */
export function helmReleaseValues(stacks: Record<string, Json>): HelmReleaseValues[] {
  return Object.entries(stacks).flatMap(([stack, json]) =>
    Object.entries<Json>(json.resource?.helm_release ?? {}).map(([id, r]) => {
      const text = (v: string) => resolveTemplate(v, stack, stacks);
      return { stack, address: `helm_release.${id}`, release: text(r.name), namespace: text(r.namespace), chart: text(r.chart), repository: text(r.repository), version: text(r.version), documents: (r.values ?? []).map(text) };
    }),
  );
}

/** Writes each release's values files and an index; returns the index. */
export function writeValues(outdir: string, dir: string): (HelmReleaseValues & { files: string[] })[] {
  mkdirSync(dir, { recursive: true });
  const index = helmReleaseValues(readStacks(outdir)).map((r) => {
    const files = r.documents.map((doc, n) => {
      const file = join(dir, `${r.stack}.${r.release}.${n}.yaml`);
      writeFileSync(file, doc);
      return file;
    });
    return { ...r, files };
  });
  writeFileSync(join(dir, 'index.json'), JSON.stringify(index, null, 2));
  return index;
}

function helm(args: string[]): { ok: boolean; output: string } {
  const run = spawnSync(process.env.HELM ?? 'helm', args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.error) throw new Error(`helm is not installed (${run.error.message}): https://helm.sh/docs/intro/install/`);
  return { ok: run.status === 0, output: `${run.stdout}${run.stderr}` };
}

/** `helm template` of every release in an index with exactly its values; the failures, by release. */
export function templateAll(dir: string): string[] {
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as (HelmReleaseValues & { files: string[] })[];
  const failures: string[] = [];
  for (const r of index) {
    const run = helm(['template', r.release, r.chart, '--repo', r.repository, '--version', r.version, '--namespace', r.namespace, ...r.files.flatMap((f) => ['--values', f])]);
    const line = `${r.stack}: ${r.address} (${r.chart} ${r.version})`;
    if (run.ok) console.log(`ok    ${line}`);
    else failures.push(`${line}: helm template failed:\n${run.output.trim()}`);
  }
  return failures;
}

/** Default values and values schema of every pinned chart, in the layout CHART_DATA_DIR has. */
export function fetchChartData(dir: string, dataDir: string): void {
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as HelmReleaseValues[];
  const seen = new Set<string>();
  for (const r of index) {
    if (seen.has(`${r.chart}@${r.version}`)) continue;
    seen.add(`${r.chart}@${r.version}`);
    const values = helm(['show', 'values', r.chart, '--repo', r.repository, '--version', r.version]);
    if (!values.ok) throw new Error(`helm show values ${r.chart} ${r.version}: ${values.output}`);
    mkdirSync(join(dataDir, 'chart-values', r.chart), { recursive: true });
    writeFileSync(join(dataDir, 'chart-values', r.chart, `${r.version}.yaml`), values.output);
    const untar = mkdtempSync(join(tmpdir(), 'chart-'));
    const pull = helm(['pull', r.chart, '--repo', r.repository, '--version', r.version, '--untar', '--untardir', untar]);
    if (!pull.ok) throw new Error(`helm pull ${r.chart} ${r.version}: ${pull.output}`);
    const schema = join(untar, r.chart, 'values.schema.json');
    if (existsSync(schema)) {
      mkdirSync(join(dataDir, 'chart-schemas', r.chart), { recursive: true });
      writeFileSync(join(dataDir, 'chart-schemas', r.chart, `${r.version}.json`), readFileSync(schema));
    }
  }
}

if (require.main === module) {
  const [command, a, b] = process.argv.slice(2);
  try {
    if (command === 'values' && a && b) {
      for (const r of writeValues(a, b)) console.log(`${r.stack}: ${r.release} (${r.chart} ${r.version}) → ${r.files.join(', ')}`);
    } else if (command === 'template' && a) {
      const failures = templateAll(a);
      if (failures.length > 0) {
        console.error(failures.join('\n\n'));
        process.exit(1);
      }
    } else if (command === 'chart-data' && a && b) {
      fetchChartData(a, b);
    } else {
      console.error('usage: helm-releases.ts values <cdktf.out> <dir> | template <dir> | chart-data <dir> <data-dir>');
      process.exit(2);
    }
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }
}
