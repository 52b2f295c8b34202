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
  /**
   * The relevance the results are ordered by, higher is better: cosine similarity for a vector-only search; for a
   * hybrid search the reciprocal-rank-fusion score scaled so that rank 1 in both arms is 1.
   */
  score: number;
  /** Cosine similarity to the question's embedding (1 = same direction), whichever arm found the chunk. */
  similarity: number;
  /** 1-based rank in the vector arm's candidates, absent when only the lexical arm found the chunk. */
  vectorRank?: number;
  /** 1-based rank in the lexical arm's candidates, absent when the chunk did not match the question's words. */
  lexicalRank?: number;
}

/**
 * The question's words for the lexical arm, in `websearch_to_tsquery` syntax (built by @rag/rag's lexicalQuery:
 * quoted words joined by `or`). Spliced into the SQL only as escaped literals, and parsed by
 * `websearch_to_tsquery`, which never fails on syntax: a hostile string is at worst an odd query.
 */
interface LexicalQuery {
  /** Single words: `"bao" or "dam"`. */
  terms: string;
  /** Adjacent words as phrases (`"bao dam" or "dam du"`), the evidence multi-syllable Vietnamese words need. */
  phrases: string;
}

interface SearchOptions {
  embedding: number[];
  topK: number;
  /** The collection searched (default "default"); only its chunks are candidates. */
  collection?: string;
  /** Restricts to these documents (the ids users give) of the collection. */
  documentIds?: string[];
  /** When given (and not empty), a hybrid search: the vector and lexical arms fused by reciprocal rank. */
  lexical?: LexicalQuery;
  /** hnsw.ef_search for this query (raised to topK when lower: HNSW returns at most ef_search rows). */
  efSearch: number;
  /** Server-side cap for this query: the time left before the ask's deadline. */
  timeoutMs: number;
  /** Exact (sequential) search instead of the index: the ground truth recall is measured against. */
  exact?: boolean;
  signal?: AbortSignal;
}

/** Candidates each arm of a hybrid search contributes to the fusion (at least topK). */
const HYBRID_CANDIDATES = 20;
/** Reciprocal rank fusion constant: score = sum over arms of 1 / (RRF_K + rank). */
const RRF_K = 60;
/**
 * Added to a chunk's lexical rank when at least one adjacent pair of the question's words appears in it as a
 * phrase. ts_rank ignores the `<->` of a phrase (it scores the phrase's words wherever they are), so the phrase
 * evidence is this separate `@@` test, which does check positions. Measured on the eval set: 0.02-0.1 rank alike.
 */
const PHRASE_BONUS = 0.05;

/**
 * The whole search as one simple-protocol message: `BEGIN`, the `SET LOCAL`s, the query and `COMMIT` travel in one
 * write and come back in one read. Against the three round trips it replaced (settings, a prepared query, commit),
 * `npm run bench -- --scenario search` measured ~1.3x the searches per second and ~35% less client CPU, with the
 * same PostgreSQL CPU (planning the query each time costs what the extra round trips did); and a pooled connection
 * is held for one trip through a busy event loop instead of three. The inner query orders by distance alone so the
 * planner can walk the HNSW index; the join adds titles after.
 */
function vectorSql(vector: string, topK: number, filter: string): string {
  return `
SELECT c.id::text AS chunk_id, d.document_id, d.title, c.content, c.ordinal, c.page, 1 - c.distance AS score,
  1 - c.distance AS similarity, row_number() OVER (ORDER BY c.distance) AS vector_rank, NULL::bigint AS lexical_rank
FROM (
  SELECT id, document_id, content, ordinal, page, embedding <=> '${vector}'::vector AS distance
  FROM chunks
  WHERE ${filter}
  ORDER BY embedding <=> '${vector}'::vector
  LIMIT ${topK}
) c JOIN documents d ON d.id = c.document_id
ORDER BY c.distance`;
}

/**
 * Hybrid search in one statement: the HNSW arm (nearest by cosine distance, walked by the index as above) and the
 * full-text arm (the GIN index on the folded `fts` column; ranked by the question's words matched, normalised
 * by the chunk's length, plus a bonus when its adjacent words match as a phrase) each give their best candidates,
 * and reciprocal rank fusion orders the union. The filter (collection, documents) applies inside both arms, so
 * neither can fill its candidates with chunks the filter would drop.
 */
