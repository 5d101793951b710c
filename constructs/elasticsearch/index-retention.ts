import { Construct } from 'constructs';
import { INDEX_RETENTION_JOB } from './names';
import { ResourceRequirements } from '../k8s/resources';
import { SecureCronJob } from '../k8s/secure-cronjob';

export interface IndexRetentionProps {
  readonly namespace: string;
  /** Daily indices `<prefix>-YYYY-MM-DD` of each prefix are pruned. */
  readonly indexPrefixes: string[];
  /** Indices whose date is older than this many days are deleted. */
  readonly retentionDays: number;
  /** https base URL of Elasticsearch. */
  readonly elasticsearchUrl: string;
  /** Secret with `username`/`password` of a user allowed to delete those indices. */
  readonly credentialsSecret: string;
  /** Secret with `ca.crt`. */
  readonly caSecret: string;
  /** curl image, pinned. */
  readonly image: string;
  /** @default daily at 00:15 UTC */
  readonly schedule?: string;
}

/**
 * The shell the retention job runs. Index names carry their date, so the job compares
 * names with the cutoff date: no Elasticsearch plugin or ILM setup needed.
 */
export function retentionScript(prefixes: string[], days: number): string {
  return [
    'set -eu',
    `cutoff=$(date -u -d "@$(( $(date +%s) - ${days} * 86400 ))" +%Y-%m-%d)`,
    'auth="$ES_USERNAME:$ES_PASSWORD"',
    `for prefix in ${prefixes.join(' ')}; do`,
    // An assignment, so that a failed listing stops the job (set -e ignores failures in `for ... in $(...)`).
    '  indices=$(curl -sS --fail --cacert /es-ca/ca.crt -u "$auth" "$ES_URL/_cat/indices/${prefix}-*?h=index")',
    '  for index in $indices; do',
    '    day=${index#"${prefix}-"}',
    '    case "$day" in [0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]) ;; *) continue ;; esac',
    '    if [ "$day" \\< "$cutoff" ]; then',
    '      echo "deleting $index (older than $cutoff)"',
    '      curl -sS --fail --cacert /es-ca/ca.crt -u "$auth" -X DELETE "$ES_URL/$index" >/dev/null',
    '    fi',
    '  done',
    'done',
  ].join('\n');
}

const JOB_RESOURCES: ResourceRequirements = { requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '100m', memory: '64Mi' } };

/** Daily CronJob deleting dated indices older than the retention period. */
export class IndexRetention extends Construct {
  readonly job: SecureCronJob;

  constructor(scope: Construct, id: string, props: IndexRetentionProps) {
    super(scope, id);
    if (props.retentionDays < 1) throw new Error('index retention: retentionDays must be at least 1 (0 means: do not create the job)');
    this.job = new SecureCronJob(this, 'job', {
      name: INDEX_RETENTION_JOB,
      namespace: props.namespace,
      schedule: props.schedule ?? '15 0 * * *',
      containers: [
        {
          name: 'prune',
          image: props.image,
          command: ['/bin/sh', '-c', retentionScript(props.indexPrefixes, props.retentionDays)],
          env: [
            { name: 'ES_URL', value: props.elasticsearchUrl },
            { name: 'ES_USERNAME', secretName: props.credentialsSecret, secretKey: 'username' },
            { name: 'ES_PASSWORD', secretName: props.credentialsSecret, secretKey: 'password' },
          ],
          resources: JOB_RESOURCES,
          volumeMounts: [{ name: 'es-ca', mountPath: '/es-ca' }],
        },
      ],
      volumes: [{ name: 'es-ca', secret: props.caSecret }],
    });
  }
}
