/**
 * fluent.conf as typed directives, rendered to Fluentd's config syntax. The DaemonSet
 * ships this file instead of the image's built-in one (which has no CA-file setting).
 */

export interface Directive {
  /** source | filter | match | parse | buffer | storage | system | … */
  readonly name: string;
  /** Tag pattern for filter/match. */
  readonly arg?: string;
  readonly params: Record<string, string | number | boolean>;
  readonly children?: Directive[];
}

export function renderDirectives(directives: Directive[], indent = ''): string {
  return directives
    .map((d) => {
      const open = d.arg ? `${indent}<${d.name} ${d.arg}>` : `${indent}<${d.name}>`;
      const params = Object.entries(d.params).map(([k, v]) => `${indent}  ${k} ${String(v)}`);
      const children = d.children?.length ? [renderDirectives(d.children, `${indent}  `)] : [];
      return [open, ...params, ...children, `${indent}</${d.name}>`].join('\n');
    })
    .join('\n');
}

export interface FluentConfOptions {
  /** Index prefix: indices are `<prefix>-YYYY-MM-DD`. */
  readonly indexPrefix: string;
  /** Elasticsearch Service host name (TLS certificate must cover it). */
  readonly elasticsearchHost: string;
  readonly elasticsearchPort: number;
  /** CA file path inside the container. */
  readonly caFile: string;
  /** Directory on the host for buffers and position files. */
  readonly stateDir: string;
  /** Upper bound of the file buffer, e.g. 512MB. */
  readonly bufferLimit: string;
  /** Port of the monitor_agent (probes). */
  readonly monitorPort: number;
  /** Port of the Prometheus metrics endpoint. */
  readonly metricsPort: number;
}

export const FLUENTD_MONITOR_PORT = 24220;
export const FLUENTD_METRICS_PORT = 24231;

