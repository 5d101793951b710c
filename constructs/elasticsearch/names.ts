/**
 * Names of the Elasticsearch objects that other stacks and the operator tools (ops/, scripts/)
 * refer to. Plain constants, no provider bindings: `npm run verify` imports them cheaply.
 */

/** Label selector of the 12 CRDs the eck-operator chart installs (kept by Helm on uninstall). */
export const ECK_CRD_SELECTOR = 'app.kubernetes.io/name=eck-operator-crds';
