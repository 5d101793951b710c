import { TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import type { MonitoringConfig } from '../config/schema';
import type { ClusterConnection } from '../constructs/k8s/cluster-connection';
import { LocalKindCluster } from '../constructs/kind/local-cluster';
import { kindContext, kindKubeconfigPath } from '../constructs/kind/names';
import { MonitoringStack } from './monitoring-stack';

/**
 * The Kubernetes cluster. kind mode: a kind cluster with a local registry the nodes pull
 * from. existing / environment mode: no resources, only the connection other stacks use.
 */
export class ClusterStack extends MonitoringStack {
  readonly connection: ClusterConnection;
  /** Registry host:port (kind mode only). */
  readonly registry?: string;

  constructor(scope: Construct, config: MonitoringConfig) {
    super(scope, 'cluster', config);
    const cluster = config.cluster;
    if (cluster.mode === 'environment') {
      this.connection = { type: 'environment' };
      new TerraformOutput(this, 'kube_context', { value: cluster.kubeContext ?? '(current context)', description: 'providers use KUBE_* environment variables' });
      return;
    }
    if (cluster.mode === 'existing') {
      this.connection = { type: 'kubeconfig', configPath: cluster.kubeconfigPath, configContext: cluster.context };
      new TerraformOutput(this, 'kube_context', { value: cluster.context, description: 'kubectl context of the existing cluster' });
      return;
    }
    const kind = new LocalKindCluster(this, 'kind', cluster);
    this.connection = kind.connection;
    this.registry = kind.registry;

    // No credential in an output: other stacks (and kubectl) use the kubeconfig file kind writes.
    new TerraformOutput(this, 'endpoint', { value: kind.cluster.endpoint, description: 'Kubernetes API server URL' });
    new TerraformOutput(this, 'kube_context', { value: kindContext(cluster.name) });
    new TerraformOutput(this, 'kubeconfig_path', { value: kindKubeconfigPath(cluster.name), description: 'relative to the project directory: export KUBECONFIG=$PWD/<this>' });
    new TerraformOutput(this, 'registry', { value: kind.registry, description: 'push images here; nodes pull the same name' });
  }
}
