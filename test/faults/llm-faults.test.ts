import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { AskView } from '@rag/contract';
import { startLlmStub, type LlmStub } from '@rag/llm-stub';
import { api } from '@rag/testing';
import { startTestStack, type TestStack } from '../support/test-stack.ts';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/procurement');

const outcome = async (stack: TestStack, question: string, extra: object = {}) => {
  const sub = await api<AskView>(stack.url, '/v1/ask', { method: 'POST', json: { question, ...extra } });
  assert.equal(sub.status, 202);
  const t0 = Date.now();
  const r = await api<AskView>(stack.url, `/v1/ask/${sub.json.id}?wait=30`);
  return { ...r.json, waitedMs: Date.now() - t0 };
};

describe('fault: the LLM endpoint fails, times out or stalls', () => {
  let stub: LlmStub;
  let stack: TestStack;
  before(async () => {
    stub = await startLlmStub({ latency: { ttftMs: 5, tokensPerSecond: 5000 } });
    stack = await startTestStack({
      workers: 1,
      ingest: [FIXTURES],
      env: {
        LLM_PROVIDER: 'openai',
        OPENAI_BASE_URL: stub.url,
        OPENAI_API_KEY: 'test',
        CACHE_TTL_S: '0',
        CIRCUIT_THRESHOLD: '4',
        CIRCUIT_HALF_OPEN_MS: '1500',
      },
    });
  });
  after(async () => {
    await stack.close();
    await stub.close();
  });

  test('a healthy stand-in answers with citations through the OpenAI provider', async () => {
    const r = await outcome(stack, 'bảo đảm dự thầu bao nhiêu');
    assert.equal(r.status, 'completed');
    assert.match(r.result!.answer, /\[1\]/);
    assert.equal(r.result!.model, 'gpt-4o-mini');
  });

  test('500s: retried with backoff within the deadline, then generation_failed; the circuit then opens and fails fast', async () => {
    stub.setLatency({ errorRate: 1 });
    stub.resetStats();
    const first = await outcome(stack, 'hợp đồng 1');
    assert.equal(first.status, 'failed');
    assert.equal(first.error!.code, 'generation_failed');
    // 3 job attempts (the queue owns retries), each with at most one client retry.
    assert.ok(stub.stats.chatCalls >= 3 && stub.stats.chatCalls <= 6, `calls ${stub.stats.chatCalls}`);
    const second = await outcome(stack, 'hợp đồng 2');
    assert.equal(second.error!.code, 'generation_failed');
    const calls = stub.stats.chatCalls;
    const fast = await outcome(stack, 'hợp đồng 3');
    assert.equal(fast.error!.code, 'generation_failed');
    assert.match(fast.error!.message, /circuit open/);
    assert.equal(stub.stats.chatCalls, calls, 'no call reached the endpoint while the circuit was open');
    // Recovery: after the half-open delay a trial call goes through and closes the circuit.
    stub.setLatency({ errorRate: 0 });
    await new Promise((r) => setTimeout(r, 1600));
    const back = await outcome(stack, 'hợp đồng 4');
    assert.equal(back.status, 'completed');
  });

  test('an answer slower than the deadline: aborted at the deadline (the HTTP request too), timeout', async () => {
    stub.setLatency({ fixedLatencyMs: 5000 });
    stub.resetStats();
    const r = await outcome(stack, 'e-bidding', { timeoutMs: 1500 });
    assert.equal(r.status, 'failed');
    assert.equal(r.error!.code, 'timeout');
    // At the 1.5 s deadline, not when the 5 s answer would have come (generous bound for a loaded machine).
    assert.ok(r.waitedMs < 4500, `waited ${r.waitedMs} ms`);
    await new Promise((res) => setTimeout(res, 100));
    assert.equal(stub.stats.chatAborted, 1, 'the LLM request was aborted, not left running');
    stub.setLatency({ fixedLatencyMs: undefined });
  });

  test('a stream that stalls mid-answer: cut at the deadline, timeout', async () => {
    stub.setLatency({ stallRate: 1 });
    stub.resetStats();
    const r = await outcome(stack, 'bid opening', { timeoutMs: 1200 });
    assert.equal(r.error!.code, 'timeout');
    assert.ok(r.waitedMs < 4500, `waited ${r.waitedMs} ms`);
    stub.setLatency({ stallRate: 0 });
  });
});

describe('fault: LLM down with the extractive fallback configured', () => {
  let stub: LlmStub;
  let stack: TestStack;
  before(async () => {
    stub = await startLlmStub({ latency: { errorRate: 1 } });
    stack = await startTestStack({
      workers: 1,
      ingest: [FIXTURES],
      env: {
        LLM_PROVIDER: 'openai',
        OPENAI_BASE_URL: stub.url,
        OPENAI_API_KEY: 'test',
        LLM_FALLBACK: 'extractive',
        CACHE_TTL_S: '3600',
      },
    });
  });
  after(async () => {
    await stack.close();
    await stub.close();
  });

  test('asks complete with an extractive answer marked degraded, which is not cached', async () => {
    const r = await outcome(stack, 'bảo đảm thực hiện hợp đồng');
    assert.equal(r.status, 'completed');
    assert.equal(r.result!.degraded, true);
    assert.equal(r.result!.model, 'extractive-v1');
    assert.match(r.result!.answer, /\[1\]/);
    const again = await api<AskView>(stack.url, '/v1/ask', {
      method: 'POST',
      json: { question: 'bảo đảm thực hiện hợp đồng' },
    });
    assert.equal(again.status, 202, 'a degraded answer is not served from the cache');
  });
});
