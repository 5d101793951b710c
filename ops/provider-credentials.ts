/**
 * kubectl with the credentials the stacks' kubernetes and helm providers use, for what `npm run
 * destroy` removes after Terraform (the ECK CRDs Helm keeps). kind / existing mode: the kubeconfig
 * file and context the providers are given. environment mode: the providers read `KUBE_*`
 * variables (hashicorp/kubernetes v2.38.0 kubernetes/provider.go: the schema's EnvDefaultFuncs and
 * initializeConfiguration; hashicorp/helm v3.1.1 helm/provider.go reads the same names): a
 * kubeconfig file (KUBE_CONFIG_PATH, else KUBE_CONFIG_PATHS) with KUBE_CTX / KUBE_CTX_AUTH_INFO /
 * KUBE_CTX_CLUSTER selecting in it, then KUBE_HOST, KUBE_TOKEN, KUBE_CLUSTER_CA_CERT_DATA,
 * KUBE_CLIENT_CERT_DATA, KUBE_CLIENT_KEY_DATA, KUBE_USER, KUBE_PASSWORD, KUBE_INSECURE,
 * KUBE_TLS_SERVER_NAME and KUBE_PROXY_URL applied over it. kubectl reads no KUBE_* variable, so
 * they become a kubeconfig document for it (written 0600 to a temporary directory by the caller).
 * Plain data and functions: the caller runs kubectl.
 */
import { delimiter } from 'node:path';
import { stringify } from 'yaml';

/** The KUBE_* variables the providers read, as they read them. */
export interface ProviderKubeEnv {
  /** KUBE_CONFIG_PATH, else the KUBE_CONFIG_PATHS list. */
  readonly configPaths: string[];
  readonly context?: string;
  readonly authInfo?: string;
  readonly cluster?: string;
  /** Applied over whatever the kubeconfig (or nothing) gives. */
  readonly overrides: KubeOverrides;
}

export interface KubeOverrides {
  readonly host?: string;
  readonly token?: string;
  /** PEM, as the providers take it. */
  readonly clusterCaCertificate?: string;
  readonly clientCertificate?: string;
  readonly clientKey?: string;
  readonly username?: string;
  readonly password?: string;
  readonly insecure?: boolean;
  readonly tlsServerName?: string;
  readonly proxyUrl?: string;
}

/** The variables the providers read (for messages: which ones were found). */
export const PROVIDER_KUBE_VARIABLES = [
  'KUBE_CONFIG_PATH',
  'KUBE_CONFIG_PATHS',
  'KUBE_CTX',
  'KUBE_CTX_AUTH_INFO',
  'KUBE_CTX_CLUSTER',
  'KUBE_HOST',
  'KUBE_TOKEN',
  'KUBE_CLUSTER_CA_CERT_DATA',
  'KUBE_CLIENT_CERT_DATA',
  'KUBE_CLIENT_KEY_DATA',
  'KUBE_USER',
  'KUBE_PASSWORD',
  'KUBE_INSECURE',
  'KUBE_TLS_SERVER_NAME',
  'KUBE_PROXY_URL',
] as const;

/** Reads the KUBE_* variables as the providers do (empty means unset); undefined when none gives a cluster. */
export function providerKubeEnv(env: NodeJS.ProcessEnv): ProviderKubeEnv | undefined {
  const get = (name: (typeof PROVIDER_KUBE_VARIABLES)[number]) => (env[name] ? env[name] : undefined);
  const configPaths = get('KUBE_CONFIG_PATH') ? [get('KUBE_CONFIG_PATH')!] : (get('KUBE_CONFIG_PATHS')?.split(delimiter).filter(Boolean) ?? []);
  const insecure = get('KUBE_INSECURE');
  const overrides: KubeOverrides = {
    host: get('KUBE_HOST'),
    token: get('KUBE_TOKEN'),
    clusterCaCertificate: get('KUBE_CLUSTER_CA_CERT_DATA'),
    clientCertificate: get('KUBE_CLIENT_CERT_DATA'),
    clientKey: get('KUBE_CLIENT_KEY_DATA'),
    username: get('KUBE_USER'),
    password: get('KUBE_PASSWORD'),
    insecure: insecure === undefined ? undefined : /^(1|t|true)$/i.test(insecure),
    tlsServerName: get('KUBE_TLS_SERVER_NAME'),
    proxyUrl: get('KUBE_PROXY_URL'),
  };
  if (!configPaths.length && !overrides.host) return undefined;
  // The context selectors apply only with a kubeconfig file (as in the providers).
  const selectors = configPaths.length ? { context: get('KUBE_CTX'), authInfo: get('KUBE_CTX_AUTH_INFO'), cluster: get('KUBE_CTX_CLUSTER') } : {};
  return { configPaths, ...selectors, overrides: Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) as KubeOverrides };
}

