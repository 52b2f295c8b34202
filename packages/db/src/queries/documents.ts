import type pg from 'pg';
import pgvector from 'pgvector/pg';

export interface ChunkRow {
  ordinal: number;
  content: string;
  metadata: Record<string, unknown>;
  embedding: number[];
}

export interface DocumentRow {
  id: string;
  title: string;
  source: string | null;
  metadata: Record<string, unknown>;
  contentHash: string;
}

/** Takes a document id; returns its stored content hash, or null when the document is not stored. */
export async function getDocumentHash(db: pg.ClientBase | pg.Pool, id: string): Promise<string | null> {
  const r = await db.query<{ content_hash: string }>('SELECT content_hash FROM documents WHERE id = $1', [id]);
  return r.rows[0]?.content_hash ?? null;
}

/** Takes document ids; returns the subset that are stored with the given hashes (id -> hash). */
export async function getDocumentHashes(db: pg.ClientBase | pg.Pool, ids: string[]): Promise<Map<string, string>> {
  const r = await db.query<{ id: string; content_hash: string }>(
    'SELECT id, content_hash FROM documents WHERE id = ANY($1::text[])',
    [ids],
  );
  return new Map(r.rows.map((row) => [row.id, row.content_hash]));
}

export async function countDocuments(db: pg.ClientBase | pg.Pool): Promise<{ documents: number; chunks: number }> {
  const r = await db.query<{ documents: string; chunks: string }>(
    'SELECT (SELECT count(*) FROM documents) AS documents, (SELECT count(*) FROM chunks) AS chunks',
  );
  return { documents: Number(r.rows[0].documents), chunks: Number(r.rows[0].chunks) };
}

// 5 parameters a row; PostgreSQL allows 65535 parameters a statement.
const ROWS_PER_INSERT = 1000;

/**
 * Replaces a document and all its chunks inside the caller's transaction (the caller owns BEGIN/COMMIT, so a
 * reader sees either the old chunks or the new ones, never a mix). Multi-row inserts keep round trips low.
 */
export async function replaceDocument(client: pg.ClientBase, doc: DocumentRow, chunks: ChunkRow[]): Promise<void> {
  await client.query(
    `INSERT INTO documents (id, title, source, metadata, content_hash, chunk_count)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, source = EXCLUDED.source, metadata = EXCLUDED.metadata,
       content_hash = EXCLUDED.content_hash, chunk_count = EXCLUDED.chunk_count, updated_at = now()`,
    [doc.id, doc.title, doc.source, JSON.stringify(doc.metadata), doc.contentHash, chunks.length],
  );
  await client.query('DELETE FROM chunks WHERE document_id = $1', [doc.id]);
  for (let start = 0; start < chunks.length; start += ROWS_PER_INSERT) {
    const slice = chunks.slice(start, start + ROWS_PER_INSERT);
    const values: unknown[] = [];
    const tuples = slice.map((c, i) => {
      values.push(doc.id, c.ordinal, c.content, JSON.stringify(c.metadata), pgvector.toSql(c.embedding));
      const b = i * 5;
      return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5})`;
    });
    await client.query(
      `INSERT INTO chunks (document_id, ordinal, content, metadata, embedding) VALUES ${tuples.join(', ')}`,
      values,
    );
  }
}

/** Takes a document id; deletes it and its chunks. Returns whether it existed. */
export async function deleteDocument(client: pg.ClientBase, id: string): Promise<boolean> {
  const r = await client.query('DELETE FROM documents WHERE id = $1', [id]);
  return (r.rowCount ?? 0) > 0;
}
