import { App, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { relative, resolve } from 'node:path';

/**
 * A path as the providers of `scope`'s stack must see it: relative to the directory Terraform
 * runs that stack in (`<outdir>/stacks/<stack>`). A checkout's absolute path never reaches an
 * attribute, so deploying from a second checkout plans no replacement.
 * @param target absolute, or relative to the project directory (where cdktf runs)
 */
export function pathForTerraform(scope: Construct, target: string): string {
  const stackDir = resolve(App.of(scope).outdir, 'stacks', TerraformStack.of(scope).node.id);
  return relative(stackDir, resolve(target));
}
