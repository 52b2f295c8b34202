import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { AskView } from '@rag/contract';
import { api, SlowGenerator, waitUntil } from '@rag/testing';
import { startTestStack, type TestStack } from '../support/test-stack.ts';

const SAMPLE = path.resolve(import.meta.dirname, '../../data/sample');

describe('DELETE /v1/ask/:id', () => {
  let stack: TestStack;
  const slow = new SlowGenerator(1500);
  before(async () => {
    stack = await startTestStack({
      workers: 1,
      ingest: [SAMPLE],
      generator: slow,
      env: { WORKER_CONCURRENCY: '1', CACHE_TTL_S: '0' },
    });
  });
  after(() => stack.close());

  const waitForCalls = async (n: number) => {
    await waitUntil(() => slow.calls >= n, { message: 'generation did not start' });
  };

  test('cancels a running ask: the abort reaches the generation call and the slot is freed', async () => {
    const calls = slow.calls;
    const sub = await api<AskView>(stack.url, '/v1/ask', { method: 'POST', json: { question: 'nhà thầu liên danh' } });
    await waitForCalls(calls + 1);
    const completed = slow.completed;
    const aborted = slow.aborted;
    const del = await api<AskView>(stack.url, `/v1/ask/${sub.json.id}`, { method: 'DELETE' });
    assert.equal(del.status, 200, JSON.stringify(del.json));
    assert.equal(del.json.status, 'cancelled');
    // The generation call was interrupted, not waited out: it was aborted and never completed (order, not time).
    await waitUntil(() => slow.aborted > aborted, { message: 'the abort never reached the generation call' });
    assert.equal(slow.completed, completed, 'the cancelled generation did not run to its end');
    const view = await api<AskView>(stack.url, `/v1/ask/${sub.json.id}`);
    assert.equal(view.json.status, 'cancelled');
    assert.equal(view.json.error!.code, 'cancelled');
  });

  test('cancels a queued ask before it starts: it never runs', async () => {
    const calls = slow.calls;
    const blocker = await api<AskView>(stack.url, '/v1/ask', {
      method: 'POST',
      json: { question: 'hợp đồng trọn gói' },
    });
    await waitForCalls(calls + 1);
    const queued = await api<AskView>(stack.url, '/v1/ask', {
      method: 'POST',
      json: { question: 'ưu đãi trong lựa chọn nhà thầu' },
    });
    assert.equal((await api<AskView>(stack.url, `/v1/ask/${queued.json.id}`)).json.status, 'queued');
    const del = await api<AskView>(stack.url, `/v1/ask/${queued.json.id}`, { method: 'DELETE' });
    assert.equal(del.status, 200);
    assert.equal(del.json.status, 'cancelled');
    const done = await api<AskView>(stack.url, `/v1/ask/${blocker.json.id}?wait=10`);
    assert.equal(done.json.status, 'completed');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(slow.calls, calls + 1, 'the cancelled ask made no LLM call');
    const view = await api<AskView>(stack.url, `/v1/ask/${queued.json.id}`);
    assert.equal(view.status, 200);
    assert.equal(view.json.status, 'cancelled');
    // A second DELETE finds it finished.
    assert.equal((await api<AskView>(stack.url, `/v1/ask/${queued.json.id}`, { method: 'DELETE' })).status, 409);
  });

  test('a finished ask gives 409', async () => {
    const sub = await api<AskView>(stack.url, '/v1/ask', {
      method: 'POST',
      headers: { prefer: 'wait=10' },
      json: { question: 'hồ sơ mời thầu' },
    });
    assert.equal(sub.json.status, 'completed');
    const del = await api<AskView>(stack.url, `/v1/ask/${sub.json.id}`, { method: 'DELETE' });
    assert.equal(del.status, 409);
    assert.equal(del.json.error!.code, 'already_finished');
  });

  test('a client that leaves a long-poll frees its waiter at once; the ask runs on and can still be read', async () => {
    const sub = await api<AskView>(stack.url, '/v1/ask', {
      method: 'POST',
      json: { question: 'bảo lãnh tiền tạm ứng' },
    });
    assert.equal(sub.status, 202);
    const leave = new AbortController();
    const poll = fetch(`${stack.url}/v1/ask/${sub.json.id}?wait=10`, { signal: leave.signal }).catch(
      (err: Error) => err,
    );
    await waitUntil(() => stack.gateway.events.waiting > 0, { message: 'the long-poll is not waiting' });
    assert.equal(stack.gateway.events.waiting, 1, 'the long-poll is waiting');
    leave.abort();
    assert.equal(((await poll) as Error).name, 'AbortError');
    await waitUntil(() => stack.gateway.events.waiting === 0, { message: 'the waiter stayed after its client left' });
    const done = await api<AskView>(stack.url, `/v1/ask/${sub.json.id}?wait=10`);
    assert.equal(done.json.status, 'completed');
    // A long-poll answered normally leaves no waiter behind either.
    assert.equal(stack.gateway.events.waiting, 0);
  });
});
