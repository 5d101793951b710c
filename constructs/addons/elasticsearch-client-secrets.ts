import { SecretV1 } from '@cdktf/provider-kubernetes/lib/secret-v1';
import { Construct } from 'constructs';

export interface ElasticsearchClientSecretsProps {
  /** Namespace of the client workload (Secrets cannot be read across namespaces). */
  readonly namespace: string;
  /** Secret name prefix. @default elasticsearch */
  readonly name?: string;
  readonly username: string;
  /** Sensitive: from the elasticsearch stack's output. */
  readonly password: string;
  /** PEM of the CA that signs Elasticsearch's HTTP certificate. */
  readonly caCertPem: string;
  /** A CA Secret already in this namespace to reuse instead of creating one. @default - create one */
  readonly existingCaSecret?: string;
}

/** What an Elasticsearch client needs in its own namespace: credentials and the CA. */
export class ElasticsearchClientSecrets extends Construct {
  readonly credentialsSecret: string;
  readonly caSecret: string;
  /** The Secret resources, for dependsOn. */
  readonly secrets: SecretV1[];

  constructor(scope: Construct, id: string, props: ElasticsearchClientSecretsProps) {
    super(scope, id);
    const name = props.name ?? 'elasticsearch';
    const credentials = new SecretV1(this, 'credentials', {
      metadata: { name: `${name}-${props.username}`, namespace: props.namespace },
      type: 'kubernetes.io/basic-auth',
      data: { username: props.username, password: props.password },
    });
    this.credentialsSecret = credentials.metadata.name;
    this.secrets = [credentials];
    if (props.existingCaSecret) {
      this.caSecret = props.existingCaSecret;
      return;
    }
    const ca = new SecretV1(this, 'ca', {
      metadata: { name: `${name}-ca`, namespace: props.namespace },
      data: { 'ca.crt': props.caCertPem },
    });
    this.caSecret = ca.metadata.name;
    this.secrets.push(ca);
  }
}
