/** Polls `probe` until it returns a value (not undefined/false) or the deadline passes. */
export async function pollUntil<T>(probe: () => Promise<T | undefined | false>, options: { timeoutMs: number; intervalMs?: number }): Promise<{ value?: T; elapsedMs: number; lastError?: string }> {
  const started = Date.now();
  let lastError: string | undefined;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return { value, elapsedMs: Date.now() - started };
    } catch (err) {
      lastError = (err as Error).message;
    }
    if (Date.now() - started >= options.timeoutMs) return { elapsedMs: Date.now() - started, lastError };
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 500));
  }
}

/** fetch with a timeout and a JSON body, throwing on non-2xx or unparsable bodies. */
export async function fetchJson<T>(url: string, init: RequestInit & { timeoutMs?: number } = {}): Promise<T> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(init.timeoutMs ?? 5000) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${url} answered ${res.status}: ${text.slice(0, 200)}`);
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`${url} answered something that is not JSON: ${text.slice(0, 80)}`);
  }
}

/** A W3C trace id (32 hex) and a traceparent header carrying it, so a request's trace is known in advance. */
export function newTraceContext(): { traceId: string; traceparent: string } {
  const hex = (bytes: number) => Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
  const traceId = hex(16);
  return { traceId, traceparent: `00-${traceId}-${hex(8)}-01` };
}
