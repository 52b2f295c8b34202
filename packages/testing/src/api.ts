/**
 * A JSON body as most tests read it: one helper serves every route and its error answers, and the assertions check
 * the values, so by default the body is not typed. A call site that wants the compiler's help names the contract's
 * type instead: `api<AskView>(...)`. This alias is the repo's one deliberate `any`.
 */
// biome-ignore lint/suspicious/noExplicitAny: the one untyped escape for test bodies, see above
export type LooseJson = any;

/** JSON over fetch with the status and headers kept; `json` is undefined when the body is empty or not JSON. */
export async function api<T = LooseJson>(
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
