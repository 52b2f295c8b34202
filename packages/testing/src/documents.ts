import { api } from './api.ts';

/** Uploads a document as a browser form would (multipart/form-data); returns the parsed reply. */
export async function uploadDocument(
  base: string,
  o: {
    content: string | Uint8Array;
    fileName: string;
    collection?: string;
    documentId?: string;
    title?: string;
    headers?: Record<string, string>;
  },
) {
  const form = new FormData();
  if (o.collection !== undefined) form.set('collection', o.collection);
  if (o.documentId !== undefined) form.set('documentId', o.documentId);
  if (o.title !== undefined) form.set('title', o.title);
  form.set('file', new Blob([typeof o.content === 'string' ? o.content : Buffer.from(o.content)]), o.fileName);
  return api(base, '/v1/documents', { method: 'POST', body: form, headers: o.headers });
}

/** Polls a document until its status is one of `until` (default: ready or failed); fails after `timeoutMs`. */
export async function waitForDocument(
  base: string,
  id: string,
  o: { until?: string[]; timeoutMs?: number; headers?: Record<string, string> } = {},
) {
  const until = o.until ?? ['ready', 'failed'];
  const deadline = Date.now() + (o.timeoutMs ?? 30_000);
  let last: Awaited<ReturnType<typeof api>> | undefined;
  while (Date.now() < deadline) {
    last = await api(base, `/v1/documents/${id}`, { headers: o.headers });
    if (last.status === 200 && until.includes(last.json.status)) return last.json;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`document ${id} did not reach ${until.join('/')} within ${o.timeoutMs ?? 30_000} ms: ${last?.text}`);
}
