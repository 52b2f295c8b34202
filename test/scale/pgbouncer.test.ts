import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import pg from 'pg';
import type { AskView } from '@rag/contract';
import { closePool, createPool, runMigrations, searchChunks, inTransaction, type Pool } from '@rag/db';
import { answerQuestion, ExtractiveGenerator, HashEmbeddings, UpstreamError } from '@rag/rag';
import {
  api,
  createTestDatabase,
  ROOT,
  startOwnPgBouncer,
  uploadDocument,
  waitForDocument,
  waitUntil,
  type OwnPgBouncer,
  type TestDatabase,
} from '@rag/testing';
import { startTestStack, type TestStack } from '../support/test-stack.ts';

const SAMPLE = path.join(ROOT, 'data/sample');
/** Server connections PgBouncer may open for the service's database: fewer than the service's client connections. */
const SERVER_POOL = 2;
/** The worker's pool (PG_POOL_MAX), larger than SERVER_POOL. */
const CLIENT_POOL = 8;
const QUESTIONS = [
  'Bảo đảm dự thầu là gì?',
  'Hợp đồng trọn gói là gì?',
  'Đấu thầu qua mạng là gì?',
  'Nhà thầu nộp bảo đảm dự thầu khi nào?',
  'Chỉ định thầu được áp dụng khi nào?',
  'Bảo lãnh thực hiện hợp đồng là gì?',
];

const count = (rows: Record<string, unknown>[], column: string) => rows.reduce((n, r) => n + Number(r[column]), 0);

/**
 * The service behind PgBouncer (Debian's package) in transaction pooling mode: migrations, CLI ingestion, gateway
 * and worker all connect through it, with more client connections than PgBouncer has server connections. Per-query
 * settings are `SET LOCAL`, so they end with their transaction and never reach the next client of a shared server
 * connection; the statement limit still fires through PgBouncer.
 */
