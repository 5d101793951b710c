import { SecretV1 } from '@cdktf/provider-kubernetes/lib/secret-v1';
import { Construct } from 'constructs';
import { stringify } from 'yaml';
import { terraformLiteral } from '../terraform/literal';
import { ElasticsearchUserSpec, fileRealmSecretName, roleSecretName } from './users';

export interface ElasticsearchFileRealmUserProps {
  /** Elasticsearch's namespace: ECK reads file-realm and role Secrets only there. */
  readonly elasticsearchNamespace: string;
  readonly user: ElasticsearchUserSpec;
  /** An ephemeral password: written with a write-only argument, never stored in state. */
  readonly password: string;
  /** The write-only data is sent on create and whenever this number changes. */
  readonly revision: number;
}

/**
 * A file-realm user for ECK (`spec.auth.fileRealm` + `spec.auth.roles`): a basic-auth Secret
 * and its role, in Elasticsearch's namespace. ECK hashes the password into the realm it mounts;
 * a missing Secret is skipped with an event until it exists (read in ECK v3.5.0).
 */
export class ElasticsearchFileRealmUser extends Construct {
  readonly secret: SecretV1;
  readonly roleSecret: SecretV1;

  constructor(scope: Construct, id: string, props: ElasticsearchFileRealmUserProps) {
    super(scope, id);
    const { user } = props;
    this.secret = new SecretV1(this, 'user', {
      metadata: { name: fileRealmSecretName(user.username), namespace: props.elasticsearchNamespace },
      type: 'kubernetes.io/basic-auth',
      // With a write-only revision the provider writes only data_wo (data is ignored), so every key goes there.
      dataWo: { username: user.username, password: props.password, roles: user.roleName },
      dataWoRevision: props.revision,
    });
    this.roleSecret = new SecretV1(this, 'role', {
      metadata: { name: roleSecretName(user.username), namespace: props.elasticsearchNamespace },
      data: { 'roles.yml': terraformLiteral(stringify({ [user.roleName]: user.role })) },
    });
  }
}
