import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildHnswIndex, closePool, createPool, dropHnswIndex, HNSW_INDEX, type Pool } from '@rag/db';
import { createTestDatabase, type TestDatabase } from '@rag/testing';

describe('the HNSW index', () => {
  let db: TestDatabase;
  let pool: Pool;
  before(async () => {
    db = await createTestDatabase();
    pool = createPool({ connectionString: db.url, max: 2, connectionTimeoutMillis: 5000, statementTimeoutMs: 60_000 });
  });
  after(async () => {
    await closePool(pool);
    await db.drop();
  });

  const definition = async () =>
    (await pool.query<{ indexdef: string }>('SELECT indexdef FROM pg_indexes WHERE indexname = $1', [HNSW_INDEX]))
      .rows[0]?.indexdef;

  test('rebuilt by the code is the index the migration made (one definition, kept in step)', async () => {
    const migrated = await definition();
    assert.match(migrated ?? '', /USING hnsw \(embedding vector_cosine_ops\) WITH \(m='16', ef_construction='64'\)/);
    await dropHnswIndex(pool);
    assert.equal(await definition(), undefined);
    await buildHnswIndex(pool);
    assert.equal(await definition(), migrated);
  });

  test('the build leaves no session settings on pooled connections', async () => {
    const clients = await Promise.all([pool.connect(), pool.connect()]);
    try {
      for (const c of clients) {
        const r = await c.query<{ m: string; t: string }>(
          "SELECT current_setting('maintenance_work_mem') AS m, current_setting('statement_timeout') AS t",
        );
        assert.notEqual(r.rows[0].m, '1GB');
        assert.equal(r.rows[0].t, '1min');
      }
    } finally {
      for (const c of clients) c.release();
    }
  });
});
