import { SecretV1 } from '@cdktf/provider-kubernetes/lib/secret-v1';
import { Fn } from 'cdktf';
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

/** What a workload needs to talk to Elasticsearch, as Secrets in its own namespace. */
export interface ElasticsearchClient {
  /** Secret with `username` and `password`. */
  readonly credentialsSecret: string;
  /** Secret with `ca.crt`. */
  readonly caSecret: string;
  /** Changes whenever the credentials or the CA change (for pod-template annotations). */
  readonly checksum: string;
}

/** What an Elasticsearch client needs in its own namespace: credentials and the CA. */
export class ElasticsearchClientSecrets extends Construct implements ElasticsearchClient {
  readonly credentialsSecret: string;
  readonly caSecret: string;
  /** The Secret resources, for dependsOn. */
  readonly secrets: SecretV1[];
  /**
   * sha256 of the credentials and CA, computed by Terraform from the resolved Secret data, for
   * a pod-template annotation: a new password or CA rolls the pods that read them. The hash
   * of a 32-character random password reveals nothing, so it is shown in plans.
   */
  readonly checksum: string;

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
    } else {
      const ca = new SecretV1(this, 'ca', {
        metadata: { name: `${name}-ca`, namespace: props.namespace },
        data: { 'ca.crt': props.caCertPem },
      });
      this.caSecret = ca.metadata.name;
      this.secrets.push(ca);
    }
    this.checksum = Fn.nonsensitive(Fn.sha256(Fn.jsonencode(this.secrets.map((s) => s.data))));
  }
}
