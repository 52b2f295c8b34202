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
        // Outside a transaction a pooled connection has the server's defaults: the build's settings were LOCAL.
        const r = await c.query<{ m: string; t_default: boolean }>(
          `SELECT current_setting('maintenance_work_mem') AS m, setting = reset_val AS t_default
           FROM pg_settings WHERE name = 'statement_timeout'`,
        );
        assert.notEqual(r.rows[0].m, '1GB');
        assert.equal(r.rows[0].t_default, true);
      }
    } finally {
      for (const c of clients) c.release();
    }
    // A statement through the pool runs under the pool's limit, set for its own transaction.
    const r = await pool.query<{ t: string }>("SELECT current_setting('statement_timeout') AS t");
    assert.equal(r.rows[0].t, '1min');
  });
});
