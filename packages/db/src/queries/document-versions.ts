import type pg from 'pg';
import type { DocumentStatus, DocumentView, IngestProgress } from '@rag/contract';
import { replaceDocument, documentKey, type ChunkRow, type DocumentRow } from './documents.ts';

/**
 * Uploads and their ingestion (migration 002, table document_versions). An upload's bytes go to a large object
 * as they stream in; the version row that points at them is written, with the document row, once the upload is
 * complete, and only then is the upload acknowledged.
 */

type VersionStatus = DocumentStatus;

// ---- the bytes ---------------------------------------------------------------------------------------------

/** Creates a large object holding `bytes`; returns its oid. Runs on its own (autocommit). */
export async function createContent(db: pg.Pool | pg.ClientBase, bytes: Buffer): Promise<number> {
  const r = await db.query<{ oid: number }>('SELECT lo_from_bytea(0, $1) AS oid', [bytes]);
  return Number(r.rows[0].oid);
}

/** Writes `bytes` at `offset` of a large object (autocommit). */
export async function appendContent(
  db: pg.Pool | pg.ClientBase,
  oid: number,
  offset: number,
  bytes: Buffer,
): Promise<void> {
  await db.query('SELECT lo_put($1, $2, $3)', [oid, offset, bytes]);
}

/** Removes a large object that no version points at (an upload refused or broken off). */
export async function dropContent(db: pg.Pool | pg.ClientBase, oid: number): Promise<void> {
  await db.query('SELECT lo_unlink($1) WHERE EXISTS (SELECT 1 FROM pg_largeobject_metadata WHERE oid = $1)', [oid]);
}

/**
 * Large objects no version points at: uploads still streaming in (their version row is written when they end) and
 * uploads whose gateway died before that. The database is the service's own: every large object in it is an upload.
 */
export async function unreferencedContents(db: pg.Pool | pg.ClientBase, limit = 1000): Promise<number[]> {
  const r = await db.query<{ oid: number }>(
    `SELECT m.oid::bigint AS oid FROM pg_largeobject_metadata m
     WHERE NOT EXISTS (SELECT 1 FROM document_versions v WHERE v.content_oid = m.oid)
     ORDER BY m.oid LIMIT $1`,
    [limit],
  );
  return r.rows.map((row) => Number(row.oid));
}

/** Removes a large object if, at this moment, still no version points at it; true when it was removed. */
export async function dropUnreferencedContent(db: pg.Pool | pg.ClientBase, oid: number): Promise<boolean> {
  const r = await db.query(
    `SELECT lo_unlink(m.oid) FROM pg_largeobject_metadata m
     WHERE m.oid = $1 AND NOT EXISTS (SELECT 1 FROM document_versions v WHERE v.content_oid = m.oid)`,
    [oid],
  );
  return (r.rowCount ?? 0) > 0;
}

// Slices keep each result (sent as hex text) far below the sizes where pg's parser struggles.
const READ_SLICE = 4 * 1024 * 1024;

/** Reads a large object whole. */
export async function readContent(db: pg.Pool | pg.ClientBase, oid: number, byteSize: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (let offset = 0; offset < byteSize; offset += READ_SLICE) {
    const r = await db.query<{ b: Buffer }>('SELECT lo_get($1, $2, $3) AS b', [oid, offset, READ_SLICE]);
    parts.push(r.rows[0].b);
  }
  return Buffer.concat(parts);
}

// ---- the records --------------------------------------------------------------------------------------------

interface NewVersion {
  collection: string;
  documentId: string;
  /** Title given with the upload; else the title extraction finds, else the file name. */
  title?: string;
  fileName: string;
  byteSize: number;
  sha256: string;
  contentOid: number;
}

/**
 * Records a complete upload inside the caller's transaction: the document row (created empty when new, so it is
 * listed and readable while queued) and a queued version pointing at the stored bytes. Returns both ids.
 */
export async function createVersion(client: pg.ClientBase, v: NewVersion): Promise<{ key: string; versionId: string }> {
  const key = documentKey(v.collection, v.documentId);
  // The row lock taken here orders this upload against a concurrent delete or apply of the same document.
  await client.query(
    `INSERT INTO documents (id, collection, document_id, title, source, content_hash, chunk_count)
     VALUES ($1, $2, $3, $4, $5, '', 0)
     ON CONFLICT (id) DO UPDATE SET updated_at = now()`,
    [key, v.collection, v.documentId, v.title ?? v.fileName, `upload:${v.fileName}`],
  );
  const r = await client.query<{ id: string }>(
    `INSERT INTO document_versions (document_key, file_name, title, byte_size, sha256, content_oid)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id::text`,
    [key, v.fileName, v.title ?? null, v.byteSize, v.sha256, v.contentOid],
  );
  const versionId = r.rows[0].id;
  await client.query('UPDATE documents SET latest_version = $2 WHERE id = $1', [key, versionId]);
  return { key, versionId };
}

