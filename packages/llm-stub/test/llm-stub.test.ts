import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { ChatOpenAI, OpenAIEmbeddings } from '@langchain/openai';
import type { AIMessageChunk } from '@langchain/core/messages';
import { answerFor, passagesIn, startLlmStub, streamPieces, type LlmStub } from '../src/index.ts';

const MAIN = path.resolve(import.meta.dirname, '../src/main.ts');

/** The RAG prompt's layout: `[n] title` then the passage text, then the question. */
const ragPrompt = (question: string, passages: { title: string; content: string }[]) =>
  `Context passages:\n${passages.map((p, i) => `[${i + 1}] ${p.title}\n${p.content}`).join('\n\n')}\n\nQuestion: ${question}\nAnswer with citations:`;

const messages = [
  { role: 'system', content: 'Answer using only the numbered passages, with citations like [1].' },
  {
    role: 'user',
    content: ragPrompt('bảo đảm dự thầu bao nhiêu?', [
      { title: 'Bảo đảm dự thầu', content: 'Bảo đảm dự thầu từ 1% đến 3% giá gói thầu. Câu thứ hai.' },
      { title: 'Hợp đồng', content: '## Điều 1\nHợp đồng trọn gói có giá cố định. Khác.' },
    ]),
  },
];
const EXPECTED =
  'According to the documents, Bảo đảm dự thầu từ 1% đến 3% giá gói thầu [1]. See also: Hợp đồng trọn gói có giá cố định [2].';

const post = (url: string, body: unknown) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

const json = async <T>(r: Response | Promise<Response>): Promise<T> => (await r).json() as Promise<T>;

/** OpenAI's error body, as the stand-in answers it. */
interface ErrorBody {
  error: { type: string; message: string; code: unknown };
}
interface EmbeddingsBody<E> {
  data: { embedding: E }[];
  usage: { prompt_tokens: number };
}

/** Decodes an OpenAI base64 embedding (float32 little-endian). */
const fromBase64 = (b64: string) => {
  const buf = Buffer.from(b64, 'base64');
  return Array.from({ length: buf.length / 4 }, (_, i) => buf.readFloatLE(i * 4));
};

describe('answers from the prompt', () => {
  test('passages in the RAG layout ([n] title, then text) and on the [n] line itself', () => {
    assert.equal(answerFor(messages[1].content, 512), EXPECTED);
    assert.equal(
      answerFor(
        'Context:\n[1] Paris is the capital of France. It is big.\n[2] Lyon is second.\n\nQuestion: capital?',
        512,
      ),
      'According to the documents, Paris is the capital of France [1]. See also: Lyon is second [2].',
    );
    assert.deepEqual([...passagesIn('[1] Only one line.\n\nQuestion: x').entries()], [[1, 'Only one line.']]);
    assert.equal(answerFor('no passages here', 512), "I don't know based on the provided documents.");
    assert.equal(answerFor(messages[1].content, 6), 'According to the documents, Bảo đảm [1].');
  });

  test('streamed pieces: whole words when there are enough, else characters; always the whole text', () => {
    assert.deepEqual(streamPieces('a bb ccc dddd', 2), ['a bb', ' ccc dddd']);
    assert.deepEqual(streamPieces('a bb ccc dddd', 4), ['a', ' bb', ' ccc', ' dddd']);
    assert.deepEqual(streamPieces('ab', 5), ['a', 'b']);
    for (const n of [1, 3, 7, 40]) assert.equal(streamPieces(EXPECTED, n).join(''), EXPECTED);
    assert.equal(streamPieces(EXPECTED, 40).length, 40);
  });
});

