import type { MonitoringConfig } from '../config/schema';
import { dataViews } from '../constructs/kibana/data-views';

/** Kibana's HTTP API as `npm run verify` reaches it (a port-forward), with basic auth. */
export interface KibanaTarget {
  /** e.g. http://127.0.0.1:5601 */
  readonly url: string;
  readonly username: string;
  readonly password: string;
}

/** Ids of the data views the data-view Job creates for a config (the same list it sends). */
export function expectedDataViews(config: Pick<MonitoringConfig, 'fluentd' | 'jaeger'>): string[] {
  return Object.values(dataViews(config)).flatMap((view) => (view ? [view.id] : []));
}

async function kibanaGet(target: KibanaTarget, path: string, timeoutMs = 5000): Promise<{ status: number; body: any }> {
  const res = await fetch(`${target.url}${path}`, {
    headers: { authorization: `Basic ${Buffer.from(`${target.username}:${target.password}`).toString('base64')}`, accept: 'application/json' },
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) };
  } catch {
    throw new Error(`Kibana ${path} answered ${res.status} with something that is not JSON: ${text.slice(0, 80)}`);
  }
}

export interface KibanaStatus {
  /** `available`, `degraded`, `unavailable` or `critical` (status.overall.level). */
  readonly level: string;
  readonly summary?: string;
  readonly version?: string;
}

/** GET /api/status: Kibana's overall status level and version. */
export async function kibanaStatus(target: KibanaTarget): Promise<KibanaStatus> {
  const { status, body } = await kibanaGet(target, '/api/status');
  const overall = body?.status?.overall;
  if (typeof overall?.level !== 'string') throw new Error(`Kibana /api/status answered ${status} without status.overall.level`);
  return { level: overall.level, summary: overall.summary, version: body.version?.number };
}

export interface DataView {
  readonly id: string;
  readonly title: string;
  readonly timeFieldName?: string;
}

/** GET /api/data_views/data_view/<id>: the data view, or undefined when Kibana has none of that id (404). */
export async function getDataView(target: KibanaTarget, id: string): Promise<DataView | undefined> {
  const { status, body } = await kibanaGet(target, `/api/data_views/data_view/${encodeURIComponent(id)}`);
  if (status === 404) return undefined;
  if (status !== 200) throw new Error(`Kibana data view ${id}: answered ${status}: ${JSON.stringify(body).slice(0, 120)}`);
  const view = body?.data_view;
  if (view?.id !== id || typeof view.title !== 'string') throw new Error(`Kibana data view ${id}: answered without data_view.id/title`);
  return { id: view.id, title: view.title, timeFieldName: view.timeFieldName };
}
