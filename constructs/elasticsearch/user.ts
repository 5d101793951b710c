import { SecretV1 } from '@cdktf/provider-kubernetes/lib/secret-v1';
import { Password } from '@cdktf/provider-random/lib/password';
import { Construct } from 'constructs';
import { stringify } from 'yaml';
import { terraformLiteral } from '../terraform/literal';

/** An Elasticsearch role as roles.yml writes it. */
export interface ElasticsearchRole {
  readonly cluster: string[];
  readonly indices: { readonly names: string[]; readonly privileges: string[] }[];
  /** Application privileges, e.g. Kibana's feature privileges (`kibana-.kibana`, `feature_<id>.<all|read>`, `space:<id>`). */
  readonly applications?: { readonly application: string; readonly privileges: string[]; readonly resources: string[] }[];
}

export interface ElasticsearchUserProps {
  readonly namespace: string;
  readonly username: string;
  readonly roleName: string;
  readonly role: ElasticsearchRole;
}

/**
 * A file-realm user for ECK (`spec.auth.fileRealm` + `spec.auth.roles`). The password is a
 * random_password kept in Terraform state: generated once, unchanged by later applies.
 */
export class ElasticsearchUser extends Construct {
  readonly username: string;
  readonly password: string;
  readonly userSecretName: string;
  readonly roleSecretName: string;

  constructor(scope: Construct, id: string, props: ElasticsearchUserProps) {
    super(scope, id);
    const password = new Password(this, 'password', { length: 32, special: false });
    const user = new SecretV1(this, 'user', {
      metadata: { name: `elasticsearch-${props.username}-user`, namespace: props.namespace },
      type: 'kubernetes.io/basic-auth',
      data: { username: props.username, password: password.result, roles: props.roleName },
    });
    const role = new SecretV1(this, 'role', {
      metadata: { name: `elasticsearch-${props.username}-role`, namespace: props.namespace },
      data: { 'roles.yml': terraformLiteral(stringify({ [props.roleName]: props.role })) },
    });
    this.username = props.username;
    this.password = password.result;
    this.userSecretName = user.metadata.name;
    this.roleSecretName = role.metadata.name;
  }
}
