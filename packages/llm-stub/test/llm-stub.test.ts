import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatOpenAI, OpenAIEmbeddings } from '@langchain/openai';
import { OpenAIGenerator } from '@rag/rag';
import { startLlmStub, type LlmStub } from '../src/index.ts';

const passages = [
  { index: 1, documentId: 'a.md', title: 'Bảo đảm dự thầu', chunkId: '1', score: 0.9, content: 'Bảo đảm dự thầu từ 1% đến 3% giá gói thầu. Câu thứ hai.' },
  { index: 2, documentId: 'b.md', title: 'Hợp đồng', chunkId: '2', score: 0.8, content: 'Hợp đồng trọn gói có giá cố định.' },
];

describe('OpenAI-compatible LLM stand-in, driven by the real LangChain clients', () => {
  let stub: LlmStub;
  before(async () => {
    stub = await startLlmStub({ latency: { ttftMs: 5, tokensPerSecond: 2000 } });
  });
  after(() => stub.close());

  const chat = () => new ChatOpenAI({ model: 'stub', apiKey: 'test', maxRetries: 0, configuration: { baseURL: stub.url } });

  test('answers non-streaming and streaming, quoting passage [1] with its citation', async () => {
    const gen = new OpenAIGenerator({ model: 'stub', apiKey: 'test', baseURL: stub.url, maxTokens: 200, temperature: 0, maxRetries: 0 });
    const out = await gen.generate({ question: 'bảo đảm dự thầu bao nhiêu?', passages, mode: 'fast' });
    assert.match(out.answer, /Bảo đảm dự thầu từ 1% đến 3% giá gói thầu \[1\]/);
    assert.match(out.answer, /\[2\]/);
    assert.ok(out.usage && out.usage.completionTokens > 0, 'usage reported on the stream');
    const plain = await chat().invoke([{ role: 'user', content: '[1] T\nHello world. More.\n\nQuestion: hi' }]);
    assert.match(String(plain.content), /Hello world \[1\]/);
    const none = await chat().invoke('no passages here');
    assert.match(String(none.content), /don't know/);
  });

  test('embeddings honour dimensions and are deterministic unit vectors (base64 transport included)', async () => {
    const emb = new OpenAIEmbeddings({ model: 'stub-embedding', apiKey: 'test', dimensions: 64, maxRetries: 0, configuration: { baseURL: stub.url } });
    const [a, b] = await emb.embedDocuments(['xin chào', 'xin chào']);
    assert.equal(a.length, 64);
    assert.deepEqual(a.map((x) => x.toFixed(5)), b.map((x) => x.toFixed(5)));
    assert.ok(Math.abs(a.reduce((s, x) => s + x * x, 0) - 1) < 1e-3);
    assert.ok(stub.stats.embeddingInputs >= 2);
  });

  test('a fixed latency is honoured', async () => {
    stub.setLatency({ fixedLatencyMs: 300 });
    const t0 = performance.now();
    await chat().invoke('hi');
    assert.ok(performance.now() - t0 >= 290);
    stub.setLatency({ fixedLatencyMs: undefined });
  });

  test('capacity: past it, answers slow down in proportion', async () => {
    stub.setLatency({ fixedLatencyMs: 200, capacity: 2 });
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 6 }, () => chat().invoke('hi')));
    assert.ok(performance.now() - t0 >= 400, 'six at once on capacity two take longer than one answer');
    stub.setLatency({ fixedLatencyMs: undefined, capacity: 0 });
  });

  test('error rate 1 gives HTTP 500 and the client throws', async () => {
    stub.setLatency({ errorRate: 1 });
    const errors = stub.stats.errors;
    await assert.rejects(chat().invoke('hi'), (err: { status?: number }) => err.status === 500);
    assert.equal(stub.stats.errors, errors + 1);
    stub.setLatency({ errorRate: 0 });
  });

  test('a stalled stream is cut by the client abort, and the stand-in counts it', async () => {
    stub.setLatency({ stallRate: 1 });
    const aborted = stub.stats.chatAborted;
    const gen = new OpenAIGenerator({ model: 'stub', apiKey: 'test', baseURL: stub.url, maxTokens: 50, temperature: 0, maxRetries: 0 });
    const t0 = performance.now();
    await assert.rejects(gen.generate({ question: 'q', passages, mode: 'fast', signal: AbortSignal.timeout(300) }));
    assert.ok(performance.now() - t0 < 2000);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(stub.stats.chatAborted, aborted + 1);
    stub.setLatency({ stallRate: 0 });
  });

  test('unknown routes and bad JSON answer in the OpenAI error shape', async () => {
    const r = await fetch(`${stub.url}/nope`);
    assert.equal(r.status, 404);
    assert.equal(((await r.json()) as { error: { type: string } }).error.type, 'invalid_request_error');
    const bad = await fetch(`${stub.url}/chat/completions`, { method: 'POST', body: '{' });
    assert.equal(bad.status, 400);
  });

  test('close() is idempotent', async () => {
    const s = await startLlmStub();
    await Promise.all([s.close(), s.close()]);
    await s.close();
  });
});
