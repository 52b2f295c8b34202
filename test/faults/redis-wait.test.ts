import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import type { AskView } from '@rag/contract';
import { ASK_QUEUE } from '@rag/queue';
import { activeResources, api, assertNoLeakedHandles, startOwnRedis, waitUntil, type OwnRedis } from '@rag/testing';
import { startTestStack, type TestStack } from '../support/test-stack.ts';

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

interface Answer {
  status: number;
  id?: string;
  code?: string;
  retryAfter?: string | null;
}

/**
 * REDIS_WAIT_REPLICAS=1 against a Redis with no replica: `WAIT 1` can never be met and blocks for its whole timeout,
 * longer here (2500 ms) than the request path's 2000 ms command timeout. Submissions meet a blocking WAIT; every
 * answer must be 202 or 503 `unavailable` with Retry-After (a 500 was what a command timed out behind a WAIT gave),
 * the reads meanwhile answer, and a 503'd ask is queued: the retry with the same Idempotency-Key finds it.
 */
describe('REDIS_WAIT_REPLICAS=1 with no replica: WAIT cannot be met', () => {
  let redis: OwnRedis;
  let stack: TestStack;
  let baseline: Record<string, number>;
  before(async () => {
    baseline = activeResources();
    redis = await startOwnRedis();
    stack = await startTestStack({
      workers: 1,
      env: {
        REDIS_URL: redis.url,
        CACHE_TTL_S: '0',
        REDIS_WAIT_REPLICAS: '1',
        REDIS_WAIT_TIMEOUT_MS: '2500',
      },
    });
  });
  after(async () => {
    await stack.close();
    await redis.close();
    assertNoLeakedHandles(baseline);
  });

  const submit = async (key: string, question: string): Promise<Answer> => {
    const r = await api<AskView & { error?: { code: string } }>(stack.url, '/v1/ask', {
      method: 'POST',
      headers: { 'idempotency-key': key },
      json: { question },
      signal: AbortSignal.timeout(30_000),
    });
    return { status: r.status, id: r.json?.id, code: r.json?.error?.code, retryAfter: r.headers.get('retry-after') };
  };

  test('every answer is 202 or 503 with Retry-After, never 500; a 503 ask is found by its Idempotency-Key and ends', async (t) => {
    const keys = Array.from({ length: 24 }, () => randomUUID());
    const question = (i: number) => `Bảo đảm dự thầu ${i} ${keys[i].slice(0, 6)}`;
    const answers: Answer[] = [];
    const reads: number[] = [];
    // Two waves of 12 concurrent submissions, 1.2 s apart (inside the first WAIT's 2.5 s and the refusal window
    // after it), with readiness reads beside them: commands that share the gateway's connection with the asks.
    for (const wave of [0, 1]) {
      const batch = keys.slice(wave * 12, wave * 12 + 12).map((k, j) =>
        submit(k, question(wave * 12 + j)).then((a) => {
          answers.push(a);
        }),
      );
      const probes = [0, 1, 2].map(async () => {
        const r = await fetch(`${stack.url}/healthz`, { signal: AbortSignal.timeout(30_000) });
        await r.arrayBuffer();
        reads.push(r.status);
      });
      await new Promise((r) => setTimeout(r, 1200));
      if (wave === 1) await Promise.all([...batch, ...probes]);
      else void Promise.all([...batch, ...probes]);
    }
    await waitUntil(() => answers.length === keys.length, { timeoutMs: 30_000, message: 'every submission answered' });

    const statuses = answers.map((a) => `${a.status}:${a.code ?? ''}`);
    t.diagnostic(`submissions: ${statuses.join(' ')}; /healthz: ${reads.join(' ')}`);
    for (const a of answers) {
      assert.ok(a.status === 202 || a.status === 503, `answer ${a.status} ${a.code} (all: ${statuses.join(' ')})`);
      if (a.status === 503) {
        assert.equal(a.code, 'unavailable');
        assert.ok(a.retryAfter && Number(a.retryAfter) >= 1, 'a 503 says when to retry');
      }
    }
    assert.ok(
      answers.some((a) => a.status === 503),
      'no replica: WAIT is not met and asks are refused',
    );
    for (const s of reads) assert.equal(s, 200, `/healthz beside the WAITs: ${reads.join(' ')}`);

    // The retry with the same key (and body) answers the first ask's id, twice the same: no second ask.
    const ids = new Map<string, string>();
    for (const [i, k] of keys.entries()) {
      const first = await submit(k, question(i));
      // 200 once the ask has ended (the replay answers its current view), 202 while it is still queued or running.
      assert.ok(
        first.status === 200 || first.status === 202,
        `retry with the same Idempotency-Key: ${first.status} ${first.code}`,
      );
      const again = await submit(k, question(i));
      assert.equal(again.id, first.id, 'the same key finds the same ask');
      ids.set(k, first.id!);
    }
    assert.equal(new Set(ids.values()).size, keys.length, 'one ask per key');

    // Each of them was enqueued before its WAIT: it reaches a terminal state a client can read.
    const ends = new Map<string, string>();
    await waitUntil(
      async () => {
        for (const id of ids.values()) {
          if (ends.has(id)) continue;
          const r = await api<AskView>(stack.url, `/v1/ask/${id}?wait=5`, { signal: AbortSignal.timeout(30_000) });
          assert.notEqual(r.status, 404, `ask ${id} lost`);
          if (r.status === 200 && TERMINAL.has(r.json.status)) ends.set(id, r.json.status);
        }
        return ends.size === ids.size;
      },
      { timeoutMs: 60_000, intervalMs: 200, message: 'every ask terminal' },
    );
    const queue = new Queue(ASK_QUEUE, { connection: { url: redis.url }, prefix: stack.prefix });
    const jobs = await queue.getJobCounts('completed', 'failed', 'active', 'wait', 'delayed', 'prioritized');
    await queue.close();
    const total = Object.values(jobs).reduce((a, b) => a + b, 0);
    assert.equal(total, keys.length, `one job per Idempotency-Key: ${JSON.stringify(jobs)}`);
  });
});