describe('OpenAI-compatible LLM stand-in, driven by the real LangChain clients', () => {
  let stub: LlmStub;
  before(async () => {
    stub = await startLlmStub({ latency: { ttftMs: 5, tokensPerSecond: 2000 } });
  });
  after(() => stub.close());

  const chat = (extra: Partial<ConstructorParameters<typeof ChatOpenAI>[0]> = {}) =>
    new ChatOpenAI({
      model: 'stub-chat',
      apiKey: 'test',
      maxRetries: 0,
      temperature: 0,
      configuration: { baseURL: stub.url },
      ...extra,
    });

  test('non-streaming: quotes passage [1] citing [1] and [2], with usage; counted', async () => {
    stub.resetStats();
    const out = await chat().invoke(messages);
    assert.equal(out.content, EXPECTED);
    assert.ok(
      out.usage_metadata &&
        out.usage_metadata.output_tokens === EXPECTED.split(' ').length &&
        out.usage_metadata.input_tokens > 10,
    );
    assert.equal(out.response_metadata.finish_reason, 'stop');
    const none = await chat().invoke('no passages here');
    assert.equal(none.content, "I don't know based on the provided documents.");
    assert.equal(stub.stats.chatCalls, 2);
    assert.equal(stub.stats.chatStreamed, 0, 'neither asked for a streamed response');
    assert.equal(stub.stats.chatAborted, 0);
    assert.equal(stub.stats.inFlight, 0);
    assert.equal(stub.stats.maxInFlight, 1);
  });

  test('streaming: several chunks adding up to the same answer, usage on the last one (stream_options.include_usage)', async () => {
    stub.resetStats();
    const chunks: AIMessageChunk[] = [];
    for await (const c of await chat().stream(messages)) chunks.push(c);
    assert.ok(chunks.length >= 4, `${chunks.length} chunks`);
    assert.equal(chunks.map((c) => c.content).join(''), EXPECTED);
    const usage = chunks.find((c) => c.usage_metadata)?.usage_metadata;
    assert.equal(usage?.output_tokens, EXPECTED.split(' ').length);
    // Without include_usage, no usage chunk (LangChain asks for it unless streamUsage: false).
    const bare: AIMessageChunk[] = [];
    for await (const c of await chat({ streamUsage: false }).stream(messages)) bare.push(c);
    assert.equal(bare.map((c) => c.content).join(''), EXPECTED);
    assert.ok(!bare.some((c) => c.usage_metadata));
    assert.equal(stub.stats.chatStreamed, 2, 'both asked for a streamed response');
    assert.equal(stub.stats.chatCalls, 2);
  });

  test('max_tokens is respected (roughly: words), finish_reason length', async () => {
    const out = await chat({ maxTokens: 5 }).invoke(messages);
    assert.equal(out.content, 'According to the documents, Bảo [1].');
    assert.equal(out.response_metadata.finish_reason, 'length');
  });

  test('embeddings honour dimensions; deterministic unit vectors; base64 (the SDK default) and float agree', async () => {
    stub.resetStats();
    const emb = new OpenAIEmbeddings({
      model: 'text-embedding-3-small',
      apiKey: 'test',
      dimensions: 64,
      maxRetries: 0,
      configuration: { baseURL: stub.url },
    });
    const [a, b, c] = await emb.embedDocuments(['xin chào', 'xin chào', 'tạm biệt']);
    assert.equal(a.length, 64);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    assert.ok(Math.abs(a.reduce((s, x) => s + x * x, 0) - 1) < 1e-5);
    assert.deepEqual(await emb.embedQuery('xin chào'), a);
    assert.equal(stub.stats.embeddingCalls, 2);
    assert.equal(stub.stats.embeddingInputs, 4);

    const float = await json<EmbeddingsBody<number[]>>(
      post(`${stub.url}/embeddings`, { model: 'm', input: 'xin chào', dimensions: 64 }),
    );
    const b64 = await json<EmbeddingsBody<string>>(
      post(`${stub.url}/embeddings`, { model: 'm', input: ['xin chào'], dimensions: 64, encoding_format: 'base64' }),
    );
    assert.equal(typeof b64.data[0].embedding, 'string');
    assert.deepEqual(fromBase64(b64.data[0].embedding), float.data[0].embedding);
    assert.deepEqual(float.data[0].embedding, a);
    assert.equal(float.usage.prompt_tokens, 2);
    const dflt = await json<EmbeddingsBody<number[]>>(post(`${stub.url}/embeddings`, { input: 'x' }));
    assert.equal(dflt.data[0].embedding.length, 384);
  });

  test('latency: a 300 ms fixed latency takes at least 300 ms; ttft + tokens/s paces a stream', async () => {
    stub.setLatency({ fixedLatencyMs: 300 });
    let t0 = performance.now();
    await chat().invoke(messages);
    assert.ok(performance.now() - t0 >= 299, `${performance.now() - t0} ms`);
    stub.setLatency({ fixedLatencyMs: undefined, ttftMs: 100, tokensPerSecond: 100, completionTokens: 20 });
    t0 = performance.now();
    let first = 0;
    for await (const c of await chat().stream(messages)) if (!first && c.content) first = performance.now() - t0;
    const total = performance.now() - t0;
    assert.ok(first >= 99, `first token after ${first} ms`);
    assert.ok(total >= 299, `whole stream in ${total} ms`);
    stub.setLatency({ ttftMs: 5, tokensPerSecond: 2000, completionTokens: undefined });
  });

  test('streamChunks: one chunk per token, the first at the time to first token, adding up to the answer', async () => {
    stub.setLatency({ ttftMs: 100, tokensPerSecond: 200, completionTokens: 40, streamChunks: 40 });
    const t0 = performance.now();
    const at: number[] = [];
    const texts: string[] = [];
    for await (const c of await chat().stream(messages)) {
      if (typeof c.content === 'string' && c.content) {
        at.push(performance.now() - t0);
        texts.push(c.content);
      }
    }
    assert.equal(texts.join(''), EXPECTED);
    assert.equal(texts.length, 40, 'forty chunks (the answer has fewer words, so they are cut by characters)');
    assert.ok(at[0] >= 99, `first token after ${at[0]} ms`);
    // 40 tokens at 200/s: the last one about 200 ms after the first (generous: timers only wait at least).
    assert.ok(at.at(-1)! - at[0] >= 190, `last token ${at.at(-1)! - at[0]} ms after the first`);
    stub.setLatency({ ttftMs: 5, tokensPerSecond: 2000, completionTokens: undefined, streamChunks: undefined });
  });

  test('capacity: past it, answers slow down in proportion', async () => {
    stub.setLatency({ fixedLatencyMs: 200, capacity: 2 });
    stub.resetStats();
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 6 }, () => chat().invoke('hi')));
    assert.ok(performance.now() - t0 >= 400, 'six at once on capacity two take longer than one answer');
    assert.equal(stub.stats.maxInFlight, 6);
    stub.setLatency({ fixedLatencyMs: undefined, capacity: 0 });
  });

  test('error rate 1 gives HTTP 500 in the OpenAI error shape and the client throws', async () => {
    stub.setLatency({ errorRate: 1 });
    const errors = stub.stats.errors;
    await assert.rejects(chat().invoke(messages), (err: { status?: number }) => err.status === 500);
    await assert.rejects(
      async () => {
        for await (const _ of await chat().stream(messages));
      },
      (err: { status?: number }) => err.status === 500,
    );
    const r = await post(`${stub.url}/chat/completions`, { model: 'm', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(r.status, 500);
    assert.equal((await json<ErrorBody>(r)).error.type, 'server_error');
    assert.equal(stub.stats.errors, errors + 3);
    stub.setLatency({ errorRate: 0 });
  });

  test('a stalled answer (plain or streamed) is cut by the client abort, and the stand-in counts it', async () => {
    stub.setLatency({ stallRate: 1 });
    stub.resetStats();
    const t0 = performance.now();
    await assert.rejects(chat().invoke(messages, { signal: AbortSignal.timeout(300) }));
    assert.ok(performance.now() - t0 < 2000);
    const got: string[] = [];
    await assert.rejects(async () => {
      for await (const c of await chat().stream(messages, { signal: AbortSignal.timeout(300) }))
        got.push(String(c.content));
    });
    assert.equal(got.join(''), '', 'the stream stalled after its first (empty) chunk');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(stub.stats.chatCalls, 2);
    assert.equal(stub.stats.chatAborted, 2);
    assert.equal(stub.stats.inFlight, 0);
    stub.setLatency({ stallRate: 0 });
  });

  test('HTTP surface: models, health, OpenAI-shaped 404 and 400s, auth ignored', async () => {
    const models = await json<{ data: { object: string }[] }>(
      fetch(`${stub.url}/models`, { headers: { authorization: 'Bearer whatever' } }),
    );
    assert.ok(models.data.length >= 2 && models.data.every((m: { object: string }) => m.object === 'model'));
    assert.equal((await fetch(stub.url.replace(/\/v1$/, '/healthz'))).status, 200);
    const r = await fetch(`${stub.url}/nope`);
    assert.equal(r.status, 404);
    const body = await json<ErrorBody>(r);
    assert.equal(body.error.type, 'invalid_request_error');
    assert.equal(typeof body.error.message, 'string');
    assert.ok('code' in body.error);
    for (const bad of [
      '{',
      'null',
      '[]',
      JSON.stringify({ messages: [] }),
      JSON.stringify({ messages: [{ role: 'user', content: 'x' }], max_tokens: -1 }),
    ]) {
      const res = await post(`${stub.url}/chat/completions`, bad);
      assert.equal(res.status, 400, bad);
      assert.equal((await json<ErrorBody>(res)).error.type, 'invalid_request_error');
    }
    assert.equal((await post(`${stub.url}/embeddings`, { input: 'x', dimensions: 0 })).status, 400);
    assert.equal((await post(`${stub.url}/embeddings`, { input: [] })).status, 400);
    assert.equal(stub.stats.inFlight, 0);
  });

  test('control endpoints for a separate process: stats, latency, reset', async () => {
    const base = stub.url.replace(/\/v1$/, '');
    await chat().invoke('hi');
    const stats = await json<{ chatCalls: number }>(fetch(`${base}/_stub/stats`));
    assert.ok(stats.chatCalls >= 1);
    const model = await json<{ errorRate: number }>(
      post(`${base}/_stub/latency`, { errorRate: 1, fixedLatencyMs: 10 }),
    );
    assert.equal(model.errorRate, 1);
    await assert.rejects(chat().invoke('hi'), (err: { status?: number }) => err.status === 500);
    const back = await json<{ errorRate: number }>(
      post(`${base}/_stub/latency`, { errorRate: 0, fixedLatencyMs: null }),
    );
    assert.equal(back.errorRate, 0);
    assert.equal('fixedLatencyMs' in back, false);
    assert.equal((await post(`${base}/_stub/latency`, { errorRate: 2 })).status, 400);
    assert.equal((await post(`${base}/_stub/latency`, { bogus: 1 })).status, 400);
    assert.throws(() => stub.setLatency({ tokensPerSecond: 0 }), /tokensPerSecond/);
    const reset = await json<{ chatCalls: number }>(fetch(`${base}/_stub/reset`, { method: 'POST' }));
    assert.equal(reset.chatCalls, 0);
    assert.equal(stub.stats.chatCalls, 0);
  });

  test('close() is idempotent and ends stalled requests', async () => {
    const s = await startLlmStub({ latency: { stallRate: 1 } });
    const pending = post(`${s.url}/chat/completions`, { messages: [{ role: 'user', content: 'hi' }] });
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(s.stats.inFlight, 1);
    await Promise.all([s.close(), s.close()]);
    await s.close();
    await assert.rejects(pending);
    await assert.rejects(fetch(`${s.url}/models`));
  });
});

