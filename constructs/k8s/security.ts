/**
 * Secure defaults shared by every workload we deploy, whether as raw Kubernetes resources
 * or through Helm values (cdk8s-plus style: call sites get them without repeating them).
 * The objects use Kubernetes API field names, which are also the cdktf provider's struct
 * names and the charts' value names.
 */

/** Restricted-profile container security context: non-root, read-only root FS, no caps. */
export interface ContainerSecurity {
  readonly runAsNonRoot: boolean;
  readonly runAsUser?: number;
  readonly runAsGroup?: number;
  readonly readOnlyRootFilesystem: boolean;
  readonly allowPrivilegeEscalation: boolean;
  readonly privileged: boolean;
  readonly capabilities: { readonly drop: string[]; readonly add?: string[] };
  readonly seccompProfile: { readonly type: 'RuntimeDefault' };
}

export const DEFAULT_NON_ROOT_UID = 10001;

/**
 * The default for every container. `uid` must be a numeric non-root user so that
 * Kubernetes can verify runAsNonRoot without inspecting the image.
 */
export function restrictedContainerSecurity(uid = DEFAULT_NON_ROOT_UID): ContainerSecurity {
  if (uid === 0) throw new Error('restrictedContainerSecurity: uid 0 is root; use rootContainerSecurity() with a reason instead');
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    privileged: false,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/**
 * For the few node agents that must run as root (Fluentd reads root-owned files under
 * /var/log and keeps its position files there). Still read-only root FS, no privilege
 * escalation and no capabilities: being the owner of the files is enough.
 */
export function rootContainerSecurity(reason: string): ContainerSecurity {
  if (reason.trim().length < 10) throw new Error('rootContainerSecurity: say why the container needs root');
  return {
    runAsNonRoot: false,
    runAsUser: 0,
    runAsGroup: 0,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    privileged: false,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** Pod-level defaults matching restrictedContainerSecurity. */
export function restrictedPodSecurity(uid = DEFAULT_NON_ROOT_UID) {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    fsGroup: uid,
    seccompProfile: { type: 'RuntimeDefault' as const },
  };
}

/** Converts to the string-typed shape the kubernetes provider expects for uid/gid. */
export function toProviderSecurityContext(s: ContainerSecurity) {
  return {
    runAsNonRoot: s.runAsNonRoot,
    runAsUser: s.runAsUser === undefined ? undefined : String(s.runAsUser),
    runAsGroup: s.runAsGroup === undefined ? undefined : String(s.runAsGroup),
    readOnlyRootFilesystem: s.readOnlyRootFilesystem,
    allowPrivilegeEscalation: s.allowPrivilegeEscalation,
    privileged: s.privileged,
    capabilities: { drop: [...s.capabilities.drop], add: s.capabilities.add ? [...s.capabilities.add] : undefined },
    seccompProfile: { type: s.seccompProfile.type },
  };
}
