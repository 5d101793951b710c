import { Construct } from 'constructs';
import { HelmAddOn } from '../helm/helm-addon';
import { ResourceRequirements } from '../k8s/resources';
import { ContainerSecurity, restrictedContainerSecurity, restrictedPodSecurity } from '../k8s/security';
import { buildJaegerConfig } from '../jaeger/jaeger-config';

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
  readonly namespace: string;
  /** @default 4.11.1 */
  readonly chartVersion?: string;
  /** jaegertracing/jaeger image tag. @default 2.19.0 */
  readonly imageTag?: string;
  /** In-memory store limit. @default 50000 */
  readonly maxTraces?: number;
  readonly resources: ResourceRequirements;
}

/** Jaeger v2 all-in-one (in-memory storage), release and Service named `jaeger`. */
export class JaegerAddOn extends HelmAddOn<JaegerValues> {
  static readonly defaults = { chart: 'jaeger', repository: 'https://jaegertracing.github.io/helm-charts', version: '4.11.1', release: 'jaeger' };
  /** Name of the chart's Service (all ports). */
  readonly serviceName = 'jaeger';
  /** Pod labels the chart's selector uses. */
  readonly selector = { 'app.kubernetes.io/name': 'jaeger', 'app.kubernetes.io/instance': 'jaeger', 'app.kubernetes.io/component': 'all-in-one' };

  constructor(scope: Construct, id: string, props: JaegerAddOnProps) {
    const major = Number((props.chartVersion ?? JaegerAddOn.defaults.version).split('.')[0]);
    if (major < 4) throw new Error(`jaeger: chart ${props.chartVersion} is the Jaeger v1 layout; this add-on renders chart 4.x (Jaeger v2) values`);
    super(scope, id, {
      ...JaegerAddOn.defaults,
      version: props.chartVersion ?? JaegerAddOn.defaults.version,
      namespace: props.namespace,
      values: {
        fullnameOverride: 'jaeger',
        jaeger: {
          image: { tag: props.imageTag ?? '2.19.0' },
          resources: props.resources,
          podSecurityContext: restrictedPodSecurity(),
          securityContext: restrictedContainerSecurity(),
        },
        userconfig: buildJaegerConfig({ maxTraces: props.maxTraces ?? 50_000 }),
      },
    });
  }
}
