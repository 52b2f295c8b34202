/**
 * An untyped JSON body, left where reads are not typed yet: readSse's event data (SseEvent.data, SseResult.json) and
 * test/scale/redis-failover.test.ts. This alias is the repo's one deliberate `any`; `api()` no longer defaults to it.
 */
// biome-ignore lint/suspicious/noExplicitAny: the one untyped escape for test bodies, see above
export type LooseJson = any;

/**
 * JSON over fetch with the status and headers kept; `json` is undefined when the body is empty or not JSON. The body
 * type is the caller's to name (`api<AskView>(...)`, the contract's types or a local one); unnamed, it is `unknown`.
 */
export async function api<T = unknown>(
  base: string,
  path: string,
  init: RequestInit & { json?: unknown } = {},
): Promise<{ status: number; headers: Headers; json: T; text: string }> {
  const headers = new Headers(init.headers);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set('content-type', 'application/json');
    body = JSON.stringify(init.json);
  }
  const res = await fetch(`${base}${path}`, { ...init, headers, body });
  const text = await res.text();
  let json: T;
  try {
    json = text ? (JSON.parse(text) as T) : (undefined as T);
  } catch {
    json = undefined as T;
  }
  return { status: res.status, headers: res.headers, json, text };
}
