import type { DeploymentV1SpecTemplateSpec } from '@cdktf/provider-kubernetes/lib/deployment-v1';
import { ContainerSecurity, restrictedContainerSecurity, restrictedPodSecurity, toProviderSecurityContext } from './security';
import { ResourceRequirements } from './resources';
import { terraformLiteral } from '../terraform/literal';

/** An HTTP or exec probe; timings default to conservative values. */
export interface ProbeSpec {
  readonly httpGet?: { readonly path: string; readonly port: number };
  readonly exec?: { readonly command: string[] };
  /** @default 5 */
  readonly initialDelaySeconds?: number;
  /** @default 10 */
  readonly periodSeconds?: number;
  /** @default 2 */
  readonly timeoutSeconds?: number;
  /** @default 3 */
  readonly failureThreshold?: number;
}

export type EnvVarSpec =
  | { readonly name: string; readonly value: string }
  | { readonly name: string; readonly fieldPath: string }
  | { readonly name: string; readonly secretName: string; readonly secretKey: string };

export interface VolumeMountSpec {
  readonly name: string;
  readonly mountPath: string;
  /** @default true */
  readonly readOnly?: boolean;
  /** @default - whole volume */
  readonly subPath?: string;
}

export type VolumeSpec =
  | { readonly name: string; readonly emptyDir: { readonly sizeLimit: string } }
  | { readonly name: string; readonly configMap: string }
  | { readonly name: string; readonly secret: string }
  | { readonly name: string; readonly hostPath: string; readonly type?: 'Directory' | 'DirectoryOrCreate' };

export interface ContainerSpec {
  readonly name: string;
  readonly image: string;
  /** @default - the image's entrypoint */
  readonly command?: string[];
  /** @default - the image's arguments */
  readonly args?: string[];
  /** @default - none */
  readonly ports?: { readonly name: string; readonly containerPort: number }[];
  /** @default - none */
  readonly env?: EnvVarSpec[];
  /** Required: every container has requests and limits. */
  readonly resources: ResourceRequirements;
  /** Required for servers: every long-running container says when it can take traffic. */
  readonly readinessProbe: ProbeSpec;
  /** Required for servers: every long-running container says when it must be restarted. */
  readonly livenessProbe: ProbeSpec;
  /** @default restrictedContainerSecurity() */
  readonly security?: ContainerSecurity;
  /** @default - none */
  readonly volumeMounts?: VolumeMountSpec[];
}

/** A run-to-completion container (Job/CronJob): probes do not apply. */
export type JobContainerSpec = Omit<ContainerSpec, 'readinessProbe' | 'livenessProbe'>;

export interface PodSpecProps {
  readonly containers: (ContainerSpec | JobContainerSpec)[];
  /** @default - the kubelet's default (Always); Jobs use OnFailure or Never */
  readonly restartPolicy?: 'Always' | 'OnFailure' | 'Never';
  /** @default - none */
  readonly volumes?: VolumeSpec[];
  /** @default - the namespace's default service account */
  readonly serviceAccountName?: string;
  /** Only workloads that call the Kubernetes API need a token. @default false */
  readonly automountServiceAccountToken?: boolean;
  /** @default restrictedPodSecurity() */
  readonly podSecurity?: ReturnType<typeof restrictedPodSecurity> | { readonly runAsNonRoot: false; readonly seccompProfile: { readonly type: 'RuntimeDefault' } };
  /** @default 30 */
  readonly terminationGracePeriodSeconds?: number;
  /** @default - none */
  readonly tolerations?: { readonly key?: string; readonly operator: 'Exists' | 'Equal'; readonly effect?: string; readonly value?: string }[];
}

/** Builds the provider's pod spec with the secure defaults applied. */
export function buildPodSpec(props: PodSpecProps): DeploymentV1SpecTemplateSpec {
  const podSecurity = props.podSecurity ?? restrictedPodSecurity();
  return {
    serviceAccountName: props.serviceAccountName,
    automountServiceAccountToken: props.automountServiceAccountToken ?? false,
    terminationGracePeriodSeconds: props.terminationGracePeriodSeconds ?? 30,
    enableServiceLinks: false,
    restartPolicy: props.restartPolicy,
    securityContext: {
      runAsNonRoot: podSecurity.runAsNonRoot,
      runAsUser: 'runAsUser' in podSecurity ? String(podSecurity.runAsUser) : undefined,
      runAsGroup: 'runAsGroup' in podSecurity ? String(podSecurity.runAsGroup) : undefined,
      fsGroup: 'fsGroup' in podSecurity ? String(podSecurity.fsGroup) : undefined,
      seccompProfile: { type: podSecurity.seccompProfile.type },
    },
    toleration: props.tolerations?.map((t) => ({ ...t })),
    container: props.containers.map(buildContainer),
    volume: props.volumes?.map(buildVolume),
  };
}

function buildContainer(c: ContainerSpec | JobContainerSpec) {
  return {
    name: c.name,
    image: c.image,
    imagePullPolicy: 'IfNotPresent',
    // Scripts and arguments are literal text for the container, never Terraform templates.
    command: c.command?.map(terraformLiteral),
    args: c.args?.map(terraformLiteral),
    port: c.ports?.map((p) => ({ name: p.name, containerPort: p.containerPort, protocol: 'TCP' })),
    env: c.env?.map(buildEnv),
    resources: { requests: { ...c.resources.requests }, limits: { ...c.resources.limits } },
    readinessProbe: 'readinessProbe' in c ? buildProbe(c.readinessProbe) : undefined,
    livenessProbe: 'livenessProbe' in c ? buildProbe(c.livenessProbe) : undefined,
    securityContext: toProviderSecurityContext(c.security ?? restrictedContainerSecurity()),
    volumeMount: c.volumeMounts?.map((m) => ({ name: m.name, mountPath: m.mountPath, readOnly: m.readOnly ?? true, subPath: m.subPath })),
  };
}

function buildProbe(p: ProbeSpec) {
  if (!p.httpGet === !p.exec) throw new Error('a probe needs exactly one of httpGet or exec');
  return {
    httpGet: p.httpGet ? { path: p.httpGet.path, port: String(p.httpGet.port) } : undefined,
    exec: p.exec ? { command: p.exec.command } : undefined,
    initialDelaySeconds: p.initialDelaySeconds ?? 5,
    periodSeconds: p.periodSeconds ?? 10,
    timeoutSeconds: p.timeoutSeconds ?? 2,
    failureThreshold: p.failureThreshold ?? 3,
  };
}

function buildEnv(e: EnvVarSpec) {
  if ('value' in e) return { name: e.name, value: terraformLiteral(e.value) };
  if ('fieldPath' in e) return { name: e.name, valueFrom: { fieldRef: { fieldPath: e.fieldPath } } };
  return { name: e.name, valueFrom: { secretKeyRef: { name: e.secretName, key: e.secretKey } } };
}

function buildVolume(v: VolumeSpec) {
  if ('emptyDir' in v) return { name: v.name, emptyDir: { sizeLimit: v.emptyDir.sizeLimit } };
  if ('configMap' in v) return { name: v.name, configMap: { name: v.configMap } };
  if ('secret' in v) return { name: v.name, secret: { secretName: v.secret } };
  return { name: v.name, hostPath: { path: v.hostPath, type: v.type ?? 'DirectoryOrCreate' } };
}
