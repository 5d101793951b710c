# frozen_string_literal: true
#
# filter_stack_trace: a stack trace printed as text lines (Java, Python, Go, Node, …) becomes one
# record, with its first line's time and stream, by the exception detector of
# fluent-plugin-detect-exceptions (in the image: its language rules and TraceAccumulator, unchanged).
#
# Why not that plugin's own `detect_exceptions` output: it re-emits every record one at a time,
# so everything after it (filters, the output's buffer write) runs once per line instead of once
# per batch of lines, which costs more than the rest of the pipeline. Here the detector runs
# inside a filter: lines pass in their batch; only a trace still open at the end of a batch is
# held (until its next line, or flush_interval, then sent on to timeout_label).
#
# - Lines of one file and one stream are one sequence (stdout and stderr never join).
# - A JSON object line (first byte `{`) is never part of a trace: it ends an open one and passes.
# - A trace stops at max_lines lines or max_bytes bytes (the rest starts a new record).
# - Held lines are in memory: a crash (SIGKILL) loses a trace that was still open; a stop flushes it.
require 'fluent/plugin/filter'
require 'fluent/plugin/exception_detector'

module Fluent
  module Plugin
    class StackTraceFilter < Filter
      Fluent::Plugin.register_filter('stack_trace', self)
      helpers :timer, :event_emitter

      desc 'Languages whose stack traces are joined (fluent-plugin-detect-exceptions names); empty: all.'
      config_param :languages, :array, value_type: :string, default: []
      desc 'The key of the line text.'
      config_param :message_key, :string, default: 'message'
      desc 'The key whose value separates sequences within one file (the CRI stream).'
      config_param :stream_key, :string, default: 'stream'
      desc 'Seconds an open trace waits for its next line.'
      config_param :flush_interval, :time, default: 2
      desc 'A trace is cut after this many lines.'
      config_param :max_lines, :integer, default: 1000
      desc 'A trace is cut before it exceeds this many bytes.'
      config_param :max_bytes, :size, default: 1_048_576
      desc 'Where a trace flushed by the timer goes (it has passed this filter).'
      config_param :timeout_label, :string

      OPEN_BRACE = 123 # '{'

      # One file-and-stream sequence: the detector's accumulator, and where its records go now.
      Sequence = Struct.new(:accumulator, :sink, :tag)

      def configure(conf)
        super
        @languages = @languages.map(&:to_sym)
        Fluent::ExceptionDetector.new(*@languages) # an unknown language fails here, at configure
        @sequences = {}
        @mutex = Mutex.new
      end

      def start
        super
        @timeout_router = event_emitter_router(@timeout_label)
        timer_execute(:filter_stack_trace_flush, [@flush_interval / 4.0, 0.5].max) { flush_stale }
      end

      def shutdown
        @mutex.synchronize { @sequences.each_value { |s| flush_to_label(s) } }
        super
      end

      def filter_stream(tag, es)
        out = Fluent::MultiEventStream.new
        @mutex.synchronize do
          es.each do |time, record|
            sequence = sequence_for(tag, record)
            sequence.sink = out
            text = record[@message_key]
            if !text.is_a?(String) || text.getbyte(0) == OPEN_BRACE
              sequence.accumulator.force_flush
              out.add(time, record)
            else
              sequence.accumulator.push(time, record)
            end
          end
          # What is still open waits in the accumulator; nothing more goes into this batch.
          @sequences.each_value { |s| s.sink = nil if s.sink.equal?(out) }
        end
        out
      end

      private

      def sequence_for(tag, record)
        key = "#{tag}\n#{record[@stream_key]}"
        @sequences[key] ||= begin
          sequence = Sequence.new(nil, nil, tag)
          sequence.accumulator = Fluent::TraceAccumulator.new(@message_key, @languages, force_line_breaks: true, max_lines: @max_lines, max_bytes: @max_bytes) do |time, record|
            emit(sequence, time, record)
          end
          sequence
        end
      end

      # Into the batch being filtered, or (timer, shutdown) on to the timeout label.
      def emit(sequence, time, record)
        if sequence.sink
          sequence.sink.add(time, record)
        else
          @timeout_router.emit(sequence.tag, time, record)
        end
      end

      def flush_to_label(sequence)
        sequence.sink = nil
        sequence.accumulator.force_flush
      end

      def flush_stale
        now = Time.now
        @mutex.synchronize do
          @sequences.delete_if do |_key, sequence|
            idle = now - sequence.accumulator.buffer_start_time
            next false if idle < @flush_interval

            flush_to_label(sequence)
            # A sequence idle for long (a file rotated away, a pod gone) is forgotten.
            idle > 60 * @flush_interval
          end
        end
      rescue StandardError => e
        log.error 'stack_trace: flush failed', error: e
      end
    end
  end
end