/** kubectl flags that select the context, cluster and user the providers select in the kubeconfig. */
export function selectorFlags(access: Pick<ProviderKubeEnv, 'context' | 'authInfo' | 'cluster'>): string[] {
  return [...(access.context ? ['--context', access.context] : []), ...(access.cluster ? ['--cluster', access.cluster] : []), ...(access.authInfo ? ['--user', access.authInfo] : [])];
}

export interface KubeconfigDoc {
  apiVersion?: string;
  kind?: string;
  clusters?: { name: string; cluster: Record<string, unknown> }[];
  users?: { name: string; user: Record<string, unknown> }[];
  contexts?: { name: string; context: { cluster?: string; user?: string; namespace?: string } }[];
  'current-context'?: string;
  [key: string]: unknown;
}

const b64 = (pem: string) => Buffer.from(pem, 'utf8').toString('base64');

/**
 * The server URL the providers derive from KUBE_HOST: as given when it has a scheme, else https
 * when a CA or client certificate is given and TLS is not skipped, else http (client-go's
 * DefaultServerURL, as initializeConfiguration calls it).
 */
export function serverUrl(host: string, overrides: KubeOverrides): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(host)) return host;
  const tls = Boolean(overrides.clusterCaCertificate || overrides.clientCertificate) && !overrides.insecure;
  return `${tls ? 'https' : 'http'}://${host}`;
}

/**
 * A kubeconfig with the overrides applied over `base` (the selected context of the providers'
 * kubeconfig as `kubectl config view --minify --flatten --raw` prints it, or nothing): one
 * cluster, one user, one context, as the providers' client sees it.
 */
export function kubeconfigWithOverrides(base: KubeconfigDoc | undefined, overrides: KubeOverrides): string {
  const current = base?.['current-context'];
  const context = base?.contexts?.find((c) => c.name === current)?.context ?? {};
  const cluster = { ...(base?.clusters?.find((c) => c.name === context.cluster)?.cluster ?? {}) };
  const user = { ...(base?.users?.find((u) => u.name === context.user)?.user ?? {}) };
  const o = overrides;
  if (o.insecure !== undefined) cluster['insecure-skip-tls-verify'] = o.insecure;
  if (o.tlsServerName) cluster['tls-server-name'] = o.tlsServerName;
  if (o.clusterCaCertificate) {
    cluster['certificate-authority-data'] = b64(o.clusterCaCertificate);
    delete cluster['certificate-authority'];
  }
  if (o.host) cluster.server = serverUrl(o.host, o);
  if (o.proxyUrl) cluster['proxy-url'] = o.proxyUrl;
  if (o.clientCertificate) {
    user['client-certificate-data'] = b64(o.clientCertificate);
    delete user['client-certificate'];
  }
  if (o.clientKey) {
    user['client-key-data'] = b64(o.clientKey);
    delete user['client-key'];
  }
  if (o.username) user.username = o.username;
  if (o.password) user.password = o.password;
  if (o.token) {
    user.token = o.token;
    delete user.tokenFile;
  }
  const doc: KubeconfigDoc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'providers', cluster }],
    users: [{ name: 'providers', user }],
    contexts: [{ name: 'providers', context: { cluster: 'providers', user: 'providers', ...(context.namespace ? { namespace: context.namespace } : {}) } }],
    'current-context': 'providers',
  };
  return stringify(doc);
}
