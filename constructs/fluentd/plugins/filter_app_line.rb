# frozen_string_literal: true
#
# filter_app_line: one container log line (CRI parsed, split parts joined) into the document the
# pipeline writes. What the app wrote is data: the document's top-level names are the
# pipeline's; the app's JSON object goes whole under one of them (`json`), within a budget.
#
#   in:  {"time" => CRI time, "stream" => "stdout"|"stderr", "logtag" => "F"|"P", "message" => text}
#   out: {"stream", "logtag", "message", "json"?, "trace_id"?, "span_id"?, "level"?,
#         "fluentd_budget_exceeded"?, "_hash"}
#
# - message: the line's text, invalid UTF-8 replaced by U+FFFD; for a JSON object with a string
#   `msg`/`message` (pino, winston, bunyan, ECS), that string; the whole line when it is over budget.
# - json: a JSON object line as written, within the budget: objects nested up to max_depth (a
#   deeper value becomes its JSON text), max_fields leaves (the rest is left out), no key or
#   string over max_value_bytes (left out: a search engine refuses a term over 32766 bytes).
#   Over budget: `fluentd_budget_exceeded` says which limits (depth, fields, size) and the whole
#   line is `message`. Arrays, scalars, null and invalid JSON are text lines: one document each.
# - trace_id / span_id / level: copies of the object's own, when they are W3C ids (32 / 16
#   lowercase hex) and a short word or number (pino's 30, "info"): what the trace link and the
#   logs view search on.
# - _hash: the document id, from the line itself: the runtime's time with nanoseconds, a CRC-32
#   of the text and one of the file (the tag) and stream. The same line read again (a chunk
#   re-sent after a crash, a bulk retried) has the same id, so it is written once; two lines
#   share one only with the same file, stream, nanosecond and text CRC. The output sends it as
#   `_id` and keeps it (a record re-emitted by the output for a retry or to @ERROR keeps its id).
# Counters (Prometheus, served by in_prometheus): lines with invalid UTF-8, objects over budget.
require 'fluent/plugin/filter'
require 'json'
require 'zlib'

