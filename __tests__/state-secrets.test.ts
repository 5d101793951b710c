import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatFinding, formatFindings, scanForSecrets, SecretFinding } from '../checks/state-secrets';

// The scanner on hand-made documents of each kind Terraform writes. (The proof against real
// Terraform output is in standin-world.test.ts.)

const PASSWORD = 'Xq7vL2pR9sKd4mWz';
const secrets = [{ name: 'writer password', value: PASSWORD }];
const b64 = (s: string) => Buffer.from(s).toString('base64');
const pem = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();

/** The parts of findings a reader needs (file aside). */
const where = (findings: SecretFinding[]) => findings.map((f) => ({ address: f.address, output: f.output, variable: f.variable, path: f.path, kind: f.kind, what: f.what, section: f.section }));

function stateV4(resources: { type: string; name: string; attributes: Record<string, unknown>; index_key?: string | number; module?: string }[], outputs: Record<string, unknown> = {}): unknown {
  return {
    version: 4,
    terraform_version: '1.11.4',
    serial: 3,
    lineage: 'c0ffee',
    outputs: Object.fromEntries(Object.entries(outputs).map(([k, value]) => [k, { value, type: 'string', sensitive: true }])),
    resources: resources.map((r) => ({
      ...(r.module ? { module: r.module } : {}),
      mode: 'managed',
      type: r.type,
      name: r.name,
      provider: 'provider["registry.terraform.io/hashicorp/kubernetes"]',
      instances: [{ ...(r.index_key !== undefined ? { index_key: r.index_key } : {}), schema_version: 0, attributes: r.attributes, sensitive_attributes: [] }],
    })),
  };
}