/** Everything in one file so the whole pipeline is reviewable in one diff. */
export function buildFluentDirectives(o: FluentConfOptions): Directive[] {
  const pos = (name: string) => `${o.stateDir}/${name}.pos`;
  return [
    { name: 'system', params: { log_level: 'info' } },
    // Health (probes) and metrics (scraped by the collector via pod annotations).
    { name: 'source', params: { '@type': 'monitor_agent', bind: '0.0.0.0', port: o.monitorPort } },
    { name: 'source', params: { '@type': 'prometheus', bind: '0.0.0.0', port: o.metricsPort, metrics_path: '/metrics' } },
    { name: 'source', params: { '@type': 'prometheus_output_monitor', interval: 10 } },
    {
      name: 'source',
      params: {
        '@type': 'tail',
        '@id': 'in_tail_container_logs',
        path: '/var/log/containers/*.log',
        // Our own logs would loop back through us.
        exclude_path: '["/var/log/containers/fluentd*.log"]',
        pos_file: pos('containers.log'),
        pos_file_compaction_interval: '1h',
        tag: 'kubernetes.*',
        read_from_head: true,
        follow_inodes: true,
        refresh_interval: 5,
      },
      // kind runs containerd: CRI log lines are "<time> <stream> <P|F> <message>".
      children: [{ name: 'parse', params: { '@type': 'cri' } }],
    },
    {
      name: 'source',
      params: { '@type': 'systemd', '@id': 'in_systemd_node', path: '/var/log/journal', matches: '[{"_SYSTEMD_UNIT":"kubelet.service"},{"_SYSTEMD_UNIT":"containerd.service"}]', tag: 'node.systemd', read_from_head: true },
      children: [
        { name: 'storage', params: { '@type': 'local', persistent: true, path: pos('journal') } },
        { name: 'entry', params: { fields_strip_underscores: true, fields_lowercase: true } },
      ],
    },
    // Lines longer than containerd's 16 KiB limit arrive split, marked P(artial).
    {
      name: 'filter',
      arg: 'kubernetes.**',
      params: { '@type': 'concat', '@id': 'filter_concat_partial', key: 'message', use_partial_cri_logtag: true, partial_cri_logtag_key: 'logtag', partial_cri_stream_key: 'stream', separator: '""' },
    },
    { name: 'filter', arg: 'kubernetes.**', params: { '@type': 'kubernetes_metadata', '@id': 'filter_kube_metadata', skip_labels: false, skip_container_metadata: false, skip_master_url: true } },
    // JSON lines (the sample app's pino output) become fields; other lines stay in `message`.
    {
      name: 'filter',
      arg: 'kubernetes.**',
      params: { '@type': 'parser', '@id': 'filter_parse_json', key_name: 'message', reserve_data: true, reserve_time: true, remove_key_name_field: true, emit_invalid_record_to_error: false },
      // pino writes ISO-8601 `time`; parse it as a string (the default float type would
      // reject every line). The event keeps the CRI timestamp (reserve_time).
      children: [{ name: 'parse', params: { '@type': 'json', time_key: 'time', time_type: 'string', keep_time_key: true } }],
    },
    {
      name: 'match',
      arg: 'kubernetes.** node.**',
      params: {
        '@type': 'elasticsearch',
        '@id': 'out_es',
        host: o.elasticsearchHost,
        port: o.elasticsearchPort,
        scheme: 'https',
        ssl_verify: true,
        ca_file: o.caFile,
        ssl_version: 'TLSv1_2',
        user: '"#{ENV[\'ES_USERNAME\']}"',
        password: '"#{ENV[\'ES_PASSWORD\']}"',
        logstash_format: true,
        logstash_prefix: o.indexPrefix,
        logstash_prefix_separator: '-',
        logstash_dateformat: '%Y-%m-%d',
        include_timestamp: true,
        suppress_type_name: true,
        // The index template is applied by the elasticsearch stack's readiness gate.
        reconnect_on_error: true,
        reload_on_failure: false,
        reload_connections: false,
        request_timeout: '30s',
        log_es_400_reason: true,
        // fluent-plugin-elasticsearch 5.4.4 drops a whole chunk (UnrecoverableError) when a bulk
        // item fails with a type in this list; its default also lists es_rejected_execution_exception,
        // the 429 of an Elasticsearch busy catching up after an outage. Without it those records are
        // re-emitted into the buffer and retried (elasticsearch_error_handler.rb retry_stream).
        unrecoverable_error_types: 'out_of_memory_error',
      },
      children: [
        {
          // What survives what (fluentd v1.19.3 lib/fluent/plugin/output.rb, buf_file.rb):
          // - a Fluentd restart: the chunks are files on the node (buf_file is persistent and
          //   resumes staged and queued chunks at start), the positions too (pos_file);
          // - an Elasticsearch outage: a failed bulk raises RecoverableRequestFailure and the chunk is
          //   retried with backoff up to 60 s, forever (retry_forever: no retry_timeout, no max times);
          // - both at once: flush_at_shutdown tries once (submit_flush_all stops at the first failure)
          //   and the chunks stay on disk for the next start;
          // - the buffer full (total_limit_size): overflow_action block makes in_tail wait
          //   (write_guard sleeps until storable), so lines stay in the container log files; only
          //   what the kubelet rotates away meanwhile is lost.
          name: 'buffer',
          params: {
            '@type': 'file',
            path: `${o.stateDir}/buffer/elasticsearch`,
            flush_mode: 'interval',
            flush_interval: '5s',
            flush_thread_count: 2,
            chunk_limit_size: '8MB',
            total_limit_size: o.bufferLimit,
            overflow_action: 'block',
            retry_type: 'exponential_backoff',
            retry_wait: '1s',
            retry_max_interval: '60s',
            retry_forever: true,
            flush_at_shutdown: true,
          },
        },
      ],
    },
  ];
}

/** Kubernetes memory quantity (Mi/Gi) to Fluentd size syntax (MB/GB). */
export function toFluentSize(quantity: string): string {
  const m = /^(\d+)(Ki|Mi|Gi)$/.exec(quantity);
  if (!m) throw new Error(`fluentd: ${quantity} is not a memory quantity`);
  return `${m[1]}${{ Ki: 'KB', Mi: 'MB', Gi: 'GB' }[m[2] as 'Ki' | 'Mi' | 'Gi']}`;
}