describe('PgBouncer (transaction pooling) in front of PostgreSQL', () => {
  let db: TestDatabase;
  let bouncer: OwnPgBouncer;
  let stack: TestStack;
  let url: string;
  /** A second name for the same database with ONE server connection: consecutive clients must share it. */
  let oneServerUrl: string;
  let migrated: string[][];
  const pools: Pool[] = [];

  before(async () => {
    db = await createTestDatabase({ migrate: false });
    bouncer = await startOwnPgBouncer({
      databases: [
        { name: db.name, dbname: db.name, poolSize: SERVER_POOL },
        { name: `${db.name}_one`, dbname: db.name, poolSize: 1 },
      ],
    });
    url = bouncer.url(db.name);
    oneServerUrl = bouncer.url(`${db.name}_one`);
    // Two migration runs at once, both through PgBouncer (checked in the first test).
    migrated = await Promise.all([1, 2].map(() => runMigrations({ databaseUrl: url, embeddingDim: 384 })));
    stack = await startTestStack({
      db: { url, name: db.name, drop: async () => {} },
      // CLI ingestion (ingestPaths: one transaction per document) through PgBouncer too.
      ingest: [SAMPLE],
      workers: 1,
      env: {
        WORKER_CONCURRENCY: String(CLIENT_POOL),
        PG_POOL_MAX: String(CLIENT_POOL),
        // Connections held back by the first test must not time out while they queue in PgBouncer.
        PG_CONNECTION_TIMEOUT_MS: '30000',
        PG_IDLE_TIMEOUT_MS: '600000',
      },
    });
  });

  after(async () => {
    try {
      await Promise.all(pools.map((p) => closePool(p)));
      await stack?.close();
    } finally {
      try {
        await bouncer?.close();
      } finally {
        await db?.drop();
      }
    }
  });

  const ask = (question: string) =>
    api<AskView>(stack.url, '/v1/ask', { method: 'POST', headers: { prefer: 'wait=25' }, json: { question } });

  test('migrations run through PgBouncer: two runs at once serialise, one applies everything, one nothing', () => {
    const lengths = migrated.map((m) => m.length).sort();
    assert.deepEqual(lengths, [0, 3], JSON.stringify(migrated));
  });

  test('concurrent asks complete with citations; the worker has more client connections than there are servers', async () => {
    // Two clients take both server connections and hold them in open transactions, so every search the asks start
    // queues in PgBouncer: each ask then holds a client connection of its own, all sharing the 2 servers.
    const holders = [new pg.Client({ connectionString: url }), new pg.Client({ connectionString: url })];
    let released = false;
    const release = async () => {
      if (released) return;
      released = true;
      await Promise.all(holders.map((h) => h.query('COMMIT').catch(() => {})));
      await Promise.all(holders.map((h) => h.end().catch(() => {})));
    };
    try {
      for (const h of holders) {
        await h.connect();
        await h.query('BEGIN; SELECT 1');
      }
      const pools0 = await bouncer.show('POOLS', db.name);
      assert.equal(count(pools0, 'sv_active'), SERVER_POOL, JSON.stringify(pools0));

      const answers = Promise.all(QUESTIONS.map((q) => ask(q)));
      const waiting = await waitUntil(
        async () => {
          const rows = await bouncer.show('POOLS', db.name);
          return count(rows, 'cl_waiting') >= QUESTIONS.length ? rows : undefined;
        },
        { timeoutMs: 20_000, message: `${QUESTIONS.length} client connections waiting in PgBouncer` },
      );
      const clients = await bouncer.show('CLIENTS', db.name);
      const servers = await bouncer.show('SERVERS', db.name);
      const direct = new pg.Client({ connectionString: db.url.replace(/\/[^/]*$/, '/postgres') });
      await direct.connect();
      const backends = await direct
        .query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend'",
          [db.name],
        )
        .finally(() => direct.end());
      console.log(
        `PgBouncer while the asks queue: ${clients.length} client connections, ${servers.length} server connections, ` +
          `${backends.rows[0].n} PostgreSQL backends for the database, cl_waiting ${count(waiting, 'cl_waiting')}`,
      );
      assert.ok(clients.length >= QUESTIONS.length + holders.length, `clients: ${clients.length}`);
      assert.ok(servers.length <= SERVER_POOL, `servers: ${servers.length}`);
      assert.ok(backends.rows[0].n <= SERVER_POOL, `backends: ${backends.rows[0].n}`);

      await release();
      const results = await answers;
      for (const [i, r] of results.entries()) {
        assert.equal(r.status, 200, `${QUESTIONS[i]}: ${r.text}`);
        assert.equal(r.json.status, 'completed', r.text);
        assert.ok(r.json.result!.citations.length > 0, `${QUESTIONS[i]} has no citations`);
      }
    } finally {
      await release();
    }
  });

  test('an uploaded document is ingested through PgBouncer (ready) and an ask cites it', async () => {
    const up = await uploadDocument(stack.url, {
      fileName: 'kho-pgbouncer.md',
      collection: 'kho',
      content:
        '# Quy trình nhập kho vật tư\n\nVật tư nhập kho phải được kiểm đếm bởi thủ kho và lập biên bản giao nhận ' +
        'trong vòng hai ngày làm việc.\n',
    });
    assert.equal(up.status, 202, up.text);
    const ready = await waitForDocument(stack.url, up.json.id);
    assert.equal(ready.status, 'ready', JSON.stringify(ready));
    assert.ok((ready.chunks ?? 0) >= 1);
    const res = await api<AskView>(stack.url, '/v1/ask', {
      method: 'POST',
      headers: { prefer: 'wait=25' },
      json: { question: 'thủ kho kiểm đếm vật tư nhập kho', collection: 'kho' },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.result!.citations[0].documentId, 'kho-pgbouncer.md');
  });

  test('PgBouncer refuses a statement_timeout startup parameter (why the limit is no longer one)', async () => {
    const c = new pg.Client({ connectionString: url, statement_timeout: 1000 });
    await assert.rejects(c.connect(), /unsupported startup parameter/);
    await c.end().catch(() => {});
  });

  test('SET LOCAL settings do not leak: the next client on the same server connection sees the defaults', async () => {
    const limited = createPool({
      connectionString: oneServerUrl,
      max: 1,
      connectionTimeoutMillis: 10_000,
      statementTimeoutMs: 1234,
    });
    pools.push(limited);
    const embedding = await new HashEmbeddings(384).embedQuery('bảo đảm dự thầu');
    const { hits } = await searchChunks(limited, { embedding, topK: 3, efSearch: 77, timeoutMs: 4321 });
    assert.ok(hits.length > 0);
    // Inside the pool's own transactions the settings hold...
    const inside = await inTransaction(limited, async (c) => {
      await c.query('SET LOCAL hnsw.ef_search = 77');
      const r = await c.query<{ t: string; ef: string; pid: number }>(
        "SELECT current_setting('statement_timeout') AS t, current_setting('hnsw.ef_search') AS ef, pg_backend_pid() AS pid",
      );
      return r.rows[0];
    });
    assert.equal(inside.t, '1234ms');
    assert.equal(inside.ef, '77');

    // ...and another client, given the same (only) server connection, sees none of them.
    const other = new pg.Client({ connectionString: oneServerUrl });
    await other.connect();
    try {
      const seen = async () =>
        (
          await other.query<{ pid: number; t: string; t_default: boolean; ef: string }>(
            `SELECT pg_backend_pid() AS pid, current_setting('statement_timeout') AS t, setting = reset_val AS t_default,
                    current_setting('hnsw.ef_search') AS ef
             FROM pg_settings WHERE name = 'statement_timeout'`,
          )
        ).rows[0];
      const after = await seen();
      assert.equal(after.pid, inside.pid, 'PgBouncer gave the second client the same server connection');
      assert.equal(after.t_default, true, `statement_timeout is ${after.t}`);
      assert.equal(after.ef, '40', "hnsw.ef_search is pgvector's default");

      // The check can fail: a session-level SET (what a startup parameter or `SET` without LOCAL amounts to) stays
      // on the server connection and reaches the next client.
      const careless = new pg.Client({ connectionString: oneServerUrl });
      await careless.connect();
      await careless.query('SET statement_timeout = 4567').finally(() => careless.end());
      const leaked = await seen();
      assert.equal(leaked.pid, inside.pid);
      assert.equal(leaked.t, '4567ms');
      await other.query('RESET statement_timeout');
    } finally {
      await other.end();
    }
  });

  test('the statement limit fires through PgBouncer, as 57014, and retrieval classifies it as a retryable failure', async () => {
    const limited = createPool({
      connectionString: url,
      max: 2,
      connectionTimeoutMillis: 10_000,
      statementTimeoutMs: 300,
    });
    pools.push(limited);
    await assert.rejects(limited.query('SELECT pg_sleep(5)'), (err: { code?: string; message: string }) => {
      assert.equal(err.code, '57014', err.message);
      assert.match(err.message, /statement timeout/);
      return true;
    });
    // The transaction was rolled back and its connection is fine.
    assert.equal((await limited.query<{ one: number }>('SELECT 1 AS one')).rows[0].one, 1);

    // A search stuck behind a lock: the limit (the time left before the ask's deadline) ends it on the server.
    const locker = new pg.Client({ connectionString: db.url });
    await locker.connect();
    try {
      await locker.query('BEGIN; LOCK TABLE chunks IN ACCESS EXCLUSIVE MODE');
      await assert.rejects(
        answerQuestion(
          { question: 'Bảo đảm dự thầu là gì?', mode: 'fast', topK: 3, deadline: Date.now() + 500 },
          { pool: limited, embedder: new HashEmbeddings(384), generator: new ExtractiveGenerator(), efSearch: 40 },
        ),
        (err: unknown) => {
          assert.ok(err instanceof UpstreamError, String(err));
          assert.equal(err.code, 'retrieval_failed');
          assert.equal(err.retryable, true);
          assert.equal((err.cause as { code?: string }).code, '57014');
          return true;
        },
      );
    } finally {
      await locker.query('ROLLBACK').catch(() => {});
      await locker.end();
    }
  });
});
