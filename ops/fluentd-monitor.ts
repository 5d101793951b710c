/**
 * Fluentd's own counts per plugin, as its monitor_agent serves them (`GET /api/plugins.json`,
 * in_monitor_agent.rb of Fluentd 1.19): one entry per plugin instance, with its `@id` as
 * `plugin_id`. An input's `emit_records` is what it read and emitted: for in_tail, every line
 * (each part of a split line), counted by Fluentd itself at no cost per record to us.
 */

/** One entry of monitor_agent's answer (only the fields we read). */
export interface MonitorPlugin {
  readonly plugin_id: string;
  readonly type: string;
  readonly emit_records?: number;
}

/** The plugin entries of a monitor_agent answer; throws naming what is wrong with it. */
export function parseMonitorPlugins(text: string, where: string): MonitorPlugin[] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`${where} answered something that is not JSON: ${text.slice(0, 80)}`);
  }
  const plugins = (body as { plugins?: unknown }).plugins;
  if (!Array.isArray(plugins)) throw new Error(`${where} answered JSON without a plugins list`);
  return plugins as MonitorPlugin[];
}

export async function fetchMonitorPlugins(url: string): Promise<MonitorPlugin[]> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  return parseMonitorPlugins(await res.text(), url);
}

/** `emit_records` of the plugin with this `@id`; throws when monitor_agent does not list it (another config runs). */
export function emitRecords(plugins: readonly MonitorPlugin[], pluginId: string, where: string): number {
  const plugin = plugins.find((p) => p.plugin_id === pluginId);
  if (!plugin) throw new Error(`${where} lists no plugin ${pluginId} (is the deployed fluent.conf this version's?)`);
  return plugin.emit_records ?? 0;
}
