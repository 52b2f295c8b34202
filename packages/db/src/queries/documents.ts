import { createHash } from 'node:crypto';
import type pg from 'pg';
import pgvector from 'pgvector/pg';

import { DEFAULT_COLLECTION } from '@rag/contract';

export interface ChunkRow {
  ordinal: number;
  content: string;
  metadata: Record<string, unknown>;
  embedding: number[];
  /** 1-based page of a paged format (PDF); absent for formats without pages. */
  page?: number | null;
}

export interface DocumentRow {
  /** The id users give (CLI: the relative path; HTTP: the `documentId` field), unique within its collection. */
  documentId: string;
  collection?: string;
  title: string;
  source: string | null;
  metadata: Record<string, unknown>;
  contentHash: string;
  pageCount?: number | null;
}

/**
 * The opaque key of a document (documents.id): the same derivation as migration 002, so the CLI and the gateway
 * name a document the same way without a lookup, and the key is safe in a URL path.
 */
export function documentKey(collection: string, documentId: string): string {
  return `doc_${createHash('sha256').update(`${collection}\n${documentId}`).digest('hex').slice(0, 24)}`;
}

/** Takes document ids of one collection; returns the stored content hash of those stored (documentId -> hash). */
export async function getDocumentHashes(
  db: pg.ClientBase | pg.Pool,
  ids: string[],
  collection = DEFAULT_COLLECTION,
): Promise<Map<string, string>> {
  const r = await db.query<{ document_id: string; content_hash: string }>(
    'SELECT document_id, content_hash FROM documents WHERE collection = $1 AND document_id = ANY($2::text[])',
    [collection, ids],
  );
  return new Map(r.rows.map((row) => [row.document_id, row.content_hash]));
}

export async function countDocuments(db: pg.ClientBase | pg.Pool): Promise<{ documents: number; chunks: number }> {
  const r = await db.query<{ documents: string; chunks: string }>(
    'SELECT (SELECT count(*) FROM documents) AS documents, (SELECT count(*) FROM chunks) AS chunks',
  );
  return { documents: Number(r.rows[0].documents), chunks: Number(r.rows[0].chunks) };
}

// 7 parameters a row; PostgreSQL allows 65535 parameters a statement.
const ROWS_PER_INSERT = 1000;

/**
 * Replaces a document and all its chunks inside the caller's transaction (the caller owns BEGIN/COMMIT, so a
 * reader sees either the old chunks or the new ones, never a mix). Multi-row inserts keep round trips low.
 * Returns the document's key.
 */
export async function replaceDocument(client: pg.ClientBase, doc: DocumentRow, chunks: ChunkRow[]): Promise<string> {
  const collection = doc.collection ?? DEFAULT_COLLECTION;
  const key = documentKey(collection, doc.documentId);
  await client.query(
    `INSERT INTO documents (id, collection, document_id, title, source, metadata, content_hash, chunk_count, page_count)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, source = EXCLUDED.source, metadata = EXCLUDED.metadata,
       content_hash = EXCLUDED.content_hash, chunk_count = EXCLUDED.chunk_count, page_count = EXCLUDED.page_count,
       updated_at = now()`,
    [
      key,
      collection,
      doc.documentId,
      doc.title,
      doc.source,
      JSON.stringify(doc.metadata),
      doc.contentHash,
      chunks.length,
      doc.pageCount ?? null,
    ],
  );
  await client.query('DELETE FROM chunks WHERE document_id = $1', [key]);
  for (let start = 0; start < chunks.length; start += ROWS_PER_INSERT) {
    const slice = chunks.slice(start, start + ROWS_PER_INSERT);
    const values: unknown[] = [];
    const tuples = slice.map((c, i) => {
      values.push(
        key,
        collection,
        c.ordinal,
        c.page ?? null,
        c.content,
        JSON.stringify(c.metadata),
        pgvector.toSql(c.embedding),
      );
      const b = i * 7;
      return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}, $${b + 6}, $${b + 7})`;
    });
    await client.query(
      `INSERT INTO chunks (document_id, collection, ordinal, page, content, metadata, embedding) VALUES ${tuples.join(', ')}`,
      values,
    );
  }
  return key;
}

/** Takes a document key; deletes it, its chunks and its versions (cascade). Returns whether it existed. */
export async function deleteDocument(client: pg.ClientBase, key: string): Promise<boolean> {
  const r = await client.query('DELETE FROM documents WHERE id = $1', [key]);
  return (r.rowCount ?? 0) > 0;
}
