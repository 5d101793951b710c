import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import { Fn, ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { ResourceRequirements } from '../k8s/resources';
import { SecureJob } from '../k8s/secure-job';
import { terraformLiterals } from '../terraform/literal';
import { IndexTemplate } from './index-templates';
import { READINESS_JOB } from './names';

export interface ElasticsearchReadinessGateProps {
  readonly namespace: string;
  /** https base URL of Elasticsearch (its certificate must cover the host). */
  readonly elasticsearchUrl: string;
  /** Secret with `username`/`password` of a user with cluster `monitor` and `manage_index_templates`. */
  readonly credentialsSecret: string;
  /** Secret with the CA as `ca.crt`. */
  readonly caSecret: string;
  /** Index templates to install once Elasticsearch answers, by template name. */
  readonly indexTemplates: Record<string, IndexTemplate>;
  /** curl image, pinned. */
  readonly image: string;
  /** How long Elasticsearch may take to report green or yellow. @default 900 */
  readonly timeoutSeconds?: number;
  /** Must include the release that creates Elasticsearch. */
  readonly dependsOn: ITerraformDependable[];
}

const TEMPLATES_DIR = '/index-templates';
const CA_DIR = '/es-ca';
const JOB_RESOURCES: ResourceRequirements = { requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '100m', memory: '64Mi' } };

/**
 * The shell the gate runs: wait (bounded) until the cluster health is green or yellow — all
 * primaries allocated, so writes succeed; yellow is a single node holding replicas — then PUT
 * each index template. On timeout it names Elasticsearch, the URL and the last answer.
 */
export function readinessScript(templateNames: string[], timeoutSeconds: number): string {
  return [
    'set -eu',
    `deadline=$(( $(date +%s) + ${timeoutSeconds} ))`,
    `es() { curl -sS --fail-with-body --max-time 20 --cacert ${CA_DIR}/ca.crt -u "$ES_USERNAME:$ES_PASSWORD" "$@"; }`,
    'until health=$(es "$ES_URL/_cluster/health?wait_for_status=yellow&timeout=10s" 2>&1); do',
    '  if [ "$(date +%s)" -ge "$deadline" ]; then',
    `    echo "Elasticsearch at $ES_URL did not report green or yellow health within ${timeoutSeconds} s (last answer: $health). Check: kubectl -n $ES_NAMESPACE get elasticsearch" >&2`,
    '    exit 1',
    '  fi',
    '  sleep 5',
    'done',
    'echo "Elasticsearch is up: $health"',
    `for name in ${templateNames.join(' ')}; do`,
    `  es -X PUT -H 'Content-Type: application/json' --data-binary "@${TEMPLATES_DIR}/$name.json" "$ES_URL/_index_template/$name" >/dev/null`,
    '  echo "index template $name applied"',
    'done',
  ].join('\n');
}

/**
 * Gate of the elasticsearch stack: a Job that Terraform waits for, which succeeds once
 * Elasticsearch reports green/yellow health and our index templates are in place. The stacks
 * that write to Elasticsearch deploy after this stack, so their workloads never start against
 * an Elasticsearch that is not there. A template change replaces the Job (it runs again).
 */
export class ElasticsearchReadinessGate extends Construct {
  readonly job: SecureJob;
  readonly templates: ConfigMapV1;

  constructor(scope: Construct, id: string, props: ElasticsearchReadinessGateProps) {
    super(scope, id);
    const timeout = props.timeoutSeconds ?? 900;
    const names = Object.keys(props.indexTemplates);
    this.templates = new ConfigMapV1(this, 'templates', {
      metadata: { name: 'elasticsearch-index-templates', namespace: props.namespace },
      data: terraformLiterals(Object.fromEntries(names.map((n) => [`${n}.json`, JSON.stringify(props.indexTemplates[n], null, 2)]))),
    });
    this.job = new SecureJob(this, 'job', {
      name: READINESS_JOB,
      namespace: props.namespace,
      activeDeadlineSeconds: timeout + 120,
      backoffLimit: 0,
      // The Job's pod template is immutable: a template change replaces the Job.
      podAnnotations: { 'checksum/index-templates': Fn.sha256(Fn.jsonencode(this.templates.data)) },
      containers: [
        {
          name: 'wait-and-apply',
          image: props.image,
          command: ['/bin/sh', '-c', readinessScript(names, timeout)],
          env: [
            { name: 'ES_URL', value: props.elasticsearchUrl },
            { name: 'ES_NAMESPACE', fieldPath: 'metadata.namespace' },
            { name: 'ES_USERNAME', secretName: props.credentialsSecret, secretKey: 'username' },
            { name: 'ES_PASSWORD', secretName: props.credentialsSecret, secretKey: 'password' },
          ],
          resources: JOB_RESOURCES,
          volumeMounts: [
            { name: 'templates', mountPath: TEMPLATES_DIR },
            { name: 'es-ca', mountPath: CA_DIR },
          ],
        },
      ],
      volumes: [
        { name: 'templates', configMap: this.templates.metadata.name },
        { name: 'es-ca', secret: props.caSecret },
      ],
      dependsOn: props.dependsOn,
    });
  }
}
