import { Construct } from 'constructs';
import { HelmAddOn } from '../helm/helm-addon';
import { ResourceRequirements } from '../k8s/resources';
import { ContainerSecurity, restrictedContainerSecurity, restrictedPodSecurity } from '../k8s/security';
import { buildJaegerConfig } from '../jaeger/jaeger-config';
import { JAEGER_RELEASE } from '../jaeger/names';

/** Jaeger chart 4.x values we set (no values schema upstream: keys checked against 4.11.1). */
export interface JaegerValues {
  readonly fullnameOverride: string;
  readonly jaeger: {
    readonly image: { readonly tag: string };
    readonly resources: ResourceRequirements;
    readonly podSecurityContext: ReturnType<typeof restrictedPodSecurity>;
    readonly securityContext: ContainerSecurity;
  };
  /** Replaces the chart's built-in config wholesale. */
  readonly userconfig: ReturnType<typeof buildJaegerConfig>;
}

export interface JaegerAddOnProps {
  /** Namespace (a Terraform-managed namespace). */
  readonly namespace: string;
  /** Exact jaeger chart version (4.x). */
  readonly chartVersion: string;
  /** Exact jaegertracing/jaeger image tag. */
  readonly imageTag: string;
  /** In-memory store limit. */
  readonly maxTraces: number;
  readonly resources: ResourceRequirements;
}

/** The env var that carries the values' checksum into Jaeger's pod template. */
export const JAEGER_CONFIG_CHECKSUM_ENV = 'CONFIG_SHA256';

/**
 * Jaeger v2 all-in-one (in-memory storage), release and Service named `jaeger`. The chart
 * mounts `userconfig` by subPath and has no checksum annotation nor pod-annotations value, so
 * a config change would never reach the running pod: the values' sha256 goes into the pod
 * template as an env var (`jaeger.extraEnv`), which rolls the pod whenever the values change.
 */
export class JaegerAddOn extends HelmAddOn<JaegerValues> {
  static readonly source = { chart: 'jaeger', repository: 'https://jaegertracing.github.io/helm-charts', release: JAEGER_RELEASE };
  /** Name of the chart's Service (all ports). */
  readonly serviceName = JAEGER_RELEASE;
  /** Pod labels the chart's selector uses. */
  readonly selector = { 'app.kubernetes.io/name': 'jaeger', 'app.kubernetes.io/instance': 'jaeger', 'app.kubernetes.io/component': 'all-in-one' };

  constructor(scope: Construct, id: string, props: JaegerAddOnProps) {
    const major = Number(props.chartVersion.split('.')[0]);
    if (major < 4) throw new Error(`jaeger: chart ${props.chartVersion} is the Jaeger v1 layout; this add-on renders chart 4.x (Jaeger v2) values`);
    super(scope, id, {
      ...JaegerAddOn.source,
      version: props.chartVersion,
      namespace: props.namespace,
      rolloutValues: (sha256) => ({ jaeger: { extraEnv: [{ name: JAEGER_CONFIG_CHECKSUM_ENV, value: sha256 }] } }),
      values: {
        fullnameOverride: JAEGER_RELEASE,
        jaeger: {
          image: { tag: props.imageTag },
          resources: props.resources,
          podSecurityContext: restrictedPodSecurity(),
          securityContext: restrictedContainerSecurity(),
        },
        userconfig: buildJaegerConfig({ maxTraces: props.maxTraces }),
      },
    });
  }
}
