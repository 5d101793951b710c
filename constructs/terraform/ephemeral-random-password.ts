import { RandomProvider } from '@cdktf/provider-random/lib/provider';
import { ref, TerraformElement, TerraformStack, Token } from 'cdktf';
import { Construct } from 'constructs';

export interface EphemeralRandomPasswordProps {
  /** @default 32 */
  readonly length?: number;
  /** Punctuation in the password; off because the value lands in env vars, URLs and config files. @default false */
  readonly special?: boolean;
}

/**
 * `ephemeral "random_password"` of hashicorp/random 3.7.2: a new value on every plan and apply,
 * never written to state or plan files. It can only flow into write-only arguments (Terraform
 * refuses it anywhere else). cdktf 0.21 has no binding for ephemeral resources, hence this one;
 * the attributes are those of the provider's schema (`length`, `special` in, `result` out).
 */
export class EphemeralRandomPassword extends TerraformElement {
  /** The generated password: usable only in write-only arguments (e.g. `data_wo`). */
  readonly result: string;
  private readonly config: { length: number; special: boolean };

  constructor(scope: Construct, id: string, props: EphemeralRandomPasswordProps = {}) {
    super(scope, id, 'ephemeral.random_password');
    // The stack needs the random provider configured once; whoever asks first adds it.
    const stack = TerraformStack.of(this);
    if (!stack.node.children.some((c) => c instanceof RandomProvider)) new RandomProvider(stack, 'random');
    this.config = { length: props.length ?? 32, special: props.special ?? false };
    this.result = Token.asString(ref(`ephemeral.random_password.${this.friendlyUniqueId}.result`, this.cdktfStack));
  }

  toTerraform(): Record<string, unknown> {
    return { ephemeral: { random_password: { [this.friendlyUniqueId]: { ...this.config, '//': this.constructNodeMetadata } } } };
  }

  toHclTerraform(): Record<string, unknown> {
    return this.toTerraform();
  }
}
