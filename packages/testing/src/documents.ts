import type { DocumentView, documentAcceptedSchema } from '@rag/contract';
import type { z } from 'zod';
import { api } from './api.ts';
import { waitUntil } from './wait-until.ts';

/** The 202 of POST /v1/documents; any other status carries the gateway's error body instead. */
export type UploadAnswer = z.infer<typeof documentAcceptedSchema> & { error?: { code: string; message: string } };

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
  return api<UploadAnswer>(base, '/v1/documents', { method: 'POST', body: form, headers: o.headers });
}

/** Waits until a document's status is one of `until` (default: ready or failed); returns its view. */
export async function waitForDocument(
  base: string,
  id: string,
  o: { until?: DocumentView['status'][]; timeoutMs?: number; headers?: Record<string, string> } = {},
): Promise<DocumentView> {
  const until = o.until ?? ['ready', 'failed'];
  return waitUntil(
    async () => {
      const r = await api<DocumentView>(base, `/v1/documents/${id}`, { headers: o.headers });
      if (r.status !== 200) throw new Error(`GET /v1/documents/${id}: ${r.status} ${r.text}`);
      return until.includes(r.json.status) ? r.json : undefined;
    },
    { timeoutMs: o.timeoutMs ?? 30_000, intervalMs: 50, message: `document ${id} did not reach ${until.join('/')}` },
  );
}
