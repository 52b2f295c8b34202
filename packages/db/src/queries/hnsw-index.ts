import type pg from 'pg';
import { inTransaction } from '../create-pool.ts';

/**
 * The chunks' HNSW index, defined once here. Migration 001 created it with the same statement (a migration is
 * history and stays as it ran); bulk ingestion and the benchmarks drop and rebuild it through these functions,
 * and the ingestion test checks that the rebuilt index matches the migrated one.
 */
export const HNSW_INDEX = 'chunks_embedding_hnsw';
const CREATE_HNSW_INDEX = `CREATE INDEX IF NOT EXISTS ${HNSW_INDEX} ON chunks USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)`;

/** Drops the index before a bulk load (maintaining it row by row is far slower than one build after). */
export async function dropHnswIndex(db: pg.Pool | pg.ClientBase): Promise<void> {
  await db.query(`DROP INDEX IF EXISTS ${HNSW_INDEX}`);
}

/**
 * Builds the index if it is missing, in one transaction with room to build in memory and no statement timeout
 * (both `SET LOCAL`: behind PgBouncer in transaction mode a session setting would stay on a shared server connection).
 */
export async function buildHnswIndex(pool: pg.Pool): Promise<void> {
  await inTransaction(
    pool,
    async (client) => {
      await client.query("SET LOCAL maintenance_work_mem = '1GB'");
      await client.query(CREATE_HNSW_INDEX);
    },
    { statementTimeoutMs: 0 },
  );
}

/**
 * Settles a bulk load before it serves: statistics, hint bits and the visibility map now, rather than autovacuum
 * doing it under the first queries (measured: docs/benchmarks.md, structured vectors).
 */
export async function settleAfterBulkLoad(pool: pg.Pool): Promise<void> {
  // VACUUM cannot run inside a transaction, so it cannot carry a `SET LOCAL` limit (and a session setting would
  // leak behind PgBouncer): like the index build, it runs as long as the load it settles needs.
  const client = await pool.connect();
  try {
    await client.query('VACUUM (ANALYZE) chunks, documents');
  } finally {
    client.release();
  }
}
