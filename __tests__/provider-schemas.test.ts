import { App } from 'cdktf';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mergeSchemaFiles, parseProviderAddress, schemaFileName, serialize, SchemaDocument, splitSchemas, writeProviderSchemas } from '../checks/provider-schemas';
import { OfflineTerraform, providerSchemasDir, StackDir } from '../checks/terraform-offline';
import { build, config } from './helpers';

const block = (attr: string) => ({ version: 0, block: { attributes: { [attr]: { type: 'string', optional: true } }, description_kind: 'plain' } });
const schemas: SchemaDocument = {
  format_version: '1.0',
  provider_schemas: {
    'registry.terraform.io/hashicorp/kubernetes': { provider: block('config_path'), resource_schemas: { kubernetes_namespace_v1: block('id') } },
    'registry.terraform.io/tehcyx/kind': { provider: block('x'), resource_schemas: { kind_cluster: block('name') } },
    'terraform.io/builtin/terraform': { provider: block('y'), data_source_schemas: { terraform_remote_state: block('backend') } },
  },
};
const versions = { terraform_version: '1.11.4', provider_selections: { 'registry.terraform.io/hashicorp/kubernetes': '2.38.0', 'registry.terraform.io/tehcyx/kind': '0.11.0' } };

describe('provider schema files', () => {
  it('names a file <type>-<version>.json from the provider address', () => {
    expect(parseProviderAddress('registry.terraform.io/tehcyx/kind')).toEqual({ hostname: 'registry.terraform.io', namespace: 'tehcyx', type: 'kind' });
    expect(schemaFileName('registry.terraform.io/hashicorp/kubernetes', '2.38.0')).toBe('kubernetes-2.38.0.json');
    expect(() => parseProviderAddress('hashicorp/kubernetes')).toThrow(/not a provider address/);
  });

  it('splits one file per selected provider, each holding only its entry; the built-in provider is left out', () => {
    const files = splitSchemas(schemas, versions);
    expect(files.map((f) => f.file)).toEqual(['kubernetes-2.38.0.json', 'kind-0.11.0.json']);
    expect(files[1].document).toEqual({ format_version: '1.0', provider_schemas: { 'registry.terraform.io/tehcyx/kind': schemas.provider_schemas['registry.terraform.io/tehcyx/kind'] } });
    expect(serialize(files[1])).toBe(JSON.stringify(files[1].document)); // compact, as Terraform prints it
  });

  it('fails when a selected provider has no schema', () => {
    expect(() => splitSchemas(schemas, { provider_selections: { 'registry.terraform.io/hashicorp/helm': '3.1.1' } }, 'stacks/jaeger')).toThrow(
      'stacks/jaeger: terraform version -json selects registry.terraform.io/hashicorp/helm, but terraform providers schema -json has no schema for it (was terraform init run?)',
    );
  });

  it('merges stacks: one file per provider version, conflicts are errors', () => {
    const a = splitSchemas(schemas, versions);
    const b = splitSchemas(schemas, { provider_selections: { 'registry.terraform.io/hashicorp/kubernetes': '2.38.0' } });
    expect(mergeSchemaFiles([a, b]).map((f) => f.file)).toEqual(['kind-0.11.0.json', 'kubernetes-2.38.0.json']);
    const other: SchemaDocument = { format_version: '1.0', provider_schemas: { 'registry.terraform.io/hashicorp/kubernetes': { provider: block('host') } } };
    expect(() => mergeSchemaFiles([a, splitSchemas(other, versions.provider_selections && { provider_selections: { 'registry.terraform.io/hashicorp/kubernetes': '2.38.0' } })])).toThrow(
      'registry.terraform.io/hashicorp/kubernetes 2.38.0 has two different schemas in different stacks',
    );
    const fork: SchemaDocument = { format_version: '1.0', provider_schemas: { 'registry.terraform.io/someone/kind': { provider: block('x') } } };
    expect(() => mergeSchemaFiles([a, splitSchemas(fork, { provider_selections: { 'registry.terraform.io/someone/kind': '0.11.0' } })])).toThrow(
      'kind-0.11.0.json would hold two providers: registry.terraform.io/tehcyx/kind and registry.terraform.io/someone/kind',
    );
  });
});

describe('round trip through the stand-in providers', () => {
  jest.setTimeout(120_000);
  it('terraform providers schema -json of the stand-ins gives back the real schemas (provider functions excepted)', async () => {
    const app = build(config());
    const stacks: StackDir[] = [app.cluster, app.elasticsearch].map((s) => ({ name: s.node.id, dir: join((s.node.root as App).outdir, 'stacks', s.node.id) }));
    const session = new OfflineTerraform();
    const out = mkdtempSync(join(tmpdir(), 'schemas-'));
    try {
      await session.validate(stacks);
      writeProviderSchemas(out, stacks.map((s) => session.workDir('validate', s)), session.terraformEnv()); // offline
      const written = readdirSync(out).sort();
      // No tls provider any more: ECK issues the HTTP certificate in the cluster.
      expect(written).toEqual(['docker-3.6.2.json', 'helm-3.1.1.json', 'kind-0.11.0.json', 'kubernetes-2.38.0.json', 'local-2.6.1.json', 'random-3.7.2.json']);
      for (const file of written) {
        const real = JSON.parse(readFileSync(join(providerSchemasDir(), file), 'utf8')) as SchemaDocument;
        for (const entry of Object.values(real.provider_schemas) as Record<string, unknown>[]) delete entry.functions; // not served by the stand-in
        expect([file, JSON.parse(readFileSync(join(out, file), 'utf8'))]).toEqual([file, real]);
      }
    } finally {
      session.dispose();
      rmSync(out, { recursive: true, force: true });
    }
  });
});
