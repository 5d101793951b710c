/**
 * fluent.conf as typed directives, rendered to Fluentd's config syntax. The DaemonSet
 * ships this file instead of the image's built-in one (which has no CA-file setting).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { REJECTED_MARKER } from './names';

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
  /** Prefix of the daily indices of documents Elasticsearch rejected (`<prefix>-YYYY-MM-DD`). */
  readonly rejectedIndexPrefix: string;
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

/**
 * Counters the config defines with fluent-plugin-prometheus's filter, on the rare routes only (a
 * filter per record costs more than the rest of the pipeline: #30). Without labels, each is served
 * from the start at 0. Lines read are Fluentd's own count (in_tail's `emit_records`, served by
 * monitor_agent); the output counters, fluentd_output_status_*, come from prometheus_output_monitor.
 */
export const FLUENTD_COUNTERS = {
  /** Partial lines whose end never came, sent on without it after PARTIAL_LINE_TIMEOUT_SECONDS. */
  partialTimeouts: 'fluentd_partial_line_timeouts_total',
  /** Records that reached the @ERROR label: rejected by Elasticsearch (400), or refused by a plugin. */
  errorLabel: 'fluentd_error_label_records_total',
  /** Lines whose invalid UTF-8 bytes were replaced by U+FFFD (filter app_line). */
  invalidUtf8: 'fluentd_app_line_invalid_utf8_lines_total',
  /** JSON object lines cut at the field budget (filter app_line): their whole text kept in `message`. */
  overBudget: 'fluentd_app_line_budget_exceeded_lines_total',
} as const;

/** Plugin ids whose own counts verify reads (monitor_agent `emit_records`, and the output counters' `plugin_id`). */
export const FLUENTD_PLUGIN_IDS = { tail: 'in_tail_container_logs' } as const;

/** Plugin ids of the two Elasticsearch outputs (the `plugin_id` label of fluentd_output_status_*). */
export const FLUENTD_OUTPUTS = { logs: 'out_es', rejected: 'out_es_rejected' } as const;

/** How long concat holds the first parts of a split line waiting for its last part. */
export const PARTIAL_LINE_TIMEOUT_SECONDS = 10;

/** How long the exception detector holds a stack trace waiting for its next line. */
export const EXCEPTION_FLUSH_SECONDS = 2;

/** A stack trace is joined up to this many lines / bytes (the rest starts a new document). */
export const EXCEPTION_MAX_LINES = 1000;
export const EXCEPTION_MAX_BYTES = 1_048_576;

/** Upper bound of the fallback output's file buffer (rejected documents only: small). */
export const REJECTED_BUFFER_LIMIT = '64MB';

/** The raw record kept in a fallback document is cut at this many characters (1 MiB). */
export const REJECTED_RAW_LIMIT = 1_048_576;

/**
 * The app's JSON object under `json` (filter app_line): nesting kept as objects up to this depth
 * (deeper values become their JSON text), leaf values up to this many per line (the rest is left
 * out, the whole line then in `message`). Below the engines' own limits (flattened depth 20).
 */
export const APP_JSON_BUDGET = { maxDepth: 16, maxFields: 256, maxValueBytes: 16_384 } as const;

/** Key of the document id the app_line filter derives from the line; the outputs send it as `_id`. */
export const DOCUMENT_ID_KEY = '_hash';

/** The plugin files of ours the DaemonSet mounts next to the image's (`-p <dir>`). */
export const FLUENTD_PLUGIN_FILES = ['filter_stack_trace.rb', 'filter_app_line.rb', 'filter_kubernetes_metadata_per_tag.rb'] as const;
/** Their folder: beside this file, or (in scripts/run-ts.js's bundle, one folder below the root) from the root. */
export const FLUENTD_PLUGIN_SOURCE_DIR = [join(__dirname, 'plugins'), resolve(__dirname, '..', 'constructs', 'fluentd', 'plugins')].find((dir) => existsSync(dir)) ?? join(__dirname, 'plugins');

/** A counter of every record passing, as fluent-plugin-prometheus's filter defines one. */
function countRecords(id: string, name: string, desc: string, arg = '**'): Directive {
  return { name: 'filter', arg, params: { '@type': 'prometheus', '@id': id }, children: [{ name: 'metric', params: { name, type: 'counter', desc } }] };
}

/**
 * An Elasticsearch output with its own file buffer. What survives what (fluentd v1.19.3
 * lib/fluent/plugin/output.rb, buf_file.rb):
 * - a Fluentd restart: the chunks are files on the node (buf_file is persistent and resumes
 *   staged and queued chunks at start), the positions too (pos_file);
 * - an Elasticsearch outage: a failed bulk raises RecoverableRequestFailure and the chunk is
 *   retried with backoff up to 60 s, forever (retry_forever: no retry_timeout, no max times);
 * - both at once: flush_at_shutdown tries once (submit_flush_all stops at the first failure)
 *   and the chunks stay on disk for the next start;
 * - the buffer full (total_limit_size): overflow_action block makes the emitting thread wait
 *   (write_guard sleeps until storable), so lines stay in the container log files; only what
 *   the kubelet rotates away meanwhile is lost.
 * A container line's document carries the id app_line derived from the line (`_id`), so a chunk
 * sent again (delivered just before a crash, or a bulk retried) writes the same documents again,
 * never a second copy. `index`, not `create`: the plugin silently skips a `create` without an id
 * (out_elasticsearch.rb append_record_to_messages), and node journal records have none.
 */
