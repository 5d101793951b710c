# frozen_string_literal: true
#
# filter_kubernetes_metadata_per_tag: fluent-plugin-kubernetes_metadata_filter (in the image:
# its API client, watches, caches and every parameter, unchanged), asked once per batch of lines
# instead of once per line.
#
# With lookup_from_k8s_field false (required here) the metadata depends only on the tag (the
# container's log file: pod, namespace, container, container id), never on the record, so every
# record of a batch (one file) gets the same `kubernetes` and `docker`. The plugin's own per-line
# lookup rebuilds and copies that metadata for each line, which costs more than reading,
# buffering and sending the line together (#30's bench).
require 'fluent/plugin/filter_kubernetes_metadata'

module Fluent
  module Plugin
    class KubernetesMetadataPerTagFilter < KubernetesMetadataFilter
      Fluent::Plugin.register_filter('kubernetes_metadata_per_tag', self)

      def configure(conf)
        super
        return unless @lookup_from_k8s_field

        raise Fluent::ConfigError, 'kubernetes_metadata_per_tag: set lookup_from_k8s_field false (the metadata must come from the tag, never from the record)'
      end

      def filter_stream(tag, es)
        metadata = nil
        out = Fluent::MultiEventStream.new
        es.each do |time, record|
          # The plugin's own lookup, for this tag: its answer is the metadata alone.
          metadata ||= filter(tag, time, {})
          out.add(time, metadata.empty? ? record : record.merge!(metadata))
        rescue StandardError => e
          router.emit_error_event(tag, time, record, e)
        end
        out
      end
    end
  end
end
