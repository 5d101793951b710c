import { Construct } from 'constructs';
import { SAMPLE_APP_BACKEND_SERVICE, SAMPLE_APP_SERVICE } from './names';
import { EnvVarSpec } from '../k8s/pod-spec';
import { ResourceRequirements } from '../k8s/resources';
import { SecureDeployment } from '../k8s/secure-deployment';
import { restrictedContainerSecurity, restrictedPodSecurity } from '../k8s/security';

/** The numeric user the sample-app Dockerfile runs as. */
export const SAMPLE_APP_UID = 10001;

export interface SampleAppProps {
  readonly namespace: string;
  readonly image: string;
  /** Replicas of the front (user-facing) role. @default 3 */
  readonly replicas?: number;
  /** Replicas of the backend role the front calls. @default 1 */
  readonly backendReplicas?: number;
  /** @default 8080 */
  readonly port?: number;
  /** OTLP/HTTP base URL of the collector (the collector stack's output). */
  readonly otlpEndpoint: string;
  readonly environment: string;
  readonly resources: ResourceRequirements;
}

/**
 * The instrumented sample app, deployed twice from one image: `sample-app` (front, the
 * Service users reach on 8080) and `sample-app-backend`, which the front calls so that
 * every order trace crosses two services.
 */
export class SampleApp extends Construct {
  readonly front: SecureDeployment;
  readonly backend: SecureDeployment;

  constructor(scope: Construct, id: string, props: SampleAppProps) {
    super(scope, id);
    const port = props.port ?? 8080;
    this.backend = this.role('backend', SAMPLE_APP_BACKEND_SERVICE, props.backendReplicas ?? 1, port, props, []);
    this.front = this.role('front', SAMPLE_APP_SERVICE, props.replicas ?? 3, port, props, [
      { name: 'BACKEND_URL', value: `http://${SAMPLE_APP_BACKEND_SERVICE}.${props.namespace}.svc.cluster.local:${port}` },
    ]);
  }

  private role(id: string, name: string, replicas: number, port: number, props: SampleAppProps, extraEnv: EnvVarSpec[]): SecureDeployment {
    return new SecureDeployment(this, id, {
      name,
      namespace: props.namespace,
      replicas,
      labels: { 'app.kubernetes.io/part-of': SAMPLE_APP_SERVICE },
      servicePorts: [{ name: 'http', port, targetPort: port }],
      terminationGracePeriodSeconds: 20,
      podSecurity: restrictedPodSecurity(SAMPLE_APP_UID),
      containers: [
        {
          name: 'app',
          image: props.image,
          ports: [{ name: 'http', containerPort: port }],
          env: [
            { name: 'PORT', value: String(port) },
            { name: 'HOST', value: '0.0.0.0' },
            { name: 'SERVICE_ROLE', value: id },
            { name: 'OTEL_SERVICE_NAME', value: name },
            { name: 'OTEL_EXPORTER_OTLP_ENDPOINT', value: props.otlpEndpoint },
            { name: 'OTEL_EXPORTER_OTLP_PROTOCOL', value: 'http/protobuf' },
            { name: 'POD_NAME', fieldPath: 'metadata.name' },
            { name: 'POD_NAMESPACE', fieldPath: 'metadata.namespace' },
            { name: 'NODE_NAME', fieldPath: 'spec.nodeName' },
            { name: 'DEPLOYMENT_ENVIRONMENT', value: props.environment },
            // Kubernetes expands $(VAR) from the entries above.
            { name: 'OTEL_RESOURCE_ATTRIBUTES', value: 'k8s.pod.name=$(POD_NAME),k8s.namespace.name=$(POD_NAMESPACE),k8s.node.name=$(NODE_NAME)' },
            ...extraEnv,
          ],
          resources: props.resources,
          readinessProbe: { httpGet: { path: '/readyz', port }, initialDelaySeconds: 2, periodSeconds: 5 },
          livenessProbe: { httpGet: { path: '/healthz', port }, initialDelaySeconds: 10, periodSeconds: 10 },
          security: restrictedContainerSecurity(SAMPLE_APP_UID),
          volumeMounts: [{ name: 'tmp', mountPath: '/tmp', readOnly: false }],
        },
      ],
      volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '32Mi' } }],
    });
  }
}
