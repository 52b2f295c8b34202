import type pg from 'pg';
import pgvector from 'pgvector/pg';

export interface SearchHit {
  chunkId: string;
  documentId: string;
  title: string;
  content: string;
  ordinal: number;
  /** Cosine similarity, 1 = same direction. */
  score: number;
}

export interface SearchOptions {
  embedding: number[];
  topK: number;
  documentIds?: string[];
  /** hnsw.ef_search for this query (raised to topK when lower: HNSW returns at most ef_search rows). */
  efSearch: number;
  /** Server-side cap for this query: the time left before the ask's deadline. */
  timeoutMs: number;
  /** Exact (sequential) search instead of the index: the ground truth recall is measured against. */
  exact?: boolean;
  signal?: AbortSignal;
}

// The inner query orders by distance alone so the planner can walk the HNSW index; the join adds titles after.
const SEARCH_SQL = `
SELECT c.id::text AS chunk_id, c.document_id, d.title, c.content, c.ordinal, 1 - c.distance AS score
FROM (
  SELECT id, document_id, content, ordinal, embedding <=> $1 AS distance
  FROM chunks
  ORDER BY embedding <=> $1
  LIMIT $2
) c JOIN documents d ON d.id = c.document_id
ORDER BY c.distance`;

const SEARCH_FILTERED_SQL = `
SELECT c.id::text AS chunk_id, c.document_id, d.title, c.content, c.ordinal, 1 - c.distance AS score
FROM (
  SELECT id, document_id, content, ordinal, embedding <=> $1 AS distance
  FROM chunks
  WHERE document_id = ANY($3::text[])
  ORDER BY embedding <=> $1
  LIMIT $2
) c JOIN documents d ON d.id = c.document_id
ORDER BY c.distance`;

export interface SearchResult {
  hits: SearchHit[];
  /**
   * Time spent waiting for a pooled connection, ms. Reported apart from the query so that a pool sized too small
   * (asks queueing for connections) is told from a database that is slow (the query itself).
   */
  poolWaitMs: number;
}

export class QueryAbortedError extends Error {
  constructor(reason: unknown) {
    super(`query aborted: ${reason instanceof Error ? reason.message : String(reason)}`);
    this.name = 'QueryAbortedError';
  }
}

/**
 * Nearest chunks to an embedding. Runs in its own short transaction so that `SET LOCAL` scopes ef_search and the
 * statement timeout to this query (correct behind PgBouncer in transaction mode too). An abort of `signal`
 * destroys the connection, which ends the query at once on our side; the server ends it by the statement timeout.
 */
export async function searchChunks(pool: pg.Pool, opts: SearchOptions): Promise<SearchResult> {
  opts.signal?.throwIfAborted();
  const t0 = performance.now();
  const client = await pool.connect();
  const poolWaitMs = performance.now() - t0;
  let destroyed = false;
  const onAbort = () => {
    destroyed = true;
    client.release(new QueryAbortedError(opts.signal?.reason));
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const ef = Math.max(opts.efSearch, opts.topK);
    const timeout = Math.max(1, Math.floor(opts.timeoutMs));
    // Integers validated above, so inlining them is safe and saves a round trip per setting.
    await client.query(
      `BEGIN; SET LOCAL hnsw.ef_search = ${ef}; SET LOCAL statement_timeout = ${timeout}` +
        (opts.exact ? '; SET LOCAL enable_indexscan = off' : '') +
        (opts.documentIds?.length ? `; SET LOCAL hnsw.iterative_scan = relaxed_order` : ''),
    );
    const filtered = Boolean(opts.documentIds?.length);
    const r = await client.query<{ chunk_id: string; document_id: string; title: string; content: string; ordinal: number; score: number }>({
      name: filtered ? 'rag_search_filtered' : 'rag_search',
      text: filtered ? SEARCH_FILTERED_SQL : SEARCH_SQL,
      values: filtered
        ? [pgvector.toSql(opts.embedding), opts.topK, opts.documentIds]
        : [pgvector.toSql(opts.embedding), opts.topK],
    });
    await client.query('COMMIT');
    const hits = r.rows.map((row) => ({
      chunkId: row.chunk_id,
      documentId: row.document_id,
      title: row.title,
      content: row.content,
      ordinal: row.ordinal,
      score: Number(row.score),
    }));
    return { hits, poolWaitMs };
  } catch (err) {
    if (opts.signal?.aborted) throw new QueryAbortedError(opts.signal.reason);
    if (!destroyed) {
      destroyed = true;
      // A failed transaction leaves the connection unusable until ROLLBACK; dropping it is simpler and rare.
      client.release(err instanceof Error ? err : new Error(String(err)));
    }
    throw err;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    if (!destroyed) client.release();
  }
}
