import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import { resolve } from 'node:path';
import type { MonitoringConfig } from '../config/schema';
import { SAMPLE_APP_SERVICE } from '../constructs/app/names';
import { SampleApp } from '../constructs/app/sample-app';
import { SampleAppImage } from '../constructs/app/sample-app-image';
import { ClusterConnection, KubernetesProviders } from '../constructs/k8s/cluster-connection';
import { SecureNamespace } from '../constructs/k8s/namespace';
import { SampleAppIngress } from '../constructs/network/flows';
import { resourceRequirements } from '../constructs/k8s/resources';
import { ClusterStack } from './cluster-stack';
import { MonitoringStack } from './monitoring-stack';
import { OtelCollectorStack } from './otel-collector-stack';

export const SAMPLE_APP_DIR = resolve(__dirname, '..', 'sample-app');

/** The sample app (front + backend roles), its image built and pushed by the deploy itself. */
export class SampleAppStack extends MonitoringStack {
  readonly image: string;

  constructor(scope: Construct, config: MonitoringConfig, connection: ClusterConnection, cluster: ClusterStack, collector: OtelCollectorStack) {
    super(scope, 'sample-app', config);
    new KubernetesProviders(this, 'providers', { connection, helm: false });
    const ns = config.namespaces.app;
    const namespace = new SecureNamespace(this, 'namespace', { name: ns, denyIngressByDefault: config.networkPolicies.enabled });
    if (config.networkPolicies.enabled) new SampleAppIngress(this, 'ingress', { config, namespace: namespace.metadata.name });

    if (config.sampleApp.image) {
      this.image = config.sampleApp.image;
    } else {
      if (!cluster.registry) throw new Error('sampleApp.image is required when the cluster stack has no local registry');
      new DockerProvider(this, 'docker', {
        // The push looks the registry up in the provider's auth entries; the local registry has
        // no auth, and its digest lookup needs the http:// form (plain-HTTP registry).
        registryAuth: [{ address: `http://${cluster.registry}`, authDisabled: true }],
      });
      this.image = new SampleAppImage(this, 'app-image', { contextDir: SAMPLE_APP_DIR, registry: cluster.registry }).imageRef;
    }

    const app = new SampleApp(this, 'app', {
      namespace: namespace.metadata.name,
      image: this.image,
      replicas: config.sampleApp.replicas,
      backendReplicas: config.sampleApp.backendReplicas,
      port: config.sampleApp.port,
      otlpEndpoint: collector.otlpHttpEndpoint,
      environment: config.environment,
      resources: resourceRequirements(config.sampleApp.resources),
    });
    app.front.deployment.node.addDependency(app.backend.deployment);

    new TerraformOutput(this, 'image', { value: this.image });
    new TerraformOutput(this, 'port_forward', {
      value: `kubectl -n ${ns} port-forward svc/${SAMPLE_APP_SERVICE} ${config.sampleApp.port}:${config.sampleApp.port}   # then http://localhost:${config.sampleApp.port}/`,
    });
  }
}
