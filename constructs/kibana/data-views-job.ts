import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import { Fn, ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { ResourceRequirements } from '../k8s/resources';
import { SecureJob } from '../k8s/secure-job';
import { terraformLiterals } from '../terraform/literal';
import { KIBANA_DATA_VIEWS_API_VERSION, KibanaRequest } from './data-views';
import { DATA_VIEWS_JOB } from './names';

export interface KibanaDataViewsJobProps {
  readonly namespace: string;
  /** http base URL of Kibana (in-cluster Service). */
  readonly kibanaUrl: string;
  /** Secret with `username`/`password` of a user with Kibana's data-view management privilege. */
  readonly credentialsSecret: string;
  /** The requests to send, in order (constructs/kibana/data-views.ts). */
  readonly requests: KibanaRequest[];
  /** curl image, pinned. */
  readonly image: string;
  /** How long Kibana may take to answer (first start runs its saved-object migrations). @default 900 */
  readonly timeoutSeconds?: number;
  /** Must include the Kibana release and the credentials Secret. */
  readonly dependsOn: ITerraformDependable[];
}

const REQUESTS_DIR = '/kibana-requests';
const JOB_RESOURCES: ResourceRequirements = { requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '100m', memory: '64Mi' } };

/**
 * The shell the Job runs: wait (bounded) until Kibana's status answers 200 (what ECK's readiness
 * probe asks), then send each request. A request is retried while Kibana is not ready for it
 * (no connection, 401 while its Elasticsearch login settles, 408/429, 5xx) and fails at once on
 * any other answer (a 400 is a body Kibana refuses: retrying cannot help). On failure it names
 * Kibana, the URL, the request and the last answer.
 */
export function dataViewsScript(requests: Pick<KibanaRequest, 'name' | 'method' | 'path'>[], timeoutSeconds: number): string {
  return [
    'set -eu',
    `deadline=$(( $(date +%s) + ${timeoutSeconds} ))`,
    'expired() { [ "$(date +%s)" -ge "$deadline" ]; }',
    'until status=$(curl -sS --fail-with-body --max-time 10 "$KB_URL/api/status" 2>&1); do',
    '  if expired; then',
    `    echo "Kibana at $KB_URL did not answer within ${timeoutSeconds} s (last answer: $status). Check: kubectl -n $KB_NAMESPACE get kibana" >&2`,
    '    exit 1',
    '  fi',
    '  sleep 5',
    'done',
    'echo "Kibana is up"',
    // $1 method, $2 path, $3 body file name.
    'send() {',
    '  while :; do',
    `    out=$(curl -sS --max-time 30 -u "$KB_USERNAME:$KB_PASSWORD" -H 'kbn-xsrf: monitoring-stack' -H 'elastic-api-version: ${KIBANA_DATA_VIEWS_API_VERSION}' -H 'Content-Type: application/json' -X "$1" --data-binary "@${REQUESTS_DIR}/$3.json" -w ' HTTP%{http_code}' "$KB_URL$2" 2>&1) || true`,
    '    code="${out##* HTTP}"',
    '    case "$code" in',
    '      2??) echo "$3 applied ($1 $2: $code)"; return 0 ;;',
    '      000|401|408|429|5??) ;;',
    '      *) echo "Kibana at $KB_URL refused $1 $2 ($3): $out" >&2; exit 1 ;;',
    '    esac',
    '    if expired; then',
    `      echo "Kibana at $KB_URL did not accept $1 $2 ($3) within ${timeoutSeconds} s (last answer: $out)" >&2`,
    '      exit 1',
    '    fi',
    '    sleep 5',
    '  done',
    '}',
    ...requests.map((r) => `send ${r.method} ${r.path} ${r.name}`),
  ].join('\n');
}

/**
 * Terraform's hold on Kibana's data views: a Job, run after Kibana, that creates or overwrites
 * them through Kibana's data views API as its own least-privilege user. Terraform waits for it
 * (so the apply ends only once Kibana answers and the views exist); a change of any request body
 * replaces the Job (immutable pod template), so it runs again.
 */
export class KibanaDataViewsJob extends Construct {
  readonly job: SecureJob;
  readonly requests: ConfigMapV1;

  constructor(scope: Construct, id: string, props: KibanaDataViewsJobProps) {
    super(scope, id);
    const timeout = props.timeoutSeconds ?? 900;
    const names = props.requests.map((r) => r.name);
    if (new Set(names).size !== names.length) throw new Error(`kibana data views: request names must be unique (${names.join(', ')})`);
    this.requests = new ConfigMapV1(this, 'requests', {
      metadata: { name: 'kibana-data-view-requests', namespace: props.namespace },
      data: terraformLiterals(Object.fromEntries(props.requests.map((r) => [`${r.name}.json`, JSON.stringify(r.body, null, 2)]))),
    });
    this.job = new SecureJob(this, 'job', {
      name: DATA_VIEWS_JOB,
      namespace: props.namespace,
      activeDeadlineSeconds: timeout + 120,
      backoffLimit: 0,
      // The Job's pod template is immutable: a change of the bodies (or the order) replaces the Job.
      podAnnotations: { 'checksum/requests': Fn.sha256(Fn.jsonencode([this.requests.data, props.requests.map((r) => `${r.method} ${r.path} ${r.name}`)])) },
      containers: [
        {
          name: 'wait-and-apply',
          image: props.image,
          command: ['/bin/sh', '-c', dataViewsScript(props.requests, timeout)],
          env: [
            { name: 'KB_URL', value: props.kibanaUrl },
            { name: 'KB_NAMESPACE', fieldPath: 'metadata.namespace' },
            { name: 'KB_USERNAME', secretName: props.credentialsSecret, secretKey: 'username' },
            { name: 'KB_PASSWORD', secretName: props.credentialsSecret, secretKey: 'password' },
          ],
          resources: JOB_RESOURCES,
          volumeMounts: [{ name: 'requests', mountPath: REQUESTS_DIR }],
        },
      ],
      volumes: [{ name: 'requests', configMap: this.requests.metadata.name }],
      dependsOn: props.dependsOn,
    });
  }
}
