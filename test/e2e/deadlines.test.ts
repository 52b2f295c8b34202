import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { AskView } from '@rag/contract';
import { api, SlowGenerator, waitUntil } from '@rag/testing';
import { startTestStack, type TestStack } from '../support/test-stack.ts';

const SAMPLE = path.resolve(import.meta.dirname, '../../data/sample');

describe('deadlines, with one worker slot and a generator slower than the deadline', () => {
  let stack: TestStack;
  const slow = new SlowGenerator(10_000);
  before(async () => {
    stack = await startTestStack({
      workers: 1,
      ingest: [SAMPLE],
      generator: slow,
      env: { WORKER_CONCURRENCY: '1', CACHE_TTL_S: '0' },
    });
  });
  after(() => stack.close());

  test('a running ask is aborted at its deadline, fails "timeout", and frees its slot at once', async () => {
    const t0 = Date.now();
    const sub = await api<AskView>(stack.url, '/v1/ask', {
      method: 'POST',
      json: { question: 'bảo đảm dự thầu', timeoutMs: 1000 },
    });
    assert.equal(sub.status, 202);
    const res = await api<AskView>(stack.url, `/v1/ask/${sub.json.id}?wait=10`);
    const elapsed = Date.now() - t0;
    assert.equal(res.json.status, 'failed');
    assert.equal(res.json.error!.code, 'timeout');
    // At the deadline, not when the 10 s generation would have ended (generous upper bound for a loaded machine).
    assert.ok(elapsed >= 950 && elapsed < 8000, `failed after ${elapsed} ms`);
    assert.equal(slow.aborted, 1, 'the generation call was aborted, not left running');
    // The single slot is free: the next ask starts right away (it times out too, but it *starts*: active quickly).
    const callsBefore = slow.calls;
    const next = await api<AskView>(stack.url, '/v1/ask', {
      method: 'POST',
      json: { question: 'nhà thầu', timeoutMs: 1000 },
    });
    // Had the aborted generation kept the slot, the next ask would start only when its 10 s were up.
    await waitUntil(() => slow.calls > callsBefore, {
      timeoutMs: 5000,
      message: 'the freed slot did not take the next ask',
    });
    const done = await api<AskView>(stack.url, `/v1/ask/${next.json.id}?wait=10`);
    assert.equal(done.json.error!.code, 'timeout');
  });

  test('an ask whose deadline passes while queued fails "expired" without any LLM call', async () => {
    // Occupy the only slot for ~2 s (until its generation call has started), then queue a 1 s ask behind it.
    const callsBefore = slow.calls;
    const blocker = await api<AskView>(stack.url, '/v1/ask', {
      method: 'POST',
      json: { question: 'chỉ định thầu', timeoutMs: 2000 },
    });
    await waitUntil(() => slow.calls > callsBefore, { message: "the blocker's generation did not start" });
    assert.equal(slow.calls, callsBefore + 1);
    const victim = await api<AskView>(stack.url, '/v1/ask', {
      method: 'POST',
      json: { question: 'kiến nghị', timeoutMs: 1000 },
    });
    const res = await api<AskView>(stack.url, `/v1/ask/${victim.json.id}?wait=10`);
    assert.equal(res.json.status, 'failed');
    assert.equal(res.json.error!.code, 'expired');
    const b = await api<AskView>(stack.url, `/v1/ask/${blocker.json.id}?wait=10`);
    assert.equal(b.json.error!.code, 'timeout');
    assert.equal(slow.calls, callsBefore + 1, 'only the blocker called the LLM; the expired ask made no call');
  });
});