function hybridSql(vector: string, topK: number, filter: string, terms: string, phrases: string): string {
  const n = Math.max(topK, HYBRID_CANDIDATES);
  return `
WITH q AS (
  SELECT websearch_to_tsquery('simple', rag_fold(${terms})) AS words,
         websearch_to_tsquery('simple', rag_fold(${phrases})) AS phrases
), v AS (
  SELECT id, row_number() OVER (ORDER BY distance) AS r
  FROM (
    SELECT id, embedding <=> '${vector}'::vector AS distance
    FROM chunks
    WHERE ${filter}
    ORDER BY embedding <=> '${vector}'::vector
    LIMIT ${n}
  ) x
), l AS (
  SELECT id, row_number() OVER (ORDER BY rank DESC, id) AS r
  FROM (
    SELECT c.id, ts_rank(c.fts, q.words, 1) + CASE WHEN c.fts @@ q.phrases THEN ${PHRASE_BONUS} ELSE 0 END AS rank
    FROM chunks c, q
    WHERE c.fts @@ (q.words || q.phrases) AND ${filter}
    ORDER BY rank DESC, c.id
    LIMIT ${n}
  ) y
), fused AS (
  SELECT id, v.r AS vector_rank, l.r AS lexical_rank,
    coalesce(1.0 / (${RRF_K} + v.r), 0) + coalesce(1.0 / (${RRF_K} + l.r), 0) AS rrf
  FROM v FULL JOIN l USING (id)
  ORDER BY rrf DESC, id
  LIMIT ${topK}
)
SELECT c.id::text AS chunk_id, d.document_id, d.title, c.content, c.ordinal, c.page,
  f.rrf * ${(RRF_K + 1) / 2} AS score, 1 - (c.embedding <=> '${vector}'::vector) AS similarity,
  f.vector_rank, f.lexical_rank
FROM fused f JOIN chunks c ON c.id = f.id JOIN documents d ON d.id = c.document_id
ORDER BY f.rrf DESC, f.id`;
}

const positiveInt = (name: string, n: number) => {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`${name} must be a positive integer, got ${n}`);
  return n;
};

interface SearchResult {
  hits: SearchHit[];
  /**
   * Time spent waiting for a pooled connection, ms. Reported apart from the query so that a pool sized too small
   * (asks queueing for connections) is told from a database that is slow (the query itself).
   */
  poolWaitMs: number;
}

class QueryAbortedError extends Error {
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
    // Everything spliced into the SQL is checked here: integers, finite numbers, and escaped literals (collection,
    // document keys and the question's words).
    const topK = positiveInt('topK', opts.topK);
    const ef = Math.max(positiveInt('efSearch', opts.efSearch), topK);
    const timeout = Math.max(1, Math.floor(opts.timeoutMs));
    if (!opts.embedding.every(Number.isFinite)) throw new RangeError('the query embedding has a non-finite component');
    const esc = (text: string) => client.escapeLiteral(text);
    // PostgreSQL text cannot hold NUL; in the question's words it carries nothing, so it goes rather than failing.
    const lexText = (text: string) => esc(text.replaceAll('\0', ''));
    const collection = opts.collection ?? DEFAULT_COLLECTION;
    // Documents are named by their keys (derived from collection and id), so no join is needed to filter by them.
    const filter =
      `collection = ${esc(collection)}` +
      (opts.documentIds?.length
        ? ` AND document_id = ANY(ARRAY[${opts.documentIds.map((id) => esc(documentKey(collection, id))).join(', ')}]::text[])`
        : '');
    const vector = pgvector.toSql(opts.embedding);
    const lex = opts.lexical;
    const hybrid = lex !== undefined && (lex.terms.trim() !== '' || lex.phrases.trim() !== '');
    const query = hybrid
      ? hybridSql(vector, topK, filter, lexText(lex.terms), lexText(lex.phrases))
      : vectorSql(vector, topK, filter);
    const sql =
      `BEGIN; SET LOCAL hnsw.ef_search = ${hybrid ? Math.max(ef, HYBRID_CANDIDATES) : ef}; SET LOCAL statement_timeout = ${timeout}` +
      (opts.exact ? '; SET LOCAL enable_indexscan = off' : '') +
      // Filtered (collection, documents): pgvector 0.8 keeps walking the graph until topK rows pass the filter,
      // instead of filtering the first ef_search candidates and returning fewer. The outer query re-sorts.
      '; SET LOCAL hnsw.iterative_scan = relaxed_order' +
      `;${query};\nCOMMIT`;
    const results = (await client.query(sql)) as unknown as pg.QueryResult<{
      chunk_id: string;
      document_id: string;
      title: string;
      content: string;
      ordinal: number;
      page: number | null;
      score: number;
      similarity: number;
      vector_rank: string | null;
      lexical_rank: string | null;
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
      similarity: Number(row.similarity),
      ...(row.vector_rank === null ? {} : { vectorRank: Number(row.vector_rank) }),
      ...(row.lexical_rank === null ? {} : { lexicalRank: Number(row.lexical_rank) }),
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
