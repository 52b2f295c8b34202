import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startLlmStub, type LlmStub } from '@rag/llm-stub';
import { startGatewayApp, type GatewayApp } from '@rag/gateway';
import { startWorkerApp, type WorkerApp } from '@rag/worker';
import type { AskView } from '@rag/contract';
import { AskStreamWriter, endAskStream, redisKeys } from '@rag/queue';
import { Redis } from 'ioredis';
import { api, deletePrefix, readSse, REDIS_URL, ROOT, testLogger, type SseEvent, waitUntil } from '@rag/testing';
import { startTestStack, type TestStack } from '../support/test-stack.ts';

const CORPUS = path.join(ROOT, 'test/fixtures/procurement');
const TERMINALS = ['completed', 'failed', 'cancelled'];

/** The answer a client assembles: the tokens after the last `citations` (a retry's restart supersedes). */
const answerOf = (events: SseEvent[]) => {
  const last = events.findLastIndex((e) => e.event === 'citations');
  return events
    .slice(last + 1)
    .filter((e) => e.event === 'token')
    .map((e) => e.data.text)
    .join('');
};
const terminalsOf = (events: SseEvent[]) => events.filter((e) => TERMINALS.includes(e.event));
const compare = (a: string, b: string) => {
  const [am, as] = a.split('-').map(BigInt);
  const [bm, bs] = b.split('-').map(BigInt);
  return am === bm ? Number(as - bs) : Number(am - bm);
};

