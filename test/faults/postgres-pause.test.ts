import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AskView } from '@rag/contract';
import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import { api, SlowGenerator, waitUntil } from '@rag/testing';
import { startTestStack, type TestStack } from '../support/test-stack.ts';

/** GET /readyz's body (apps/gateway/src/routes/ops.ts); `error` only when not ready. */
type Readiness = {
  status: string;
  checks: { redis: string; postgres: string };
  error?: { code: string; message: string };
};

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/procurement');

/** Every process of the local PostgreSQL cluster (postmaster and backends). */
function postgresPids(): number[] {
  return execFileSync('pgrep', ['-x', 'postgres'], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
}

function signal(pids: number[], sig: NodeJS.Signals) {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      // gone already
    }
  }
}

describe('fault: PostgreSQL paused (SIGSTOP) while asks run', () => {
  let stack: TestStack;
  const slow = new SlowGenerator(50);
  before(async () => {
    stack = await startTestStack({
      workers: 1,
      ingest: [FIXTURES],
      generator: slow,
      env: { CACHE_TTL_S: '0', PG_CONNECTION_TIMEOUT_MS: '500', WORKER_CONCURRENCY: '8' },
    });
  });
  after(() => stack.close());

  test('asks fail within their deadline with timeout / retrieval_failed / expired (never hang), readiness names PostgreSQL, and it recovers', async () => {
    // Warm the pool so some asks hit an existing connection (no answer) and others a new one (connect timeout).
    const warm = await api<AskView>(stack.url, '/v1/ask', {
      method: 'POST',
      headers: { prefer: 'wait=10' },
      json: { question: 'bảo đảm dự thầu' },
    });
    assert.equal(warm.json.status, 'completed');
    const pids = postgresPids();
    // Whatever happens to this test process, the cluster is resumed within 10 s.
    spawn('sh', ['-c', `sleep 10; kill -CONT ${pids.join(' ')} 2>/dev/null`], {
      detached: true,
      stdio: 'ignore',
    }).unref();
    signal(pids, 'SIGSTOP');
    const results: { code?: string; status: string; ms: number }[] = [];
    try {
      const ready = await api<Readiness>(stack.url, '/readyz');
      assert.equal(ready.status, 503);
      assert.match(ready.json.error!.message, /PostgreSQL/);
      assert.equal(ready.json.checks.redis, 'ok');
      const asks = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          api<AskView>(stack.url, '/v1/ask', {
            method: 'POST',
            json: { question: `bảo đảm thực hiện hợp đồng ${i}`, timeoutMs: 2500 },
          }),
        ),
      );
      await Promise.all(
        asks.map(async (a) => {
          const t0 = Date.now();
          const r = await api<AskView>(stack.url, `/v1/ask/${a.json.id}?wait=15`);
          results.push({ status: r.json.status, code: r.json.error?.code, ms: Date.now() - t0 });
        }),
      );
    } finally {
      signal(pids, 'SIGCONT');
    }
    for (const r of results) {
      assert.equal(r.status, 'failed');
      // 12 asks on 8 slots: an ask whose slot frees only after its deadline is `expired` (never started), which is as
      // terminal and as bounded as `timeout` / `retrieval_failed`.
      assert.ok(['timeout', 'retrieval_failed', 'expired'].includes(r.code ?? ''), `code ${r.code}`);
      // At the 2.5 s deadline, not when PostgreSQL resumes (generous slack for a loaded machine).
      assert.ok(r.ms < 8000, `terminal within the deadline (+slack), took ${r.ms} ms`);
    }
    // Recovery, by itself: the next ask completes.
    let i = 0;
    await waitUntil(
      async () => {
        const r = await api<AskView>(stack.url, '/v1/ask', {
          method: 'POST',
          headers: { prefer: 'wait=10' },
          json: { question: `e-bidding ${i++}` },
        });
        return r.json.status === 'completed';
      },
      { timeoutMs: 120_000, intervalMs: 250, message: 'asks do not complete again after PostgreSQL resumes' },
    );
    assert.equal((await api(stack.url, '/readyz')).status, 200);
    const codes = results.map((r) => r.code).join(',');
    console.log(
      `# postgres-pause tally: asks ${results.length}, terminal within deadline ${results.length}, codes ${codes}, lost 0`,
    );
  });
});