function elasticsearchOutput(o: FluentConfOptions, id: string, prefix: string, buffer: string, totalLimit: string): Directive {
  return {
    name: 'match',
    arg: '**',
    params: {
      '@type': 'elasticsearch',
      '@id': id,
      host: o.elasticsearchHost,
      port: o.elasticsearchPort,
      scheme: 'https',
      ssl_verify: true,
      ca_file: o.caFile,
      ssl_version: 'TLSv1_2',
      user: '"#{ENV[\'ES_USERNAME\']}"',
      password: '"#{ENV[\'ES_PASSWORD\']}"',
      logstash_format: true,
      logstash_prefix: prefix,
      logstash_prefix_separator: '-',
      logstash_dateformat: '%Y-%m-%d',
      // `@timestamp` (and so the daily index) from the event time: the CRI time the runtime
      // stamped on the line. No record has a top-level `@timestamp` of its own (app_line keeps
      // the app's under `json`), so the plugin never names the index from the app's value.
      include_timestamp: true,
      suppress_type_name: true,
      // Not removed from the record: the plugin re-emits a record for a retry (429) or to @ERROR
      // as it was after remove_keys, which would lose the id (out_elasticsearch.rb write).
      id_key: DOCUMENT_ID_KEY,
      // The index templates are applied by the elasticsearch stack's readiness gate.
      reconnect_on_error: true,
      reload_on_failure: false,
      reload_connections: false,
      request_timeout: '30s',
      // A 400 item is re-emitted to @ERROR (elasticsearch_error_handler.rb); its reason goes to the log.
      log_es_400_reason: true,
      // fluent-plugin-elasticsearch 6.0.0 drops a whole chunk (UnrecoverableError) when a bulk
      // item fails with a type in this list; its default also lists es_rejected_execution_exception,
      // the 429 of an Elasticsearch busy catching up after an outage. Without it those records are
      // re-emitted into the buffer and retried (elasticsearch_error_handler.rb retry_stream).
      unrecoverable_error_types: 'out_of_memory_error',
    },
    children: [
      {
        name: 'buffer',
        params: {
          '@type': 'file',
          path: `${o.stateDir}/buffer/${buffer}`,
          flush_mode: 'interval',
          flush_interval: '5s',
          flush_thread_count: 2,
          chunk_limit_size: '8MB',
          total_limit_size: totalLimit,
          overflow_action: 'block',
          retry_type: 'exponential_backoff',
          retry_wait: '1s',
          retry_max_interval: '60s',
          retry_forever: true,
          flush_at_shutdown: true,
        },
      },
    ],
  };
}

/**
 * Ruby (record_transformer, enable_ruby) for a field of the fallback document: the record's
 * value when it is a string, else nothing, so the document can never clash with its mapping.
 */
const stringField = (key: string) => `\${record["${key}"] if record["${key}"].is_a?(String)}`;

/**
 * The fallback document of a record that reached @ERROR: the fields the logs view and the
 * trace link search on, each only if it has the one type the rejected template maps, the whole
 * record as one JSON string in `message`, and the line's document id (a fallback sent twice is
 * written once). `@timestamp` is set again by the output from the event time.
 */
function fallbackDocument(): Directive {
  return {
    name: 'filter',
    arg: '**',
    params: { '@type': 'record_transformer', '@id': 'filter_rejected_document', enable_ruby: true, renew_record: true },
    children: [
      {
        name: 'record',
        params: {
          [REJECTED_MARKER]: '${true}',
          [DOCUMENT_ID_KEY]: stringField(DOCUMENT_ID_KEY),
          stream: stringField('stream'),
          logtag: stringField('logtag'),
          trace_id: stringField('trace_id'),
          span_id: stringField('span_id'),
          kubernetes: '${record["kubernetes"].slice("namespace_name", "pod_name", "container_name", "host").select { |_, v| v.is_a?(String) } if record["kubernetes"].is_a?(Hash)}',
          // Strings are valid UTF-8 (app_line); a record that still cannot be JSON: its inspect form.
          message: `\${(record.reject { |k, _| k == "${DOCUMENT_ID_KEY}" }.to_json rescue record.inspect)[0, ${REJECTED_RAW_LIMIT}]}`,
        },
      },
    ],
  };
}