describe('streaming answers (SSE) through the queue, from a streaming LLM', () => {
  let stub: LlmStub;
  let stack: TestStack;
  let second: GatewayApp;
  before(async () => {
    // 20 chunks about 15 ms apart after a 100 ms first token: slow enough to join, resume and cancel mid-answer.
    stub = await startLlmStub({
      latency: { ttftMs: 100, tokensPerSecond: 150, completionTokens: 40, streamChunks: 20 },
    });
    stack = await startTestStack({
      workers: 1,
      ingest: [CORPUS],
      env: {
        LLM_PROVIDER: 'openai',
        OPENAI_BASE_URL: stub.url,
        OPENAI_API_KEY: 'test',
        SSE_KEEPALIVE_MS: '150',
        // Per-token writes here; batching is measured in the benchmark.
        STREAM_FLUSH_MS: '0',
      },
    });
    second = await startGatewayApp(stack.config, { logger: testLogger() });
    await second.events.waitUntilReady();
  });
  after(async () => {
    await second.close();
    await stack.close();
    await stub.close();
  });

  test('POST with Accept: text/event-stream: status with the id, citations, tokens making the answer, one completed', async () => {
    const streamed = stub.stats.chatStreamed;
    const r = await readSse(`${stack.url}/v1/ask`, { method: 'POST', json: { question: 'Bảo đảm dự thầu là gì?' } });
    assert.equal(r.status, 200);
    assert.ok(r.ended, 'the server ended the stream after the terminal event');
    const names = r.events.map((e) => e.event);
    assert.equal(names[0], 'status');
    const id = r.events[0].data.id;
    assert.equal(r.events[0].data.status, 'queued');
    assert.equal(r.headers.get('location'), `/v1/ask/${id}`);
    // status (queued, then active), citations before any token, tokens, exactly one terminal event, last.
    assert.ok(names.indexOf('citations') > names.lastIndexOf('status'), names.join(','));
    assert.ok(names.indexOf('citations') < names.indexOf('token'), names.join(','));
    assert.ok(names.filter((n) => n === 'token').length >= 10, `streamed token by token: ${names.join(',')}`);
    assert.equal(terminalsOf(r.events).length, 1);
    assert.equal(names.at(-1), 'completed');
    // Ids increase; the terminal event is the ask as GET returns it; the tokens are its answer.
    for (let i = 1; i < r.events.length; i++) assert.ok(compare(r.events[i - 1].id, r.events[i].id) < 0);
    const done = r.events.at(-1)!.data;
    assert.deepEqual(done, (await api<AskView>(stack.url, `/v1/ask/${id}`)).json);
    assert.equal(answerOf(r.events), done.result!.answer);
    assert.deepEqual(r.events.find((e) => e.event === 'citations')!.data, done.result!.citations);
    assert.match(done.result!.answer, /\[1\]/);
    assert.equal(stub.stats.chatStreamed, streamed + 1, 'the LLM was asked for a streamed answer');
  });

  test('an ask nobody streams is one non-streaming LLM request; its events replay the whole answer as one token', async () => {
    const calls = stub.stats.chatCalls;
    const streamed = stub.stats.chatStreamed;
    const done = await api<AskView>(stack.url, '/v1/ask', {
      method: 'POST',
      headers: { prefer: 'wait=20' },
      json: { question: 'Hồ sơ mời thầu gồm những gì?' },
    });
    assert.equal(done.json.status, 'completed');
    assert.equal(stub.stats.chatCalls, calls + 1);
    assert.equal(stub.stats.chatStreamed, streamed, 'answered whole: no streamed request');
    const replay = await readSse(`${second.url}/v1/ask/${done.json.id}/events`);
    assert.ok(replay.ended);
    assert.deepEqual(
      replay.events.map((e) => e.event),
      ['status', 'citations', 'token', 'completed'],
    );
    assert.equal(answerOf(replay.events), done.json.result!.answer);
    assert.deepEqual(replay.events.at(-1)!.data, (await api<AskView>(stack.url, `/v1/ask/${done.json.id}`)).json);
  });

  test('a stream opened while the LLM answers an unwatched ask whole still ends with the full answer', async () => {
    stub.setLatency({ ttftMs: 400 });
    try {
      const streamed = stub.stats.chatStreamed;
      const inFlight = stub.stats.inFlight;
      const sub = await api<AskView>(stack.url, '/v1/ask', { method: 'POST', json: { question: 'Gói thầu là gì?' } });
      assert.equal(sub.status, 202);
      // The LLM request is under way (not streamed: no one was watching when it started); now a reader comes.
      await waitUntil(() => stub.stats.inFlight > inFlight, { message: 'timed out waiting for the LLM request' });
      const r = await readSse(`${second.url}/v1/ask/${sub.json.id}/events`);
      assert.ok(r.ended);
      assert.equal(terminalsOf(r.events).length, 1);
      assert.equal(r.events.at(-1)!.event, 'completed');
      assert.equal(r.events.filter((e) => e.event === 'token').length, 1, 'the whole answer, as one token');
      assert.equal(answerOf(r.events), r.events.at(-1)!.data.result.answer);
      assert.equal(stub.stats.chatStreamed, streamed);
    } finally {
      stub.setLatency({ ttftMs: 100 });
    }
  });

  test('a stream opened after the end replays everything and closes, on any gateway; Last-Event-ID resumes with no gap or duplicate', async () => {
    // Submit and read part of the answer from the first gateway, then drop the connection.
    const part = await readSse(
      `${stack.url}/v1/ask`,
      { method: 'POST', json: { question: 'Hợp đồng trọn gói là gì?' } },
      { onEvent: (_e, all) => all.filter((x) => x.event === 'token').length >= 3 },
    );
    assert.equal(part.ended, false);
    const id = part.events[0].data.id;
    const lastId = part.events.at(-1)!.id;
    // Resume on the second gateway.
    const rest = await readSse(`${second.url}/v1/ask/${id}/events`, { headers: { 'last-event-id': lastId } });
    assert.ok(rest.ended);
    assert.equal(rest.events[0].event, 'status', 'a resumed stream also starts with status');
    assert.equal(rest.events[0].id, lastId);
    const resumed = [...part.events, ...rest.events.slice(1)];
    // After the end, from the start, on the second gateway: the same events with the same ids.
    const replay = await readSse(`${second.url}/v1/ask/${id}/events`);
    assert.ok(replay.ended);
    // Status events aside (the submitting stream opened with `queued`, so it also saw the worker's `active`, which
    // a replay opening with `active` leaves out), the same entries.
    const key = (e: SseEvent) => `${e.id} ${e.event} ${JSON.stringify(e.data)}`;
    const body = (es: SseEvent[]) => es.filter((e) => e.event !== 'status').map(key);
    assert.deepEqual(body(resumed), body(replay.events), 'no gap, no duplicate');
    assert.equal(terminalsOf(replay.events).length, 1);
    assert.equal(answerOf(replay.events), replay.events.at(-1)!.data.result.answer);
    assert.equal(replay.events[0].data.status, 'active', 'a finished ask opens with the last state it ran in');
  });

  test('a cached ask streams too: citations, the whole answer, completed (cached: true)', async () => {
    const q = { question: 'Đấu thầu qua mạng là gì?' };
    const first = await api<AskView>(stack.url, '/v1/ask', { method: 'POST', headers: { prefer: 'wait=20' }, json: q });
    assert.equal(first.json.status, 'completed');
    const calls = stub.stats.chatCalls;
    const r = await readSse(`${second.url}/v1/ask`, { method: 'POST', json: q });
    assert.deepEqual(
      r.events.map((e) => e.event),
      ['status', 'citations', 'token', 'completed'],
    );
    const done = r.events.at(-1)!.data;
    assert.equal(done.result.cached, true);
    assert.equal(answerOf(r.events), first.json.result!.answer);
    assert.equal(stub.stats.chatCalls, calls, 'no LLM call');
    // Read again from the other gateway: the same events (written once).
    const again = await readSse(`${stack.url}/v1/ask/${done.id}/events`);
    assert.deepEqual(
      again.events.slice(1).map((e) => e.id),
      r.events.slice(1).map((e) => e.id),
    );
  });

  test('coalesced asks stream the one ask they share', async () => {
    const q = { question: 'Nhà thầu nộp bảo đảm dự thầu khi nào?' };
    const calls = stub.stats.chatCalls;
    const [a, b] = await Promise.all([
      readSse(`${stack.url}/v1/ask`, { method: 'POST', json: q }),
      readSse(`${second.url}/v1/ask`, { method: 'POST', json: q }),
    ]);
    assert.equal(a.events[0].data.id, b.events[0].data.id, 'one ask');
    for (const r of [a, b]) {
      assert.equal(terminalsOf(r.events).length, 1);
      assert.equal(r.events.at(-1)!.event, 'completed');
      assert.equal(answerOf(r.events), r.events.at(-1)!.data.result.answer);
    }
    assert.equal(stub.stats.chatCalls, calls + 1, 'one LLM call');
  });

  test('cancel mid-stream ends the stream with cancelled; keep-alive comments flow while it waits', async () => {
    stub.setLatency({ ttftMs: 400 });
    try {
      let cancelled = false;
      let id = '';
      const r = await readSse(
        `${stack.url}/v1/ask`,
        { method: 'POST', json: { question: 'Hủy câu hỏi này giữa chừng' } },
        {
          onEvent: (e) => {
            id ||= e.data.id;
            if (e.event === 'token' && !cancelled) {
              cancelled = true;
              void api(second.url, `/v1/ask/${id}`, { method: 'DELETE' });
            }
            return false;
          },
        },
      );
      assert.ok(r.ended);
      assert.equal(r.events.at(-1)!.event, 'cancelled');
      assert.equal(r.events.at(-1)!.data.error.code, 'cancelled');
      assert.equal(terminalsOf(r.events).length, 1);
      assert.ok(r.comments >= 1, 'a keep-alive comment before the first token (interval 150 ms, first token 400 ms)');
      const tokens = r.events.filter((e) => e.event === 'token').length;
      assert.ok(tokens >= 1 && tokens < 20, `cancelled mid-answer after ${tokens} tokens`);
    } finally {
      stub.setLatency({ ttftMs: 100 });
    }
  });

  test('a queued ask cancelled before it starts ends with cancelled; expired before start ends with failed', async () => {
    // A deployment of its own with no worker yet, so asks stay queued.
    const config = { ...stack.config, QUEUE_PREFIX: `${stack.prefix}-idle` };
    const gw = await startGatewayApp(config, { logger: testLogger() });
    let worker: WorkerApp | undefined;
    try {
      await gw.events.waitUntilReady();
      const sub = await api<AskView>(gw.url, '/v1/ask', { method: 'POST', json: { question: 'chưa bắt đầu' } });
      const reading = readSse(`${gw.url}/v1/ask/${sub.json.id}/events`);
      await waitUntil(() => gw.streamReader.watcherCount > 0, {
        message: 'timed out waiting for the stream to be followed',
      });
      assert.equal((await api(gw.url, `/v1/ask/${sub.json.id}`, { method: 'DELETE' })).status, 200);
      const r = await reading;
      assert.deepEqual(
        r.events.map((e) => e.event),
        ['status', 'cancelled'],
      );
      assert.equal(r.events[0].data.status, 'queued');
      assert.equal(r.events[0].data.position, 1, 'first in line');
      assert.deepEqual(r.events[1].data, (await api<AskView>(gw.url, `/v1/ask/${sub.json.id}`)).json);

      // A reader that comes while the ask is queued makes its worker stream the LLM's answer.
      const watched = await api<AskView>(gw.url, '/v1/ask', {
        method: 'POST',
        json: { question: 'Hợp đồng theo đơn giá là gì?' },
      });
      const following = readSse(`${gw.url}/v1/ask/${watched.json.id}/events`);
      await waitUntil(() => gw.streamReader.watcherCount > 0, {
        message: 'timed out waiting for the stream to be followed',
      });

      const late = await api<AskView>(gw.url, '/v1/ask', {
        method: 'POST',
        json: { question: 'quá hạn', timeoutMs: 1000 },
      });
      const waiting = readSse(`${gw.url}/v1/ask/${late.json.id}/events`);
      await new Promise((r) => setTimeout(r, 1100));
      const streamed = stub.stats.chatStreamed;
      worker = await startWorkerApp(config, { logger: testLogger() });
      const e = await waiting;
      assert.deepEqual(
        e.events.map((x) => x.event),
        ['status', 'failed'],
      );
      assert.equal(e.events[1].data.error.code, 'expired');
      const f = await following;
      assert.equal(f.events.at(-1)!.event, 'completed');
      assert.ok(f.events.filter((x) => x.event === 'token').length >= 10, 'streamed token by token');
      assert.equal(answerOf(f.events), f.events.at(-1)!.data.result.answer);
      assert.equal(stub.stats.chatStreamed, streamed + 1, 'the LLM was asked for a streamed answer');
    } finally {
      await worker?.close();
      await gw.close();
      await deletePrefix(config.QUEUE_PREFIX);
    }
  });

  test('queue position: a POST that streams gets its place behind the asks queued before it; a later reader of the oldest gets 1', async () => {
    // A deployment of its own with no worker, so asks stay queued.
    const prefix = `${stack.prefix}-positions`;
    const gw = await startGatewayApp({ ...stack.config, QUEUE_PREFIX: prefix }, { logger: testLogger() });
    try {
      await gw.events.waitUntilReady();
      const ids: string[] = [];
      for (const question of ['thứ nhất', 'thứ hai']) {
        ids.push((await api<AskView>(gw.url, '/v1/ask', { method: 'POST', json: { question } })).json.id);
      }
      // Stop at the first event: the `status` that carries the position.
      const first = { onEvent: () => true };
      const streamed = await readSse(`${gw.url}/v1/ask`, { method: 'POST', json: { question: 'thứ ba' } }, first);
      assert.equal(streamed.events[0].data.status, 'queued');
      assert.equal(streamed.events[0].data.position, 3, 'behind the two queued before it');
      const oldest = await readSse(`${gw.url}/v1/ask/${ids[0]}/events`, {}, first);
      assert.equal(oldest.events[0].data.position, 1, 'the oldest is next');
      const middle = await readSse(`${gw.url}/v1/ask/${ids[1]}/events`, {}, first);
      assert.equal(middle.events[0].data.position, 2);
    } finally {
      await gw.close();
      await deletePrefix(prefix);
    }
  });

  test('a failing LLM: the stream ends with failed, after the retries restarted the answer', async () => {
    stub.setLatency({ errorRate: 1 });
    try {
      const r = await readSse(`${stack.url}/v1/ask`, {
        method: 'POST',
        json: { question: 'LLM hỏng', timeoutMs: 20000 },
      });
      assert.ok(r.ended);
      assert.equal(terminalsOf(r.events).length, 1);
      assert.equal(r.events.at(-1)!.event, 'failed');
      assert.equal(r.events.at(-1)!.data.error.code, 'generation_failed');
      const attempts = r.events.filter((e) => e.event === 'status' && e.data.attempt).map((e) => e.data.attempt);
      assert.ok(attempts.length >= 2 && attempts.every((a, i) => i === 0 || a > attempts[i - 1]), `${attempts}`);
    } finally {
      stub.setLatency({ errorRate: 0 });
    }
  });

  test('a client that leaves frees the reader and the completion listener', async () => {
    stub.setLatency({ ttftMs: 600 });
    try {
      // Streams of earlier tests have ended (they end with their asks).
      await waitUntil(() => second.streamReader.watcherCount === 0 && second.streams.open === 0, {
        message: 'timed out waiting for a quiet gateway',
      });
      const base = { watchers: 0, open: 0, waiting: second.events.waiting };
      const subs = await Promise.all(
        [1, 2, 3].map((i) => api<AskView>(stack.url, '/v1/ask', { method: 'POST', json: { question: `rời đi ${i}` } })),
      );
      const ac = new AbortController();
      const reads = subs.map((s) =>
        readSse(`${second.url}/v1/ask/${s.json.id}/events`, { signal: ac.signal }).catch(() => undefined),
      );
      await waitUntil(() => second.streamReader.watcherCount === base.watchers + 3, {
        message: 'timed out waiting for three watchers',
      });
      assert.equal(second.streams.open, base.open + 3);
      assert.equal(second.streamReader.streamCount, 3);
      ac.abort();
      await Promise.all(reads);
      await waitUntil(() => second.streamReader.watcherCount === base.watchers, {
        message: 'timed out waiting for the watchers to be freed',
      });
      assert.equal(second.streams.open, base.open);
      assert.equal(second.streamReader.streamCount, 0);
      assert.equal(second.events.waiting, base.waiting);
    } finally {
      stub.setLatency({ ttftMs: 100 });
    }
  });

  test('unknown ids are 404 in the error shape; a malformed Last-Event-ID is 400', async () => {
    const r = await readSse(`${stack.url}/v1/ask/no-such-ask/events`);
    assert.equal(r.status, 404);
    assert.equal(r.json.error.code, 'not_found');
    const sub = await api<AskView>(stack.url, '/v1/ask', {
      method: 'POST',
      headers: { prefer: 'wait=20' },
      json: { question: 'x y z' },
    });
    const bad = await readSse(`${stack.url}/v1/ask/${sub.json.id}/events`, { headers: { 'last-event-id': 'nope' } });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.code, 'invalid_request');
  });

  test('a finished ask whose worker died before writing the terminal event gets it from the job, once', async () => {
    const sub = await api<AskView>(stack.url, '/v1/ask', {
      method: 'POST',
      headers: { prefer: 'wait=20' },
      json: { question: 'mất sự kiện cuối' },
    });
    assert.equal(sub.json.status, 'completed');
    const keys = redisKeys(stack.prefix);
    const redis = new Redis(REDIS_URL);
    try {
      // As if the worker died between completing the job and appending its terminal event.
      const [[lastId]] = (await redis.xrevrange(keys.events(sub.json.id), '+', '-', 'COUNT', 1)) as [
        string,
        string[],
      ][];
      await redis.xdel(keys.events(sub.json.id), lastId);
      await redis.del(keys.eventsEnd(sub.json.id));
      const [a, b] = await Promise.all([
        readSse(`${stack.url}/v1/ask/${sub.json.id}/events`),
        readSse(`${second.url}/v1/ask/${sub.json.id}/events`),
      ]);
      const view = (await api<AskView>(stack.url, `/v1/ask/${sub.json.id}`)).json;
      for (const r of [a, b]) {
        assert.equal(terminalsOf(r.events).length, 1);
        assert.deepEqual(r.events.at(-1)!.data, view);
      }
      assert.equal(a.events.at(-1)!.id, b.events.at(-1)!.id, 'written once, by whichever gateway came first');
      const all = await redis.xrange(keys.events(sub.json.id), '-', '+');
      assert.equal(all.filter(([, f]) => TERMINALS.includes(f[1])).length, 1);
    } finally {
      redis.disconnect();
    }
  });

  test('retries: a later attempt restarts the answer; a stale attempt is dropped; only the final answer is replayed', async () => {
    // An ask driven by hand (a record the gateway reads, entries written as workers would), so the interleaving
    // of attempts is exact.
    const keys = redisKeys(stack.prefix);
    const redis = new Redis(REDIS_URL);
    const id = `retry-${Date.now()}`;
    const createdAt = new Date().toISOString();
    try {
      await redis.set(keys.ask(id), JSON.stringify({ id, status: 'active', createdAt }), 'EX', 60);
      const writer = (attempt: number) =>
        new AskStreamWriter({ redis, key: keys.events(id), askId: id, attempt, ttlMs: 60_000 });
      const one = writer(1);
      one.status();
      one.citations([{ index: 1 }]);
      one.token('first attempt ');
      await one.flush();
      const live: SseEvent[] = [];
      const reading = readSse(`${stack.url}/v1/ask/${id}/events`, {}, { onEvent: (e) => void live.push(e) });
      await waitUntil(() => live.some((e) => e.event === 'token'), {
        message: 'timed out waiting for the first attempt streaming',
      });
      const two = writer(2);
      two.status();
      two.citations([{ index: 1 }, { index: 2 }]);
      one.token('stale words from a worker that lost its lock');
      two.token('the final ');
      two.token('answer');
      await Promise.all([one.flush(), two.flush()]);
      const view: AskView = {
        id,
        status: 'completed',
        createdAt,
        finishedAt: new Date().toISOString(),
        result: {
          answer: 'the final answer',
          answerable: true,
          citations: [],
          mode: 'fast',
          model: 'm',
          cached: false,
          timings: { queuedMs: 0, retrievalMs: 0, generationMs: 0, totalMs: 0 },
        },
      };
      await redis.set(keys.ask(id), JSON.stringify(view), 'EX', 60);
      await endAskStream(redis, keys, view, 60);
      assert.equal(await endAskStream(redis, keys, view, 60), false, 'a second terminal event is refused');
      const r = await reading;
      assert.ok(!r.events.some((e) => e.event === 'token' && /stale/.test(e.data.text)), 'stale attempt dropped');
      assert.equal(answerOf(r.events), 'the final answer');
      assert.equal(r.events.filter((e) => e.event === 'citations').length, 2, 'the retry restarted the answer');
      const replay = await readSse(`${second.url}/v1/ask/${id}/events`);
      assert.deepEqual(
        replay.events.map((e) => e.event),
        ['status', 'citations', 'token', 'token', 'completed'],
        'replayed: the last attempt only',
      );
      assert.equal(answerOf(replay.events), 'the final answer');
    } finally {
      await redis.del(keys.ask(id), keys.events(id), keys.eventsEnd(id));
      redis.disconnect();
    }
  });
});
