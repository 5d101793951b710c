import { DataKubernetesSecretV1 } from '@cdktf/provider-kubernetes/lib/data-kubernetes-secret-v1';
import { SecretV1 } from '@cdktf/provider-kubernetes/lib/secret-v1';
import { Fn } from 'cdktf';
import { Construct } from 'constructs';
import { EphemeralRandomPassword } from '../terraform/ephemeral-random-password';
import { ELASTICSEARCH_HTTP_PUBLIC_CERTS_SECRET } from './names';
import { ElasticsearchFileRealmUser } from './user';
import type { ElasticsearchUserSpec } from './users';
import { writeOnlyRevision } from './write-only';

/** What a client stack knows of Elasticsearch: names and identities, never a secret. */
export interface ElasticsearchRefs {
  /** Elasticsearch's namespace (from the elasticsearch stack, so this stack deploys after it). */
  readonly namespace: string;
  /** That namespace's uid: when it is recreated (and its Secrets with it), the client's copy is rewritten too. */
  readonly namespaceUid: string;
}

export interface ElasticsearchClientSecretsProps {
  /** Namespace of the client workload (Secrets cannot be read across namespaces). */
  readonly namespace: string;
  readonly elasticsearch: ElasticsearchRefs;
  /** The client's own user (from elasticsearchUsers()). */
  readonly user: ElasticsearchUserSpec;
  /** elasticsearch.credentialsRevision: a new number rewrites the password everywhere. */
  readonly credentialsRevision: number;
  /**
   * The CA the client trusts: a copy of ECK's public CA in this namespace, a CA Secret already
   * there (another client's copy), or none (a client that never calls Elasticsearch itself,
   * e.g. the Kibana data-view Job). @default 'copy'
   */
  readonly ca?: 'copy' | 'none' | { readonly existingSecret: string };
}

/** What a workload needs to talk to Elasticsearch, as Secrets in its own namespace. */
export interface ElasticsearchClient {
  /** Secret with `username` and `password`. */
  readonly credentialsSecret: string;
  /** Secret with `ca.crt` (empty with `ca: 'none'`). */
  readonly caSecret: string;
  /** Changes whenever the credentials or the CA change (for pod-template annotations). */
  readonly checksum: string;
}

/**
 * A client's credentials, born where they are used: one ephemeral password written (write-only,
 * never in state) to the client's Secret in its own namespace and to its file-realm user in
 * Elasticsearch's namespace, in the same apply. Plus the CA: ECK's public certificate copied in.
 *
 * The two copies cannot drift apart: the file-realm copy's revision follows the client copy's
 * uid (a recreated client Secret rewrites both), and the client copy's revision follows
 * Elasticsearch's namespace uid (a recreated namespace, which takes the file-realm copy with it,
 * rewrites both); credentialsRevision rewrites both.
 */
export class ElasticsearchClientSecrets extends Construct implements ElasticsearchClient {
  readonly credentialsSecret: string;
  readonly caSecret: string;
  /** The Secret resources, for dependsOn. */
  readonly secrets: SecretV1[];
  /**
   * sha256 of the client copy's uid and write revision and of the CA, from resolved values,
   * for a pod-template annotation: exactly the rewrites of this client's password (or a new CA)
   * roll the pods that read it. The password itself cannot be hashed: it is never known to state.
   */
  readonly checksum: string;

  constructor(scope: Construct, id: string, props: ElasticsearchClientSecretsProps) {
    super(scope, id);
    const { user } = props;
    const password = new EphemeralRandomPassword(this, 'password');
    // A new construct id (and Secret name) for the write-only layout: an upgrade from the stored-password
    // layout destroys the old resource (and its stored `data`) instead of updating it in place,
    // where the provider would keep the old `data` in state (it is computed, and no longer read).
    const credentials = new SecretV1(this, 'client-copy', {
      metadata: { name: `elasticsearch-${user.username}-credentials`, namespace: props.namespace },
      type: 'kubernetes.io/basic-auth',
      dataWo: { username: user.username, password: password.result },
      dataWoRevision: writeOnlyRevision([String(props.credentialsRevision), props.elasticsearch.namespaceUid]),
    });
    const fileRealm = new ElasticsearchFileRealmUser(this, 'file-realm', {
      elasticsearchNamespace: props.elasticsearch.namespace,
      user,
      password: password.result,
      revision: writeOnlyRevision([String(props.credentialsRevision), credentials.metadata.uid]),
    });
    this.credentialsSecret = credentials.metadata.name;
    this.secrets = [credentials, fileRealm.secret, fileRealm.roleSecret];

    const caChoice = props.ca ?? 'copy';
    let caData: unknown;
    if (caChoice === 'none') {
      this.caSecret = '';
    } else if (caChoice !== 'copy') {
      this.caSecret = caChoice.existingSecret;
      caData = caChoice.existingSecret;
    } else {
      // Public (ca.crt, tls.crt, no key): ECK keeps it without an owner so clients can copy it.
      const publicCerts = new DataKubernetesSecretV1(this, 'eck-public-certs', {
        metadata: { name: ELASTICSEARCH_HTTP_PUBLIC_CERTS_SECRET, namespace: props.elasticsearch.namespace },
      });
      const ca = new SecretV1(this, 'ca', {
        metadata: { name: 'elasticsearch-ca', namespace: props.namespace },
        // Read after the elasticsearch stack's gate saw Elasticsearch healthy, so ECK has issued it;
        // if it were missing the provider reads no data, and the copy stays empty (TLS then fails loudly).
        data: { 'ca.crt': Fn.try([Fn.lookup(publicCerts.data, 'ca.crt'), '']) },
      });
      this.caSecret = ca.metadata.name;
      this.secrets.push(ca);
      caData = ca.data;
    }
    this.checksum = Fn.nonsensitive(Fn.sha256(Fn.jsonencode([credentials.metadata.uid, credentials.dataWoRevision, caData])));
  }
}
