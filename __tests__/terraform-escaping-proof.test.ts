import { join } from 'node:path';
import { validateStacks } from '../checks/terraform-offline';
import { build, outdirOf } from './helpers';

// The counter-proof of the escaping rule: with the one helper made a no-op, the real Terraform
// rejects exactly the stacks that embed another language's `${…}`, naming them.
jest.mock('../constructs/terraform/literal', () => ({
  terraformLiteral: (text: string) => text,
  terraformLiterals: (values: Record<string, string>) => values,
}));
jest.setTimeout(120_000);

it('without terraformLiteral, terraform validate rejects the collector values, the retention script and the data-view script', async () => {
  const app = build();
  const outdir = outdirOf(app);
  const results = await validateStacks(Object.values(app).map((s) => ({ name: s.node.id, dir: join(outdir, 'stacks', s.node.id) })));
  const failed = results.filter((r) => !r.valid);
  expect(failed.map((r) => r.stack).sort()).toEqual(['kibana', 'logging', 'otel-collector']);
  const lines = failed.flatMap((r) => r.errors.map((d) => d.line));
  expect(lines).toContainEqual(expect.stringMatching(/^otel-collector: local\.collector_values_[0-9A-F]+: .*interpolation/));
  // The data-view script's shell `${out##* HTTP}` and curl's `%{http_code}`.
  expect(lines).toContainEqual(expect.stringMatching(/^kibana: kubernetes_job_v1\.data-views_job_[0-9A-F]+: spec\.template\.spec\.container\[0\]\.command\[2\]: Invalid template control keyword: "http_code"/));
  expect(lines).toContainEqual(expect.stringMatching(/^logging: kubernetes_cron_job_v1\.retention_job_cronjob_[0-9A-F]+: spec\.job_template\.spec\.template\.spec\.container\[0\]\.command\[2\]: /));
});