module Fluent
  module Plugin
    class AppLineFilter < Filter
      Fluent::Plugin.register_filter('app_line', self)

      desc 'Levels of nesting kept as objects under `json`; a deeper value is kept as its JSON text.'
      config_param :max_depth, :integer, default: 16
      desc 'Leaf values kept under `json` per line; past it the rest is left out (the whole line is `message`).'
      config_param :max_fields, :integer, default: 256
      desc 'Longest key or string kept under `json`, in bytes; a longer one is left out (the whole line is `message`).'
      config_param :max_value_bytes, :size, default: 16_384
      desc 'Key of the document id (the output sends it as _id).'
      config_param :hash_key, :string, default: '_hash'
      desc 'Prefix of the Prometheus counters this filter serves.'
      config_param :metrics_prefix, :string, default: 'fluentd_app_line'

      REPLACEMENT = "\uFFFD"
      MESSAGE_KEYS = %w[msg message].freeze
      TRACE_ID = /\A[0-9a-f]{32}\z/.freeze
      SPAN_ID = /\A[0-9a-f]{16}\z/.freeze
      LEVEL = /\A[A-Za-z0-9_-]{1,32}\z/.freeze
      # A JSON number with a three-digit exponent (1e400 parses as Infinity, which the output's
      # JSON encoder refuses, breaking its bulk request); hex ids in strings do not match.
      BIG_EXPONENT = /[:,\[]\s*-?\d+(?:\.\d+)?[eE]\+?\d{3}/.freeze
      OPEN_BRACE = 123 # '{'
      LEADING_BRACE = /\A\s*\{/.freeze

      # What is left of one line's budget while its object is copied, and which limits it hit.
      Budget = Struct.new(:left, :cut)

      def configure(conf)
        super
        raise Fluent::ConfigError, 'app_line: max_depth must be 1 or more' if @max_depth < 1
        raise Fluent::ConfigError, 'app_line: max_fields must be 1 or more' if @max_fields < 1
        @invalid_utf8 = counter('invalid_utf8_lines_total', 'Lines whose invalid UTF-8 bytes were replaced by U+FFFD')
        @over_budget = counter('budget_exceeded_lines_total', 'JSON object lines over the depth, field or size budget (the whole line kept as message)')
      end

      def filter_stream(tag, es)
        out = Fluent::MultiEventStream.new
        file = Zlib.crc32(tag)
        es.each do |time, record|
          out.add(time, document(file, time, record))
        rescue StandardError => e
          router.emit_error_event(tag, time, record, e)
        end
        out
      end

      private

      def document(file, time, record)
        text = utf8(record['message'])
        stream = record['stream']
        doc = { 'stream' => stream, 'logtag' => record['logtag'], @hash_key => document_id(file, stream, time, text) }
        object = text.getbyte(0) == OPEN_BRACE || LEADING_BRACE.match?(text) ? parse_object(text) : nil
        return doc.merge!('message' => text) unless object

        if within_budget?(text)
          doc['json'] = object
          doc['message'] = human_message(object) || text
        else
          budget = Budget.new(@max_fields, [])
          doc['json'] = bounded_hash(object, 1, budget)
          if budget.cut.empty?
            doc['message'] = human_message(object) || text
          else
            doc['fluentd_budget_exceeded'] = budget.cut.uniq.sort
            doc['message'] = text
            @over_budget&.increment
          end
        end
        promote(doc, doc['json'])
        doc
      end

      # Hex: seconds, nanoseconds, CRC-32 of the text, CRC-32 of the file and stream (42 characters).
      def document_id(file, stream, time, text)
        sec, nsec = time.is_a?(Fluent::EventTime) ? [time.sec, time.nsec] : [time.to_i, 0]
        format('%010x%08x%08x%08x', sec, nsec, Zlib.crc32(text), Zlib.crc32(stream.to_s, file))
      end

      # Whether the parsed object is within the budget, told from the text alone: no longer than
      # max_value_bytes (so is every key and string in it), fewer leaves than max_fields (each
      # leaf but a container's first follows a comma), fewer brackets than max_depth, no \u
      # escape (the one way JSON makes invalid UTF-8 out of valid text), no huge exponent (the
      # one way to an infinite Float). Commas and brackets inside strings only make it careful.
      def within_budget?(text)
        return false if text.bytesize > @max_value_bytes

        brackets = text.count('{[')
        brackets < @max_depth && text.count(',') + brackets < @max_fields && !text.include?('\\u') && !BIG_EXPONENT.match?(text)
      end

      # The text as UTF-8, invalid bytes replaced (in_tail reads bytes; the output would send them raw).
      def utf8(value)
        text = value.is_a?(String) ? value : value.to_s
        text = (text.frozen? ? text.dup : text).force_encoding(Encoding::UTF_8) unless text.encoding == Encoding::UTF_8
        return text if text.valid_encoding?

        @invalid_utf8&.increment
        text.scrub(REPLACEMENT)
      end

      def parse_object(text)
        value = JSON.parse(text)
        value.is_a?(Hash) ? value : nil
      rescue JSON::ParserError, EncodingError
        nil
      end

      def human_message(object)
        MESSAGE_KEYS.each do |key|
          value = object[key]
          return value if value.is_a?(String) && !value.empty? && value.valid_encoding?
        end
        nil
      end

      # Copies the pipeline searches and links on, when they have their one shape (from the
      # object as kept: valid UTF-8).
      def promote(doc, object)
        trace_id = object['trace_id']
        doc['trace_id'] = trace_id if trace_id.is_a?(String) && TRACE_ID.match?(trace_id)
        span_id = object['span_id']
        doc['span_id'] = span_id if span_id.is_a?(String) && SPAN_ID.match?(span_id)
        level = object['level']
        level = level.to_s if level.is_a?(Integer)
        doc['level'] = level if level.is_a?(String) && LEVEL.match?(level)
      end

      # A copy of the object within the budget; every key and string made valid UTF-8.
      def bounded_hash(hash, depth, budget)
        copy = {}
        hash.each do |key, value|
          if budget.left <= 0
            budget.cut << 'fields'
            break
          end
          if key.bytesize > @max_value_bytes
            budget.cut << 'size'
            next
          end
          kept = bounded(value, depth, budget)
          copy[clean(key)] = kept unless kept.equal?(LEFT_OUT)
        end
        copy
      end

      def bounded_array(array, depth, budget)
        copy = []
        array.each do |value|
          if budget.left <= 0
            budget.cut << 'fields'
            break
          end
          kept = bounded(value, depth, budget)
          copy << kept unless kept.equal?(LEFT_OUT)
        end
        copy
      end

      LEFT_OUT = Object.new.freeze

      def bounded(value, depth, budget)
        case value
        when Hash, Array
          if depth >= @max_depth
            budget.cut << 'depth'
            text = begin
              JSON.generate(value, allow_nan: true)
            rescue JSON::GeneratorError, EncodingError
              value.to_s
            end
            return bounded(text, depth, budget)
          end
          value.is_a?(Hash) ? bounded_hash(value, depth + 1, budget) : bounded_array(value, depth + 1, budget)
        when String
          budget.left -= 1
          if value.bytesize > @max_value_bytes
            budget.cut << 'size'
            return LEFT_OUT
          end
          clean(value)
        when Float
          budget.left -= 1
          value.finite? ? value : value.to_s
        else
          budget.left -= 1
          value
        end
      end

      def clean(string)
        string.valid_encoding? ? string : string.scrub(REPLACEMENT)
      end

      # A counter in the registry fluent-plugin-prometheus serves (absent without that plugin).
      def counter(name, docstring)
        require 'prometheus/client'
        registry = ::Prometheus::Client.registry
        full = :"#{@metrics_prefix}_#{name}"
        registry.get(full) || registry.counter(full, docstring: docstring)
      rescue LoadError
        nil
      end
    end
  end
end
