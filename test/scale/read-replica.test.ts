import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import type { AskView } from '@rag/contract';
import {
  api,
  createTestDatabase,
  startOwnPgReplica,
  uploadDocument,
  waitForDocument,
  waitUntil,
  type OwnPgReplica,
  type TestDatabase,
} from '@rag/testing';
import { startTestStack, type TestStack } from '../support/test-stack.ts';

/** How long an ask waits for a lagging replica here before it reads the primary (REPLICA_MAX_WAIT_MS). */
const MAX_WAIT_MS = 5000;

/** A document whose made-up word no other document has: an answer cites it, or it does not know the word. */
const docAbout = (word: string) =>
  `# Thủ tục ${word}\n\n${word} là thủ tục kiểm tra hồ sơ dự thầu trước khi mở thầu, do tổ chuyên gia thực hiện ` +
  `trong ba ngày làm việc. Hồ sơ không qua ${word} thì không được đánh giá.\n`;

/**
 * Retrieval from a streaming read replica (DATABASE_READ_URL), ingestion into the primary (DATABASE_URL), on a
 * primary and a `pg_basebackup -R` replica of the test's own. Read-your-writes: an ask submitted after a document
 * became ready is answered with that document even when the replica has not replayed it yet (the worker waits up
 * to REPLICA_MAX_WAIT_MS for the replica, then reads the primary), so no answer missing it is cached under the
 * corpus version that added it.
 */
