import { App } from 'cdktf';
import type { MonitoringConfig } from '../config/schema';
import { ClusterStack } from './cluster-stack';
import { ElasticsearchStack } from './elasticsearch-stack';
import { JaegerStack } from './jaeger-stack';
import { KibanaStack } from './kibana-stack';
import { LoggingStack } from './logging-stack';
import { OtelCollectorStack } from './otel-collector-stack';
import { SampleAppStack } from './sample-app-stack';

export interface MonitoringApp {
  readonly cluster: ClusterStack;
  readonly elasticsearch: ElasticsearchStack;
  readonly jaeger: JaegerStack;
  readonly collector: OtelCollectorStack;
  readonly logging: LoggingStack;
  readonly sampleApp: SampleAppStack;
  /** Absent when kibana.enabled is false. */
  readonly kibana?: KibanaStack;
}

/** Composes the six stacks, and Kibana's when enabled; outputs flow between them as cross-stack references. */
export function buildMonitoringApp(app: App, config: MonitoringConfig): MonitoringApp {
  const cluster = new ClusterStack(app, config);
  const connection = cluster.connection;
  const elasticsearch = new ElasticsearchStack(app, config, connection);
  const jaeger = new JaegerStack(app, config, connection, elasticsearch);
  const collector = new OtelCollectorStack(app, config, connection, jaeger, elasticsearch);
  const logging = new LoggingStack(app, config, connection, elasticsearch);
  const sampleApp = new SampleAppStack(app, config, connection, cluster, collector);
  const kibana = config.kibana.enabled ? new KibanaStack(app, config, connection, elasticsearch) : undefined;
  return { cluster, elasticsearch, jaeger, collector, logging, sampleApp, ...(kibana ? { kibana } : {}) };
}