/** Runs a child process, returning its exit code and output. */
function run(
  args: string[],
  env: Record<string, string>,
  onStdout?: (text: string, kill: () => void) => void,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.stdout.on('data', (d) => {
      stdout += d;
      onStdout?.(stdout, () => child.kill('SIGTERM'));
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('processes', () => {
  test('a process that uses the stand-in (a stalled request included) and closes it exits by itself', async () => {
    const script = `
      const { startLlmStub } = await import(${JSON.stringify(path.resolve(import.meta.dirname, '../src/index.ts'))});
      const s = await startLlmStub({ latency: { stallRate: 1 } });
      const keepAlive = fetch(s.url + '/chat/completions', { method: 'POST', body: JSON.stringify({ messages: [{ role: 'user', content: 'x' }] }) }).catch(() => {});
      await new Promise((r) => setTimeout(r, 50));
      await s.close();
      console.log('closed');`;
    const r = await run(['--input-type=module', '-e', script], {});
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /closed/);
  });

  test('main.ts: prints its URL, serves, and exits 0 on SIGTERM (plain Node, no loader)', async () => {
    let url = '';
    const r = await run([MAIN], { LLM_STUB_PORT: '0', LLM_STUB_FIXED_LATENCY_MS: '10' }, (out, kill) => {
      const m = /http:\/\/127\.0\.0\.1:\d+\/v1/.exec(out);
      if (m && !url) {
        url = m[0];
        fetch(`${url}/models`)
          .then((res) => assert.equal(res.status, 200))
          .finally(kill);
      }
    });
    assert.ok(url, r.stdout + r.stderr);
    assert.equal(r.code, 0, r.stderr);
  });

  test('main.ts: a bad variable is one clear line naming it, exit 1', async () => {
    for (const [name, value] of [
      ['LLM_STUB_ERROR_RATE', '2'],
      ['LLM_STUB_TPS', 'fast'],
      ['LLM_STUB_PORT', '70000'],
    ]) {
      const r = await run([MAIN], { LLM_STUB_PORT: '0', [name]: value });
      assert.equal(r.code, 1);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, new RegExp(name));
    }
  });
});

describe('declining like a model told to', () => {
  const system = 'If the passages do not contain the answer, reply with exactly NO_ANSWER and nothing else.';
  const prompt = (question: string) =>
    `${system}\nContext passages:\n[1] Bảo đảm dự thầu\nBảo đảm dự thầu được hoàn trả trong 14 ngày.\n\nQuestion: ${question}\nAnswer with citations:`;
  test('replies the marker when the question does not fit the context, only when asked to decline', () => {
    assert.equal(answerFor(prompt('How do I bake sourdough bread?'), 512, true), 'NO_ANSWER');
    assert.equal(answerFor(prompt('Cách nấu phở bò ngon tại nhà?'), 512, true), 'NO_ANSWER');
    assert.match(answerFor(prompt('Bảo đảm dự thầu được hoàn trả khi nào?'), 512, true), /\[1\]/);
    assert.match(answerFor(prompt('How do I bake sourdough bread?'), 512), /\[1\]/);
    // Without the instruction in the prompt there is nothing to reply.
    assert.match(answerFor(prompt('x').replace(system, ''), 512, true), /\[1\]/);
  });
});