describe('read replica: retrieval on the replica, ingestion on the primary, read-your-writes', () => {
  let pgs: OwnPgReplica;
  let db: TestDatabase;
  let stack: TestStack;
  let replicaDbUrl: string;

  before(async () => {
    pgs = await startOwnPgReplica();
    db = await createTestDatabase({ adminUrl: pgs.primary.url() });
    replicaDbUrl = pgs.replica.url(db.name);
    // The worker checks the replica's schema at start: wait until the new database has been replayed there.
    await waitUntil(async () => (await pgs.replica.query('SELECT 1 FROM chunks LIMIT 0', [], db.name)) !== undefined, {
      timeoutMs: 30_000,
      message: 'the migrated database to reach the replica',
    });
    stack = await startTestStack({
      db,
      env: { DATABASE_READ_URL: replicaDbUrl, REPLICA_MAX_WAIT_MS: String(MAX_WAIT_MS), WORKER_CONCURRENCY: '4' },
    });
  });
  after(async () => {
    await stack?.close();
    await db?.drop();
    await pgs?.close();
  });

  const ask = (question: string, wait = true, topK = 5) =>
    api<AskView>(stack.url, '/v1/ask', {
      method: 'POST',
      headers: wait ? { Prefer: 'wait=25' } : {},
      json: { question, topK, timeoutMs: 30_000 },
    });
  const upload = async (word: string) => {
    const r = await uploadDocument(stack.url, { content: docAbout(word), fileName: `${word}.md` });
    assert.equal(r.status, 202, r.text);
    const view = await waitForDocument(stack.url, r.json.id);
    assert.equal(view.status, 'ready', JSON.stringify(view));
    return view;
  };
  const versionOn = async (server: 'primary' | 'replica') =>
    Number((await pgs[server].query<{ v: string }>('SELECT version AS v FROM corpus_state', [], db.name))[0].v);
  const replicaCaughtUp = async () => {
    const target = await versionOn('primary');
    await waitUntil(async () => (await versionOn('replica')) >= target, {
      timeoutMs: 30_000,
      message: 'the replica to replay the primary',
    });
  };
  /** The worker's Prometheus figures: retrievals by server/reason, and how many asks waited for the replica. */
  const workerFigures = async () => {
    const text = await (await fetch(`${stack.workers[0].metricsUrl}/metrics`)).text();
    const reads: Record<string, number> = {};
    for (const m of text.matchAll(/^rag_replica_reads_total\{([^}]*)\} (\d+)$/gm)) {
      const label = (name: string) => new RegExp(`${name}="([^"]*)"`).exec(m[1])?.[1];
      reads[`${label('server')}/${label('reason')}`] = Number(m[2]);
    }
    const waits = /^rag_stage_duration_seconds_count\{[^}]*stage="replica_wait"[^}]*\} (\d+)$/m.exec(text);
    return { reads, waits: Number(waits?.[1] ?? 0) };
  };
  const cites = (view: { result?: { citations: { documentId: string }[] } }, documentId: string) =>
    view.result?.citations.some((c) => c.documentId === documentId) ?? false;

  test('a document uploaded over HTTP is written to the primary and asks about it are answered from the replica', async () => {
    const [inRecovery] = await pgs.replica.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r');
    assert.equal(inRecovery.r, true, 'the replica is a read-only standby');
    const doc = await upload('zorblax');
    // Written on the primary, by the ingestion pool (the replica refuses writes, so it cannot have been there).
    const [onPrimary] = await pgs.primary.query<{ n: string }>(
      'SELECT count(*) AS n FROM chunks WHERE document_id = $1',
      [doc.id],
      db.name,
    );
    assert.ok(Number(onPrimary.n) > 0);
    await replicaCaughtUp();
    const start = await workerFigures();
    const r = await ask('Zorblax là gì?');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.status, 'completed');
    assert.ok(cites(r.json, doc.documentId), JSON.stringify(r.json.result));
    const again = await ask('Thủ tục zorblax do ai thực hiện?');
    assert.ok(cites(again.json, doc.documentId), JSON.stringify(again.json.result));
    const afterAsks = await workerFigures();
    assert.equal((afterAsks.reads['replica/fresh'] ?? 0) - (start.reads['replica/fresh'] ?? 0), 2);
    assert.equal(afterAsks.reads['primary/lagging'] ?? 0, 0);
    // The searches ran on the replica: its sessions of the worker's read pool last ran the search statement, and
    // the primary has no session of that pool at all, while the ingestion pool's sessions are on the primary only.
    const sessions = (server: 'primary' | 'replica') =>
      pgs[server].query<{ app: string; query: string }>(
        'SELECT application_name AS app, query FROM pg_stat_activity WHERE datname = $1',
        [db.name],
      );
    const onReplica = await sessions('replica');
    assert.ok(
      onReplica.some((s) => s.app === 'rag-worker-read' && s.query.includes('hnsw.ef_search')),
      JSON.stringify(onReplica),
    );
    assert.ok(!onReplica.some((s) => s.app === 'rag-worker-ingest'));
    const onPrimarySessions = await sessions('primary');
    assert.ok(!onPrimarySessions.some((s) => s.app === 'rag-worker-read'), JSON.stringify(onPrimarySessions));
    assert.ok(!onPrimarySessions.some((s) => s.query.includes('hnsw.ef_search')), JSON.stringify(onPrimarySessions));
    assert.ok(onPrimarySessions.some((s) => s.app === 'rag-worker-ingest'));
  });

  test('replay paused: an ask waits for the replica; replay resumed during the wait, it is answered from the replica', async () => {
    await replicaCaughtUp();
    await pgs.replica.query('SELECT pg_wal_replay_pause()');
    let resumed = false;
    try {
      const doc = await upload('quaxil');
      assert.ok((await versionOn('replica')) < (await versionOn('primary')), 'the replica has not replayed it');
      const start = await workerFigures();
      const [{ submittedAt }] = await pgs.replica.query<{ submittedAt: Date }>('SELECT now() AS "submittedAt"');
      const sub = await ask('Quaxil là gì?', false);
      assert.equal(sub.status, 202, sub.text);
      // The worker has asked the replica its corpus version since (and found it behind): the ask is waiting.
      await waitUntil(
        async () =>
          (
            await pgs.replica.query(
              `SELECT 1 FROM pg_stat_activity WHERE application_name = 'rag-worker-read'
                 AND query LIKE '%corpus_state%' AND query_start > $1`,
              [submittedAt],
            )
          ).length > 0,
        { intervalMs: 5, message: 'the worker to find the replica behind' },
      );
      await pgs.replica.query('SELECT pg_wal_replay_resume()');
      resumed = true;
      const view = (await api<AskView>(stack.url, `/v1/ask/${sub.json.id}?wait=25`)).json;
      assert.equal(view.status, 'completed', JSON.stringify(view));
      assert.ok(cites(view, doc.documentId), JSON.stringify(view.result));
      const afterAsk = await workerFigures();
      assert.equal((afterAsk.reads['replica/caught_up'] ?? 0) - (start.reads['replica/caught_up'] ?? 0), 1);
      assert.equal(afterAsk.waits - start.waits, 1);
    } finally {
      if (!resumed) await pgs.replica.query('SELECT pg_wal_replay_resume()');
    }
  });

  test('replay paused longer than REPLICA_MAX_WAIT_MS: asks read the primary, include the new document, and the cache holds that answer', async () => {
    await replicaCaughtUp();
    await pgs.replica.query('SELECT pg_wal_replay_pause()');
    let doc: { documentId: string };
    try {
      doc = await upload('vembrot');
      const start = await workerFigures();
      // On the stale replica this question finds nothing: what a stale answer would be.
      const first = await ask('Vembrot là gì?');
      assert.equal(first.json.status, 'completed', first.text);
      assert.equal(first.json.result!.cached, false);
      assert.ok(cites(first.json, doc.documentId), JSON.stringify(first.json.result));
      // The answer cached under the new corpus version is that one, with the new document.
      const cached = await ask('vembrot là gì?');
      assert.equal(cached.json.result!.cached, true);
      assert.ok(cites(cached.json, doc.documentId));
      // A second question while replay is still paused goes to the primary without waiting again.
      const second = await ask('Hồ sơ không qua vembrot thì sao?');
      assert.ok(cites(second.json, doc.documentId), JSON.stringify(second.json.result));
      const lagging = await workerFigures();
      assert.equal((lagging.reads['primary/lagging'] ?? 0) - (start.reads['primary/lagging'] ?? 0), 2);
      assert.equal(lagging.waits - start.waits, 1, 'only the first ask waited');
      assert.ok((await versionOn('replica')) < (await versionOn('primary')), 'replay was paused throughout');
    } finally {
      await pgs.replica.query('SELECT pg_wal_replay_resume()');
    }
    // Caught up again: asks are back on the replica once the worker looks again (its view is at most 1 s old).
    await replicaCaughtUp();
    const start = await workerFigures();
    let n = 0;
    await waitUntil(
      async () => {
        // Another topK each time: a new answer identity, not served from the cache.
        const r = await ask('Vembrot do ai thực hiện?', true, 1 + (n++ % 20));
        assert.equal(r.json.status, 'completed', r.text);
        assert.ok(cites(r.json, doc.documentId), JSON.stringify(r.json.result));
        return ((await workerFigures()).reads['replica/fresh'] ?? 0) > (start.reads['replica/fresh'] ?? 0);
      },
      { timeoutMs: 20_000, intervalMs: 100, message: 'asks to read the replica again' },
    );
  });

  test('replication lag on this machine: commit on the primary to replay on the replica', async (t) => {
    await pgs.primary.query('CREATE DATABASE lag_probe');
    await pgs.primary.query('CREATE EXTENSION vector', [], 'lag_probe');
    await pgs.primary.query(
      'CREATE TABLE probe (id bigserial PRIMARY KEY, embedding vector(384)); ' +
        'CREATE INDEX ON probe USING hnsw (embedding vector_cosine_ops)',
      [],
      'lag_probe',
    );
    // The replica has the table once it can be connected to and names it.
    await waitUntil(async () => (await pgs.replica.query(`SELECT to_regclass('probe') AS t`, [], 'lag_probe'))[0].t, {
      timeoutMs: 30_000,
      message: 'the probe table to reach the replica',
    });
    const primary = new pg.Client({ connectionString: pgs.primary.url('lag_probe') });
    const replica = new pg.Client({ connectionString: pgs.replica.url('lag_probe') });
    try {
      await primary.connect();
      await replica.connect();
      /** ms from the commit's acknowledgement on the primary until the replica has replayed it (polled ~0.2 ms). */
      const lagOf = async (write: string) => {
        await primary.query(write);
        const t0 = performance.now();
        // The flush position, not the insert position: WAL inserted but not flushed (autovacuum's, say) is not sent
        // until the WAL writer wakes, up to seconds later on an idle server; the commit itself was flushed.
        const { lsn } = (await primary.query('SELECT pg_current_wal_flush_lsn()::text AS lsn')).rows[0];
        await waitUntil(
          async () => (await replica.query('SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS ok', [lsn])).rows[0].ok,
          { timeoutMs: 30_000, intervalMs: 0, message: `the replica to replay ${lsn}` },
        );
        return performance.now() - t0;
      };
      const randomRows = (n: number) =>
        // The outer i makes the subquery run per row (one random vector each); the inner x keeps the aggregate inside.
        `INSERT INTO probe (embedding)
         SELECT (SELECT array_agg(random() + 0 * x + 0 * i) FROM generate_series(1, 384) x)::vector
         FROM generate_series(1, ${n}) i`;
      const summary = (xs: number[]) => {
        const s = [...xs].sort((a, b) => a - b);
        const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))].toFixed(1);
        return `p50 ${q(0.5)} ms, p95 ${q(0.95)} ms, max ${s.at(-1)?.toFixed(1)} ms (n=${s.length})`;
      };
      const small: number[] = [];
      for (let i = 0; i < 100; i++) small.push(await lagOf(randomRows(1)));
      // About one uploaded document: 300 chunks of 384 dimensions into an HNSW index, one transaction.
      const doc: number[] = [];
      for (let i = 0; i < 5; i++) doc.push(await lagOf(randomRows(300)));
      t.diagnostic(`replica lag, one-row commits: ${summary(small)}`);
      t.diagnostic(`replica lag, 300-chunk commits: ${summary(doc)}`);
      assert.equal(small.length + doc.length, 105);
    } finally {
      await primary.end();
      await replica.end();
    }
  });

  test('replica stopped: asks are answered from the primary', async () => {
    const start = await workerFigures();
    await pgs.stopReplica();
    // Asks right after the stop may first meet the stopped replica and be retried (retrieval_failed is
    // retryable); every one completes, from the primary.
    for (let topK = 1; topK <= 3; topK++) {
      const r = await ask('Zorblax là gì?', true, topK);
      assert.equal(r.json.status, 'completed', r.text);
      assert.ok(r.json.result!.citations.length > 0, JSON.stringify(r.json.result));
    }
    const end = await workerFigures();
    assert.ok(
      (end.reads['primary/unreachable'] ?? 0) - (start.reads['primary/unreachable'] ?? 0) >= 3,
      JSON.stringify(end),
    );
  });
});
