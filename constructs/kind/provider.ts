import { TerraformProvider } from 'cdktf';
import { Construct } from 'constructs';

/** Source and pinned release of the tehcyx/kind Terraform provider. */
export const KIND_PROVIDER_SOURCE = 'tehcyx/kind';
export const KIND_PROVIDER_VERSION = '0.11.0';

export interface KindProviderConfig {
  /** Provider alias, for a second kind provider in one stack. @default - none */
  readonly alias?: string;
}

/**
 * Hand-written binding of the `tehcyx/kind` provider (no prebuilt @cdktf/provider-kind
 * exists). The provider block itself takes no arguments.
 */
export class KindProvider extends TerraformProvider {
  constructor(scope: Construct, id: string, config: KindProviderConfig = {}) {
    super(scope, id, {
      terraformResourceType: 'kind',
      terraformGeneratorMetadata: { providerName: 'kind', providerVersion: KIND_PROVIDER_VERSION, providerVersionConstraint: KIND_PROVIDER_VERSION },
      terraformProviderSource: KIND_PROVIDER_SOURCE,
    });
    this.alias = config.alias;
  }

  protected synthesizeAttributes(): Record<string, unknown> {
    // The provider has no arguments; `alias` is added by TerraformProvider itself.
    return {};
  }
}
