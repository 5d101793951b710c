import http from 'node:http';
import https from 'node:https';

export interface ElasticsearchTarget {
  /** Base URL, e.g. https://localhost:9200 (through a port-forward). */
  readonly url: string;
  readonly username: string;
  readonly password: string;
  /** PEM CA; TLS is verified against it (never switched off). */
  readonly ca?: string;
}

/** One JSON request to Elasticsearch with basic auth and the cluster's CA. */
export function esRequest<T>(target: ElasticsearchTarget, method: string, path: string, body?: unknown, timeoutMs = 5000): Promise<{ status: number; body: T }> {
  const url = new URL(path, target.url);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(
      url,
      {
        method,
        ca: target.ca,
        auth: `${target.username}:${target.password}`,
        headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {},
        timeout: timeoutMs,
      },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (data += c));
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(data) as T });
          } catch {
            reject(new Error(`Elasticsearch ${path} answered something that is not JSON: ${data.slice(0, 80)}`));
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`Elasticsearch ${path} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

export interface SearchHit {
  _index: string;
  _source: Record<string, any>;
}

/** Searches `index` (a pattern); a missing index is `undefined`, not an error. */
export async function search(target: ElasticsearchTarget, index: string, query: unknown, size = 5): Promise<SearchHit[] | undefined> {
  const res = await esRequest<{ hits?: { hits?: SearchHit[] }; error?: { type?: string } }>(target, 'POST', `/${index}/_search?ignore_unavailable=true&allow_no_indices=true`, { size, query });
  if (res.status === 404 || res.body.error?.type === 'index_not_found_exception') return undefined;
  if (res.status >= 400) throw new Error(`Elasticsearch search ${index} answered ${res.status}: ${JSON.stringify(res.body).slice(0, 120)}`);
  if (!Array.isArray(res.body.hits?.hits)) throw new Error(`Elasticsearch search ${index} answered without hits`);
  return res.body.hits!.hits;
}

/** Names of the indices matching `pattern`. */
export async function indices(target: ElasticsearchTarget, pattern: string): Promise<string[]> {
  const res = await esRequest<{ index: string }[] | { error?: unknown }>(target, 'GET', `/_cat/indices/${pattern}?format=json&h=index`);
  if (res.status === 404) return [];
  if (res.status >= 400 || !Array.isArray(res.body)) throw new Error(`Elasticsearch _cat/indices answered ${res.status}`);
  return res.body.map((i) => i.index);
}