interface ViewRow {
  id: string;
  document_id: string;
  collection: string;
  title: string;
  content_hash: string;
  chunk_count: number;
  page_count: number | null;
  created_at: Date;
  updated_at: Date;
  status: VersionStatus | null;
  progress: IngestProgress | null;
  error_code: string | null;
  error_message: string | null;
  v_updated_at: Date | null;
}

const VIEW_SELECT = `
SELECT d.id, d.document_id, d.collection, d.title, d.content_hash, d.chunk_count, d.page_count, d.created_at,
       d.updated_at, v.status, v.progress, v.error_code, v.error_message, v.updated_at AS v_updated_at
FROM documents d LEFT JOIN document_versions v ON v.id = d.latest_version`;

function toView(r: ViewRow): DocumentView {
  // Documents ingested by the CLI have no versions: they are ready as stored.
  const status = r.status ?? 'ready';
  const applied = r.content_hash !== '';
  const updated = r.v_updated_at && r.v_updated_at > r.updated_at ? r.v_updated_at : r.updated_at;
  return {
    id: r.id,
    documentId: r.document_id,
    collection: r.collection,
    title: r.title,
    status,
    ...(applied ? { chunks: r.chunk_count } : {}),
    ...(applied && r.page_count !== null ? { pages: r.page_count } : {}),
    ...((status === 'processing' || status === 'queued') && r.progress ? { progress: r.progress } : {}),
    ...(status === 'failed' ? { error: { code: r.error_code ?? 'internal', message: r.error_message ?? '' } } : {}),
    createdAt: r.created_at.toISOString(),
    updatedAt: updated.toISOString(),
  };
}

/** Takes a document key; returns its view, or null. */
export async function getDocumentView(db: pg.Pool | pg.ClientBase, key: string): Promise<DocumentView | null> {
  const r = await db.query<ViewRow>(`${VIEW_SELECT} WHERE d.id = $1`, [key]);
  return r.rows[0] ? toView(r.rows[0]) : null;
}

/**
 * A page of a collection's documents, newest first. The cursor is the last item's (created_at, id), so pages
 * stay consistent while documents are added (new ones appear on the first page, none is repeated or skipped).
 */
export async function listDocuments(
  db: pg.Pool | pg.ClientBase,
  opts: { collection: string; limit: number; after?: { createdAt: string; id: string } },
): Promise<{ items: DocumentView[]; next?: { createdAt: string; id: string } }> {
  const params: unknown[] = [opts.collection, opts.limit + 1];
  let where = 'WHERE d.collection = $1';
  if (opts.after) {
    params.push(opts.after.createdAt, opts.after.id);
    where += ' AND (d.created_at, d.id) < ($3::timestamptz, $4)';
  }
  const r = await db.query<ViewRow>(`${VIEW_SELECT} ${where} ORDER BY d.created_at DESC, d.id DESC LIMIT $2`, params);
  const rows = r.rows.slice(0, opts.limit);
  const last = rows.at(-1);
  return {
    items: rows.map(toView),
    ...(r.rows.length > opts.limit && last ? { next: { createdAt: last.created_at.toISOString(), id: last.id } } : {}),
  };
}

interface ClaimedVersion {
  versionId: string;
  key: string;
  collection: string;
  documentId: string;
  title: string | null;
  fileName: string;
  byteSize: number;
  sha256: string;
  contentOid: number;
  attempts: number;
}

/**
 * Marks a version processing (one more attempt) and returns what ingestion needs, or null when there is nothing
 * to do: the version is finished, or its document was deleted meanwhile.
 */
export async function claimVersion(db: pg.Pool | pg.ClientBase, versionId: string): Promise<ClaimedVersion | null> {
  const r = await db.query<{
    document_key: string;
    collection: string;
    document_id: string;
    title: string | null;
    file_name: string;
    byte_size: string;
    sha256: string;
    content_oid: number | null;
    attempts: number;
  }>(
    `UPDATE document_versions v SET status = 'processing', attempts = attempts + 1, updated_at = now(), progress = NULL
     FROM documents d
     WHERE v.id = $1 AND d.id = v.document_key AND v.status IN ('queued', 'processing')
     RETURNING v.document_key, d.collection, d.document_id, v.title, v.file_name, v.byte_size, v.sha256,
               v.content_oid, v.attempts`,
    [versionId],
  );
  const row = r.rows[0];
  if (!row || row.content_oid === null) return null;
  return {
    versionId,
    key: row.document_key,
    collection: row.collection,
    documentId: row.document_id,
    title: row.title,
    fileName: row.file_name,
    byteSize: Number(row.byte_size),
    sha256: row.sha256,
    contentOid: Number(row.content_oid),
    attempts: row.attempts,
  };
}

