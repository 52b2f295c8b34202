import type pg from 'pg';
import pgvector from 'pgvector/pg';
import { DEFAULT_COLLECTION } from '@rag/contract';
import { documentKey } from './documents.ts';

export interface SearchHit {
  chunkId: string;
  documentId: string;
  title: string;
  content: string;
  ordinal: number;
  /** 1-based page of a paged document (PDF), else null. */
  page: number | null;
  /** Cosine similarity, 1 = same direction. */
  score: number;
}

export interface SearchOptions {
  embedding: number[];
  topK: number;
  /** The collection searched (default "default"); only its chunks are candidates. */
  collection?: string;
  /** Restricts to these documents (the ids users give) of the collection. */
  documentIds?: string[];
  /** hnsw.ef_search for this query (raised to topK when lower: HNSW returns at most ef_search rows). */
  efSearch: number;
  /** Server-side cap for this query: the time left before the ask's deadline. */
  timeoutMs: number;
  /** Exact (sequential) search instead of the index: the ground truth recall is measured against. */
  exact?: boolean;
  signal?: AbortSignal;
}

/**
 * The whole search as one simple-protocol message: `BEGIN`, the `SET LOCAL`s, the query and `COMMIT` travel in one
 * write and come back in one read. Against the three round trips it replaced (settings, a prepared query, commit),
 * `npm run bench -- --scenario search` measured ~1.3x the searches per second and ~35% less client CPU, with the
 * same PostgreSQL CPU (planning the query each time costs what the extra round trips did); and a pooled connection
 * is held for one trip through a busy event loop instead of three. The inner query orders by distance alone so the
 * planner can walk the HNSW index; the join adds titles after.
 */
function searchSql(
  vector: string,
  topK: number,
  collection: string,
  documentIds: string[] | undefined,
  quote: (s: string) => string,
): string {
  // Documents are named by their keys (derived from collection and id), so no join is needed to filter by them.
  const filter = documentIds?.length
    ? ` AND document_id = ANY(ARRAY[${documentIds.map((id) => quote(documentKey(collection, id))).join(', ')}]::text[])`
    : '';
  return `
SELECT c.id::text AS chunk_id, d.document_id, d.title, c.content, c.ordinal, c.page, 1 - c.distance AS score
FROM (
  SELECT id, document_id, content, ordinal, page, embedding <=> '${vector}'::vector AS distance
  FROM chunks
  WHERE collection = ${quote(collection)}${filter}
  ORDER BY embedding <=> '${vector}'::vector
  LIMIT ${topK}
) c JOIN documents d ON d.id = c.document_id
ORDER BY c.distance`;
}

const positiveInt = (name: string, n: number) => {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`${name} must be a positive integer, got ${n}`);
  return n;
};

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
    // Everything spliced into the SQL is checked here: integers, finite numbers, and escaped document ids.
    const topK = positiveInt('topK', opts.topK);
    const ef = Math.max(positiveInt('efSearch', opts.efSearch), topK);
    const timeout = Math.max(1, Math.floor(opts.timeoutMs));
    if (!opts.embedding.every(Number.isFinite)) throw new RangeError('the query embedding has a non-finite component');
    const sql =
      `BEGIN; SET LOCAL hnsw.ef_search = ${ef}; SET LOCAL statement_timeout = ${timeout}` +
      (opts.exact ? '; SET LOCAL enable_indexscan = off' : '') +
      // Filtered (collection, documents): pgvector 0.8 keeps walking the graph until topK rows pass the filter,
      // instead of filtering the first ef_search candidates and returning fewer. The outer query re-sorts.
      '; SET LOCAL hnsw.iterative_scan = relaxed_order' +
      `;${searchSql(pgvector.toSql(opts.embedding), topK, opts.collection ?? DEFAULT_COLLECTION, opts.documentIds, (id) => client.escapeLiteral(id))};\nCOMMIT`;
    const results = (await client.query(sql)) as unknown as pg.QueryResult<{
      chunk_id: string;
      document_id: string;
      title: string;
      content: string;
      ordinal: number;
      page: number | null;
      score: number;
    }>[];
    const r = results.find((x) => x.command === 'SELECT');
    if (!r) throw new Error('the search returned no result set');
    const hits = r.rows.map((row) => ({
      chunkId: row.chunk_id,
      documentId: row.document_id,
      title: row.title,
      content: row.content,
      ordinal: row.ordinal,
      page: row.page,
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
