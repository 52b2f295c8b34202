import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { AskView } from '@rag/contract';
import { startLlmStub, type LlmStub } from '@rag/llm-stub';
import { DECLINE_ANSWERS } from '@rag/rag';
import { api, readSse, type SseEvent } from '@rag/testing';
import { startTestStack, type TestStack } from '../support/test-stack.ts';

const SAMPLE = path.resolve(import.meta.dirname, '../../data/sample');

const ask = (stack: TestStack, question: string, extra: object = {}) =>
  api<AskView>(stack.url, '/v1/ask', { method: 'POST', headers: { prefer: 'wait=20' }, json: { question, ...extra } });

/** The token texts of a stream after its last `citations` event (CONTRACT: a later citations restarts the answer). */
function streamedAnswer(events: Pick<SseEvent, 'event' | 'data'>[]): { text: string; citations: unknown } {
  const last = events.findLastIndex((e) => e.event === 'citations');
  return {
    text: events
      .slice(last + 1)
      .filter((e) => e.event === 'token')
      .map((e) => e.data.text)
      .join(''),
    citations: events[last]?.data,
  };
}

describe('declining what the documents do not answer (extractive generator)', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startTestStack({ workers: 1, ingest: [SAMPLE] });
  });
  after(() => stack.close());

  test('a Vietnamese question the corpus does not answer: answerable false, no citations, Vietnamese text', async () => {
    for (const mode of ['fast', 'quality']) {
      const res = await ask(stack, 'Thủ đô của nước Pháp là gì?', { mode });
      assert.equal(res.status, 200, JSON.stringify(res.json));
      const r = res.json.result!;
      assert.equal(r.answerable, false, JSON.stringify(r));
      assert.deepEqual(r.citations, []);
      assert.equal(r.answer, DECLINE_ANSWERS.vi);
    }
  });

  test('typed without diacritics, still declined in Vietnamese; an English one in English', async () => {
    const plain = (await ask(stack, 'Thu do cua nuoc Phap la gi?')).json.result!;
    assert.equal(plain.answerable, false);
    assert.equal(plain.answer, DECLINE_ANSWERS.vi);
    const en = (await ask(stack, 'How do I bake sourdough bread at home?')).json.result!;
    assert.equal(en.answerable, false);
    assert.deepEqual(en.citations, []);
    assert.equal(en.answer, DECLINE_ANSWERS.en);
  });

  test('a question the corpus answers: answerable true, cited', async () => {
    const r = (await ask(stack, 'Bảo đảm dự thầu là gì?')).json.result!;
    assert.equal(r.answerable, true);
    assert.ok(r.citations.length > 0);
    assert.match(r.answer, /\[1\]/);
  });

  test('declines are cached like answers', async () => {
    const q = 'Ai là người phát minh ra bóng đèn điện?';
    const first = (await ask(stack, q)).json.result!;
    assert.equal(first.answerable, false);
    assert.equal(first.cached, false);
    const second = (await ask(stack, q)).json.result!;
    assert.equal(second.cached, true);
    assert.equal(second.answerable, false);
    assert.equal(second.answer, first.answer);
    assert.deepEqual(second.citations, []);
  });

  test('a decline streams as tokens too, with no citations', async () => {
    const r = await readSse(`${stack.url}/v1/ask`, {
      method: 'POST',
      json: { question: 'What is the weather forecast for Hanoi tomorrow?' },
    });
    const done = r.events.find((e) => e.event === 'completed');
    assert.equal(done?.data.result.answerable, false);
    const streamed = streamedAnswer(r.events);
    assert.equal(streamed.text, DECLINE_ANSWERS.en);
    assert.deepEqual(streamed.citations, []);
  });
});

describe('declining with an OpenAI-compatible model (the stand-in follows the decline instruction)', () => {
  let stub: LlmStub;
  let stack: TestStack;
  before(async () => {
    stub = await startLlmStub({ latency: { ttftMs: 5, tokensPerSecond: 5000 }, declines: true });
    stack = await startTestStack({
      workers: 1,
      ingest: [SAMPLE],
      env: { LLM_PROVIDER: 'openai', OPENAI_BASE_URL: stub.url, OPENAI_API_KEY: 'test', DECLINE_THRESHOLD: '0' },
    });
  });
  after(async () => {
    await stack.close();
    await stub.close();
  });

  for (const streaming of ['true', 'false']) {
    test(`the model's decline is recognised (LLM_STREAMING=${streaming})`, async () => {
      const w = await stack.addWorker({ LLM_STREAMING: streaming });
      try {
        // Its marker never reaches the client: the answer is the contract's decline, in the question's language.
        const vi = (await ask(stack, `Cách nấu phở bò ngon tại nhà? (${streaming})`)).json.result!;
        assert.equal(vi.answerable, false, JSON.stringify(vi));
        assert.deepEqual(vi.citations, []);
        assert.equal(vi.answer, DECLINE_ANSWERS.vi);
        const en = (await ask(stack, `How do I bake sourdough bread? (${streaming})`)).json.result!;
        assert.equal(en.answerable, false);
        assert.equal(en.answer, DECLINE_ANSWERS.en);
        const yes = (await ask(stack, `Bảo đảm dự thầu là gì? (${streaming})`)).json.result!;
        assert.equal(yes.answerable, true);
        assert.match(yes.answer, /\[1\]/);
      } finally {
        await w.close();
      }
    });
  }

  test('a streamed decline carries the decline text, never the marker', async () => {
    const r = await readSse(`${stack.url}/v1/ask`, { method: 'POST', json: { question: 'How do I reset my phone?' } });
    const tokens = r.events.filter((e) => e.event === 'token').map((e) => e.data.text);
    assert.ok(!tokens.join('').includes('NO_ANSWER'), tokens.join('|'));
    assert.equal(streamedAnswer(r.events).text, DECLINE_ANSWERS.en);
    assert.equal(r.events.find((e) => e.event === 'completed')?.data.result.answerable, false);
  });
});