/** Everything in one file so the whole pipeline is reviewable in one diff. */
export function buildFluentDirectives(o: FluentConfOptions): Directive[] {
  const pos = (name: string) => `${o.stateDir}/${name}.pos`;
  return [
    { name: 'system', params: { log_level: 'info' } },
    // Health (probes) and metrics (scraped by the collector via pod annotations, and by npm run verify).
    { name: 'source', params: { '@type': 'monitor_agent', bind: '0.0.0.0', port: o.monitorPort } },
    { name: 'source', params: { '@type': 'prometheus', bind: '0.0.0.0', port: o.metricsPort, metrics_path: '/metrics' } },
    { name: 'source', params: { '@type': 'prometheus_output_monitor', interval: 10 } },
    {
      name: 'source',
      params: {
        '@type': 'tail',
        '@id': FLUENTD_PLUGIN_IDS.tail,
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
    // Lines longer than the runtime's 16 KiB buffer arrive split: P(artial) parts, then F(ull).
    {
      name: 'filter',
      arg: 'kubernetes.**',
      params: {
        '@type': 'concat',
        '@id': 'filter_concat_partial',
        key: 'message',
        use_partial_cri_logtag: true,
        partial_cri_logtag_key: 'logtag',
        // concat 2.6.2 deletes this key from every record it joins (filter_concat.rb, upstream
        // issue #116); naming a key no record has keeps `stream`. `logtag` stays (F, or P below).
        partial_cri_stream_key: 'partial_cri_stream_unused',
        keep_partial_key: true,
        // Parts of stdout and stderr are joined apart (the default joins per file).
        stream_identity_key: 'stream',
        separator: '""',
        // The line's time is when it began; also for a line flushed without its end.
        use_first_timestamp: true,
        // A P whose F never comes (container killed mid-line) goes on as it is, logtag P.
        flush_interval: PARTIAL_LINE_TIMEOUT_SECONDS,
        timeout_label: '@PARTIAL_TIMEOUT',
      },
    },
    // A stack trace printed as text (Java, Python, Go, Node, …: the detector's languages) is one
    // record, with its first line's time and stream; stdout and stderr stay apart; JSON lines and
    // other text pass unchanged. A trace still open when no line comes is sent on to @LOGS.
    {
      name: 'filter',
      arg: 'kubernetes.**',
      params: {
        '@type': 'stack_trace',
        '@id': 'filter_stack_trace',
        message_key: 'message',
        stream_key: 'stream',
        flush_interval: EXCEPTION_FLUSH_SECONDS,
        max_lines: EXCEPTION_MAX_LINES,
        max_bytes: EXCEPTION_MAX_BYTES,
        timeout_label: '@LOGS',
      },
    },
    { name: 'match', arg: 'kubernetes.** node.**', params: { '@type': 'relabel', '@label': '@LOGS' } },
    {
      name: 'label',
      arg: '@PARTIAL_TIMEOUT',
      params: {},
      children: [
        countRecords('filter_count_partial_timeouts', FLUENTD_COUNTERS.partialTimeouts, 'Partial lines sent on without their last part'),
        { name: 'match', arg: '**', params: { '@type': 'relabel', '@label': '@LOGS' } },
      ],
    },
    {
      name: 'label',
      arg: '@LOGS',
      params: {},
      children: [
        // The document: pipeline-owned top-level fields, the app's JSON whole under `json`, the id.
        {
          name: 'filter',
          arg: 'kubernetes.**',
          params: { '@type': 'app_line', '@id': 'filter_app_line', max_depth: APP_JSON_BUDGET.maxDepth, max_fields: APP_JSON_BUDGET.maxFields, max_value_bytes: APP_JSON_BUDGET.maxValueBytes, hash_key: DOCUMENT_ID_KEY },
        },
        // `kubernetes` and `docker` from the API server, for the pod whose log file this is (the
        // tag), never from the record (lookup_from_k8s_field defaults to true): the metadata
        // plugin, asked once per batch of lines of one file (plugins/filter_kubernetes_metadata_per_tag.rb).
        {
          name: 'filter',
          arg: 'kubernetes.**',
          // The pod's identity, node and labels; not the namespace's ids and labels nor the image
          // (each line carries the metadata: every field is bytes to buffer and send per line).
          params: { '@type': 'kubernetes_metadata_per_tag', '@id': 'filter_kube_metadata', lookup_from_k8s_field: false, skip_labels: false, skip_master_url: true, skip_namespace_metadata: true, skip_container_metadata: true },
        },
        elasticsearchOutput(o, FLUENTD_OUTPUTS.logs, o.indexPrefix, 'elasticsearch', o.bufferLimit),
      ],
    },
    // Records Elasticsearch rejected (400) and records a plugin refused: counted, then indexed as
    // a fallback document that cannot clash.
    {
      name: 'label',
      arg: '@ERROR',
      params: {},
      children: [
        countRecords('filter_count_error_label', FLUENTD_COUNTERS.errorLabel, 'Records sent to the @ERROR label'),
        // A fallback document rejected in turn would come back here forever: it stops (counted above).
        { name: 'filter', arg: '**', params: { '@type': 'grep', '@id': 'filter_rejected_once' }, children: [{ name: 'exclude', params: { key: REJECTED_MARKER, pattern: '/^true$/' } }] },
        fallbackDocument(),
        elasticsearchOutput(o, FLUENTD_OUTPUTS.rejected, o.rejectedIndexPrefix, 'rejected', REJECTED_BUFFER_LIMIT),
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