describe('scanForSecrets: state files (v4)', () => {
  it('names the resource address and the attribute path of a secret value', () => {
    const state = stateV4([
      { type: 'kubernetes_secret_v1', name: 'es-writer_credentials_1234', attributes: { metadata: [{ name: 'es-writer', namespace: 'logging' }], data: { username: 'writer', password: PASSWORD }, data_wo: null } },
      { type: 'helm_release', name: 'collector', attributes: { name: 'collector', values: ['mode: deployment\n', `exporters:\n  elasticsearch:\n    password: ${PASSWORD}\n`] } },
      { type: 'kubernetes_config_map_v1', name: 'clean', attributes: { data: { 'app.kubernetes.io/name': 'x' } } },
      { type: 'kubernetes_secret_v1', name: 'per_user', index_key: 'janitor', module: 'module.users', attributes: { data: { [PASSWORD]: 'key is the secret' } } },
    ]);
    const findings = scanForSecrets(secrets, [{ file: 'terraform.logging.tfstate', json: state }]);
    expect(where(findings)).toEqual([
      { address: 'kubernetes_secret_v1.es-writer_credentials_1234', path: 'data.password', kind: 'secret', what: 'writer password', section: 'state' },
      { address: 'helm_release.collector', path: 'values[1]', kind: 'secret', what: 'writer password', section: 'state' },
      { address: 'module.users.kubernetes_secret_v1.per_user["janitor"]', path: `data.${PASSWORD}`, kind: 'secret', what: 'writer password', section: 'state' },
    ]);
    expect(findings.every((f) => f.file === 'terraform.logging.tfstate')).toBe(true);
  });

  it('finds a PEM private-key block in an attribute', () => {
    const state = stateV4([
      { type: 'tls_private_key', name: 'ca', attributes: { algorithm: 'RSA', private_key_pem: pem, public_key_pem: '-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n' } },
      { type: 'kubernetes_secret_v1', name: 'http_tls', attributes: { binary_data: { 'tls.key': b64(pem) } } },
    ]);
    expect(where(scanForSecrets([], [{ file: 'terraform.elasticsearch.tfstate', json: state }]))).toEqual([
      { address: 'tls_private_key.ca', path: 'private_key_pem', kind: 'pem-private-key', what: 'RSA PRIVATE KEY', section: 'state' },
      { address: 'kubernetes_secret_v1.http_tls', path: 'binary_data["tls.key"]', kind: 'pem-private-key', what: 'RSA PRIVATE KEY (base64)', section: 'state' },
    ]);
  });

  it('finds base64 forms: the value alone, inside a longer base64 text at any alignment, URL alphabet', () => {
    for (const prefix of ['', 'w', 'wr', 'writer:']) {
      for (const url of [false, true]) {
        let encoded = b64(`${prefix}${PASSWORD}\n`);
        if (url) encoded = encoded.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
        const state = stateV4([{ type: 'kubernetes_secret_v1', name: 'auth', attributes: { binary_data: { auth: encoded } } }]);
        expect(where(scanForSecrets(secrets, [{ file: 's', json: state }]))).toEqual([{ address: 'kubernetes_secret_v1.auth', path: 'binary_data.auth', kind: 'base64', what: 'writer password', section: 'state' }]);
      }
    }
  });

  it('finds an output value, by output name', () => {
    const state = stateV4([], { writer_password: PASSWORD, endpoint: 'https://es-http.elastic:9200' });
    expect(where(scanForSecrets(secrets, [{ file: 's', json: state }]))).toEqual([{ output: 'writer_password', path: '', kind: 'secret', what: 'writer password', section: 'outputs' }]);
  });

  it('reads files and parses the text as Terraform wrote it (Go escapes <, > and &), with nothing left unattributed', () => {
    const odd = 'a<b>c&d"e\\f';
    const dir = mkdtempSync(join(tmpdir(), 'scan-'));
    try {
      const text = JSON.stringify(stateV4([{ type: 'kubernetes_secret_v1', name: 'x', attributes: { data: { password: odd } } }]), null, 2)
        .replace(/</g, '\\u003c')
        .replace(/>/g, '\\u003e')
        .replace(/&/g, '\\u0026');
      expect(text).not.toContain(odd);
      const file = join(dir, 'terraform.x.tfstate');
      writeFileSync(file, text);
      expect(where(scanForSecrets([odd], [file]))).toEqual([{ address: 'kubernetes_secret_v1.x', path: 'data.password', kind: 'secret', what: 'secret #1', section: 'state' }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('finds nothing in a clean state and ignores empty secret values', () => {
    const state = stateV4([{ type: 'kubernetes_secret_v1', name: 'x', attributes: { data: {}, data_wo: null, data_wo_revision: 1, metadata: [{ name: 'x', uid: '7d3c' }] } }], { secret_name: 'x' });
    expect(scanForSecrets([...secrets, ''], [{ file: 's', json: state }])).toEqual([]);
  });
});

describe('scanForSecrets: plans, `terraform output -json`, other text', () => {
  it('attributes each part of `terraform show -json <plan>`', () => {
    const plan = {
      format_version: '1.2',
      terraform_version: '1.11.4',
      variables: { bootstrap_password: { value: PASSWORD } },
      planned_values: { outputs: { pw: { sensitive: true, value: PASSWORD } }, root_module: { resources: [{ address: 'kubernetes_secret_v1.a', mode: 'managed', type: 'kubernetes_secret_v1', name: 'a', values: { data: { password: PASSWORD } }, sensitive_values: {} }] } },
      resource_changes: [{ address: 'kubernetes_secret_v1.a', mode: 'managed', type: 'kubernetes_secret_v1', name: 'a', change: { actions: ['update'], before: { data: {} }, after: { data: { password: PASSWORD } }, after_unknown: {} } }],
      output_changes: { pw: { actions: ['create'], before: null, after: PASSWORD } },
      prior_state: {
        format_version: '1.0',
        values: { root_module: { resources: [], child_modules: [{ address: 'module.m', resources: [{ address: 'module.m.helm_release.r', values: { set_sensitive: [{ name: 'auth.password', value: PASSWORD }] } }] }] } },
      },
      configuration: { root_module: { resources: [{ address: 'kubernetes_secret_v1.a', expressions: { data: { constant_value: { password: PASSWORD } } } }] } },
    };
    expect(where(scanForSecrets(secrets, [{ file: 'plan.json', json: plan }]))).toEqual([
      { variable: 'bootstrap_password', path: '', kind: 'secret', what: 'writer password', section: 'variables' },
      { output: 'pw', path: '', kind: 'secret', what: 'writer password', section: 'planned_values.outputs' },
      { address: 'kubernetes_secret_v1.a', path: 'data.password', kind: 'secret', what: 'writer password', section: 'planned_values' },
      { address: 'kubernetes_secret_v1.a', path: 'data.password', kind: 'secret', what: 'writer password', section: 'resource_changes.after' },
      { output: 'pw', path: '', kind: 'secret', what: 'writer password', section: 'output_changes.after' },
      { address: 'module.m.helm_release.r', path: 'set_sensitive[0].value', kind: 'secret', what: 'writer password', section: 'prior_state' },
      { address: 'kubernetes_secret_v1.a', path: 'expressions.data.constant_value.password', kind: 'secret', what: 'writer password', section: 'configuration' },
    ]);
  });

  it('reads `terraform output -json`', () => {
    const outputs = { ca_key: { sensitive: true, type: 'string', value: pem }, es_user: { sensitive: false, type: 'string', value: 'writer' }, creds: { sensitive: true, type: ['object', {}], value: { password: PASSWORD } } };
    expect(where(scanForSecrets(secrets, [{ file: 'outputs.json', text: JSON.stringify(outputs) }]))).toEqual([
      { output: 'ca_key', path: '', kind: 'pem-private-key', what: 'RSA PRIVATE KEY', section: 'outputs' },
      { output: 'creds', path: 'password', kind: 'secret', what: 'writer password', section: 'outputs' },
    ]);
  });

  it('falls back to raw text (line numbers) for what is not JSON', () => {
    const text = `# notes\nuser: writer\npassword: ${PASSWORD}\nkey: |\n${pem}`;
    expect(where(scanForSecrets(secrets, [{ file: 'support-ticket.txt', text }]))).toEqual([
      { path: 'line 3', kind: 'secret', what: 'writer password', section: 'text' },
      { path: 'line 5', kind: 'pem-private-key', what: 'RSA PRIVATE KEY', section: 'text' },
    ]);
  });

  it('formats one line per finding naming file, resource and attribute, never the secret', () => {
    const state = stateV4([{ type: 'kubernetes_secret_v1', name: 'es-writer_credentials_1234', attributes: { data: { password: PASSWORD } } }], { pw: PASSWORD });
    const findings = scanForSecrets(secrets, [{ file: 'terraform.logging.tfstate', json: state }]);
    expect(formatFindings(findings).split('\n')).toEqual([
      'terraform.logging.tfstate: output.pw: (whole value): holds writer password [outputs]',
      'terraform.logging.tfstate: kubernetes_secret_v1.es-writer_credentials_1234: data.password: holds writer password [state]',
    ]);
    expect(formatFinding({ file: 'f', section: 'text', path: 'line 2', kind: 'base64', what: 'secret #1' })).toBe('f: unattributed text: line 2: holds secret #1 base64-encoded [text]');
    expect(formatFindings(findings)).not.toContain(PASSWORD);
  });
});
