import { Router, type NextFunction, type Request, type Response } from 'express';
import { COLLECTION_PATTERN, DEFAULT_COLLECTION } from '@rag/contract';
import { dropContent, type Pool } from '@rag/db';
import { receiveUpload } from '../document-upload.ts';
import { DOCUMENT_KEY, type DocumentService } from '../document-service.ts';
import { HttpError, ValidationError } from '../errors.ts';
import { checkScope } from '../security.ts';

const MAX_DOCUMENT_ID = 1000;
const MAX_TITLE = 500;
const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;

const notFound = () => new HttpError(404, 'not_found', 'no such document');

function collectionOf(value: unknown, field = 'collection'): string {
  if (value === undefined || value === '') return DEFAULT_COLLECTION;
  if (typeof value !== 'string' || !COLLECTION_PATTERN.test(value))
    throw new ValidationError(`${field} must be 1-64 letters, digits, _ . - (starting with a letter or digit)`, [
      { field, message: 'invalid collection name' },
    ]);
  return value;
}

const encodeCursor = (c: { createdAt: string; id: string }) =>
  Buffer.from(JSON.stringify([c.createdAt, c.id])).toString('base64url');

function decodeCursor(value: unknown): { createdAt: string; id: string } | undefined {
  if (value === undefined || value === '') return undefined;
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(String(value), 'base64url').toString('utf8'));
    if (typeof createdAt === 'string' && !Number.isNaN(Date.parse(createdAt)) && DOCUMENT_KEY.test(id))
      return { createdAt, id };
  } catch {
    // falls through to the error below
  }
  throw new ValidationError('cursor is not one this API returned', [{ field: 'cursor', message: 'invalid cursor' }]);
}

function limitOf(value: unknown): number {
  if (value === undefined || value === '') return DEFAULT_LIMIT;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_LIMIT)
    throw new ValidationError(`limit must be an integer from 1 to ${MAX_LIMIT}`, [
      { field: 'limit', message: 'out of range' },
    ]);
  return n;
}

/**
 * A refused upload is answered at once, and the connection is closed after the reply instead of reading (and
 * discarding) the rest of a body that may be gigabytes. The socket is cut shortly after if the client keeps it.
 */
function refuseUpload(req: Request, res: Response, next: NextFunction, err: unknown): void {
  if (!res.headersSent) res.setHeader('Connection', 'close');
  res.once('finish', () => setTimeout(() => req.socket.destroy(), 1000).unref());
  next(err);
}

/** CONTRACT.md "Documents over HTTP". */
export function documentsRouter(d: { service: DocumentService; pool: Pool; maxUploadBytes: number }) {
  const r = Router();

  r.post('/documents', async (req, res, next) => {
    // Refuse keys that cannot write at all before reading a byte; the collection is checked as soon as it is known.
    checkScope(res, 'write');
    let upload: Awaited<ReturnType<typeof receiveUpload>>;
    try {
      upload = await receiveUpload(req, {
        pool: d.pool,
        maxBytes: d.maxUploadBytes,
        onField: (name, value) => {
          if (name === 'collection') checkScope(res, 'write', collectionOf(value));
        },
      });
    } catch (err) {
      refuseUpload(req, res, next, err);
      return;
    }
    const collection = collectionOf(upload.fields.collection);
    const documentId = (upload.fields.documentId ?? upload.fileName).trim();
    const title = upload.fields.title?.trim() || undefined;
    try {
      checkScope(res, 'write', collection);
      if (!documentId || documentId.length > MAX_DOCUMENT_ID)
        throw new ValidationError(`documentId (default: the file name) must be 1-${MAX_DOCUMENT_ID} characters`, [
          { field: 'documentId', message: 'missing or too long' },
        ]);
      if (title && title.length > MAX_TITLE)
        throw new ValidationError(`title must be at most ${MAX_TITLE} characters`, [
          { field: 'title', message: 'too long' },
        ]);
    } catch (err) {
      await dropContent(d.pool, upload.contentOid).catch(() => {});
      throw err;
    }
    const view = await d.service.accept(upload, { collection, documentId, title });
    const url = `/v1/documents/${view.id}`;
    res.setHeader('Location', url);
    res.status(202).json({
      id: view.id,
      documentId: view.documentId,
      collection: view.collection,
      status: 'queued',
      statusUrl: url,
    });
  });

  r.get('/documents', async (req, res) => {
    const collection = collectionOf(req.query.collection);
    checkScope(res, 'read', collection);
    const page = await d.service.list({
      collection,
      limit: limitOf(req.query.limit),
      after: decodeCursor(req.query.cursor),
    });
    res.json({ items: page.items, ...(page.next ? { nextCursor: encodeCursor(page.next) } : {}) });
  });

  r.get('/documents/:id', async (req, res) => {
    const view = await d.service.get(req.params.id);
    if (!view) throw notFound();
    checkScope(res, 'read', view.collection);
    res.json(view);
  });

  r.delete('/documents/:id', async (req, res) => {
    const view = await d.service.get(req.params.id);
    if (!view) throw notFound();
    checkScope(res, 'write', view.collection);
    if (!(await d.service.delete(view.id))) throw notFound();
    res.json({ id: view.id, documentId: view.documentId, collection: view.collection, deleted: true });
  });

  return r;
}
