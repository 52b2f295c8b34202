import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type LlmStub, startLlmStub } from '@rag/llm-stub';
import { DECLINE_ANSWERS, OpenAIGenerator, type Passage } from '../src/index.ts';
import { isRetryableHttpError } from '../src/errors.ts';

const passages: Passage[] = [1, 2].map((index) => ({
  index,
  documentId: `d${index}`,
  title: `Thông tư ${index}`,
  chunkId: `c${index}`,
  content: `Bảo đảm dự thầu được nộp trước thời điểm đóng thầu theo điều ${index + 10} của thông tư.`,
  score: 0.9,
}));

/** The generator's streamed path (or whole with `watched: false`) against the loopback stand-in, 40 chunks. */
describe('OpenAIGenerator against the OpenAI-compatible stand-in', () => {
  let stub: LlmStub;
  let gen: OpenAIGenerator;
  before(async () => {
    stub = await startLlmStub({ latency: { ttftMs: 5, tokensPerSecond: 4000, streamChunks: 40 }, declines: true });
    gen = new OpenAIGenerator({ model: 'stub-chat', baseURL: stub.url, maxTokens: 200, temperature: 0, maxRetries: 0 });
  });
  beforeEach(() => {
    stub.setLatency({ ttftMs: 5, tokensPerSecond: 4000, errorRate: 0 });
    stub.resetStats();
  });
  after(() => stub.close());

  test('streamed: the tokens, in order, make the answer; usage figures come with it', async () => {
    const tokens: string[] = [];
    const r = await gen.generate({
      question: 'Bảo đảm dự thầu nộp khi nào?',
      passages,
      mode: 'fast',
      onToken: (t) => tokens.push(t),
    });
    assert.equal(stub.stats.chatStreamed, 1);
    assert.ok(tokens.length >= 10, `tokens: ${tokens.length}`);
    assert.equal(tokens.join(''), r.answer);
    assert.match(r.answer, /^According to the documents, .*\[1\]/);
    assert.notEqual(r.answerable, false);
    assert.ok(
      r.usage && r.usage.promptTokens > 20 && r.usage.completionTokens === r.answer.split(' ').length,
      JSON.stringify(r.usage),
    );
  });

  test('whole when nobody watches: one response, the same answer, usage figures', async () => {
    const tokens: string[] = [];
    const r = await gen.generate({
      question: 'Bảo đảm dự thầu nộp khi nào?',
      passages,
      mode: 'fast',
      onToken: (t) => tokens.push(t),
      watched: async () => false,
    });
    assert.equal(stub.stats.chatCalls, 1);
    assert.equal(stub.stats.chatStreamed, 0);
    assert.deepEqual(tokens, [r.answer]);
    assert.ok(r.usage && r.usage.completionTokens > 5);
  });

  test("the model's decline: answerable false, the decline text streamed, never the marker", async () => {
    const tokens: string[] = [];
    const r = await gen.generate({
      question: 'How do I bake sourdough bread?',
      passages,
      mode: 'fast',
      onToken: (t) => tokens.push(t),
    });
    assert.equal(stub.stats.chatStreamed, 1);
    assert.equal(r.answerable, false);
    assert.equal(r.answer, DECLINE_ANSWERS.en);
    assert.deepEqual(tokens, [DECLINE_ANSWERS.en]);
  });

  test('an abort mid-stream rejects with the reason, emits nothing after it, and cancels the HTTP request', async () => {
    stub.setLatency({ tokensPerSecond: 20 }); // 2 s of chunks: the abort comes long before the end
    const ac = new AbortController();
    const tokens: string[] = [];
    const reason = new Error('deadline');
    const p = gen.generate({
      question: 'Bảo đảm dự thầu nộp khi nào?',
      passages,
      mode: 'fast',
      signal: ac.signal,
      onToken: (t) => {
        tokens.push(t);
        ac.abort(reason);
      },
    });
    await assert.rejects(p, (e) => e === reason || (e as Error).name.includes('Abort'));
    assert.equal(tokens.length, 1);
    while (stub.stats.chatAborted < 1) await new Promise((r) => setTimeout(r, 10));
    assert.equal(stub.stats.chatAborted, 1);
  });

  test('an abort before the first token rejects with the reason at once and cancels the HTTP request', async () => {
    stub.setLatency({ ttftMs: 2000 });
    const reason = new Error('deadline');
    const ac = new AbortController();
    setTimeout(() => ac.abort(reason), 100);
    const t0 = Date.now();
    await assert.rejects(
      gen.generate({
        question: 'Bảo đảm dự thầu nộp khi nào?',
        passages,
        mode: 'fast',
        signal: ac.signal,
        onToken: () => {},
      }),
      (e) => e === reason,
    );
    assert.ok(Date.now() - t0 < 1000, `took ${Date.now() - t0} ms`);
    while (stub.stats.chatAborted < 1 && Date.now() - t0 < 3000) await new Promise((r) => setTimeout(r, 10));
    assert.equal(stub.stats.chatAborted, 1);
  });

  test('a failing onToken rejects with its error and ends the HTTP request (the rest is not read)', async () => {
    stub.setLatency({ tokensPerSecond: 20 }); // 2 s of chunks
    const failure = new Error('the token channel is gone');
    const p = gen.generate({
      question: 'Bảo đảm dự thầu nộp khi nào?',
      passages,
      mode: 'fast',
      onToken: () => {
        throw failure;
      },
    });
    await assert.rejects(p, (e) => e === failure);
    const t0 = Date.now();
    while (stub.stats.chatAborted < 1 && Date.now() - t0 < 1000) await new Promise((r) => setTimeout(r, 10));
    assert.equal(stub.stats.chatAborted, 1, 'the request was read on after the failure');
  });

  test('an HTTP 500 rejects with a retryable error (the queue retries, the circuit counts it)', async () => {
    stub.setLatency({ errorRate: 1 });
    await assert.rejects(
      gen.generate({ question: 'Bảo đảm dự thầu nộp khi nào?', passages, mode: 'fast', onToken: () => {} }),
      (e) => isRetryableHttpError(e) && (e as { status?: number }).status === 500,
    );
  });
});