/** Records how far a version's ingestion got (read by GET /v1/documents/:id). */
export async function setVersionProgress(
  db: pg.Pool | pg.ClientBase,
  versionId: string,
  progress: IngestProgress,
): Promise<void> {
  await db.query(
    `UPDATE document_versions SET progress = $2, updated_at = now() WHERE id = $1 AND status = 'processing'`,
    [versionId, JSON.stringify(progress)],
  );
}

/** Ends a version as failed (unless it already ended). Returns whether this call ended it. */
export async function failVersion(
  db: pg.Pool | pg.ClientBase,
  versionId: string,
  error: { code: string; message: string },
): Promise<boolean> {
  const r = await db.query(
    `UPDATE document_versions SET status = 'failed', error_code = $2, error_message = $3, updated_at = now(),
       finished_at = now()
     WHERE id = $1 AND status IN ('queued', 'processing')`,
    [versionId, error.code, error.message.slice(0, 2000)],
  );
  return (r.rowCount ?? 0) > 0;
}

type ApplyOutcome = 'applied' | 'already_finished' | 'superseded' | 'deleted';

/**
 * Makes a version's chunks the document's, inside the caller's transaction: the new chunks become visible in one
 * commit, so readers see the old version or the new one, never a mix. Applied at most once (a job re-run after a
 * worker died finds the version finished), and never over a newer upload that was applied first. Locks the
 * document row before the version row: the same order as a delete (document, then its versions by cascade).
 */
export async function applyVersion(
  client: pg.ClientBase,
  v: ClaimedVersion,
  doc: Omit<DocumentRow, 'documentId' | 'collection'>,
  chunks: ChunkRow[],
): Promise<ApplyOutcome> {
  const d = await client.query('SELECT 1 FROM documents WHERE id = $1 FOR UPDATE', [v.key]);
  if (!d.rowCount) return 'deleted';
  const r = await client.query<{ status: VersionStatus }>(
    'SELECT status FROM document_versions WHERE id = $1 FOR UPDATE',
    [v.versionId],
  );
  const status = r.rows[0]?.status;
  if (!status) return 'deleted';
  if (status === 'ready' || status === 'failed') return 'already_finished';
  const newer = await client.query(
    `SELECT 1 FROM document_versions WHERE document_key = $1 AND id > $2 AND status = 'ready' LIMIT 1`,
    [v.key, v.versionId],
  );
  if (newer.rowCount) {
    await failVersion(client, v.versionId, {
      code: 'superseded',
      message: 'a newer upload of this document was ready first',
    });
    return 'superseded';
  }
  await replaceDocument(client, { ...doc, documentId: v.documentId, collection: v.collection }, chunks);
  await client.query(
    `UPDATE document_versions SET status = 'ready', page_count = $2, chunk_count = $3, progress = NULL,
       updated_at = now(), finished_at = now()
     WHERE id = $1`,
    [v.versionId, doc.pageCount ?? null, chunks.length],
  );
  // Only the applied version's bytes are worth keeping (to re-ingest with a better extractor); older ones go.
  await client.query(
    `UPDATE document_versions SET content_oid = NULL
     WHERE document_key = $1 AND id < $2 AND status IN ('ready', 'failed') AND content_oid IS NOT NULL`,
    [v.key, v.versionId],
  );
  return 'applied';
}

/** Versions not finished and not touched for `idleMs`: their job may have been lost (see the ingest sweep). */
export async function staleVersions(
  db: pg.Pool | pg.ClientBase,
  idleMs: number,
  limit = 100,
): Promise<{ versionId: string; key: string; collection: string; documentId: string }[]> {
  const r = await db.query<{ id: string; document_key: string; collection: string; document_id: string }>(
    `SELECT v.id::text, v.document_key, d.collection, d.document_id
     FROM document_versions v JOIN documents d ON d.id = v.document_key
     WHERE v.status IN ('queued', 'processing') AND v.updated_at < now() - make_interval(secs => $1::float8 / 1000)
     ORDER BY v.updated_at LIMIT $2`,
    [idleMs, limit],
  );
  return r.rows.map((row) => ({
    versionId: row.id,
    key: row.document_key,
    collection: row.collection,
    documentId: row.document_id,
  }));
}
