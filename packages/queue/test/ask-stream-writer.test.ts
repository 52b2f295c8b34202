import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { deletePrefix, REDIS_URL, uniquePrefix, waitUntil } from '@rag/testing';
import { AskStreamWriter, FlushClock, readStream, redisKeys, STREAM_START } from '../src/index.ts';
import { commandBatch } from '../src/command-batch.ts';

const prefix = uniquePrefix('stream-writer');
const keys = redisKeys(prefix);
let redis: Redis;
before(() => {
  redis = new Redis(REDIS_URL);
});
after(async () => {
  redis.disconnect();
  await deletePrefix(prefix);
});

const tokensIn = async (key: string) =>
  (await readStream(redis, key, STREAM_START)).filter((e) => e.event === 'token').map((e) => JSON.parse(e.data).text);

test('fast tokens are batched into few entries (the first goes at once); STREAM_FLUSH_MS=0 writes one per token', async () => {
  const words = Array.from({ length: 30 }, (_, i) => `w${i} `);
  const batched = new AskStreamWriter({
    redis,
    key: keys.events('a'),
    askId: 'a',
    attempt: 1,
    ttlMs: 60_000,
    flushMs: 50,
  });
  const each = new AskStreamWriter({ redis, key: keys.events('b'), askId: 'b', attempt: 1, ttlMs: 60_000, flushMs: 0 });
  for (const w of words) {
    batched.token(w);
    each.token(w);
  }
  await Promise.all([batched.flush(), each.flush()]);
  const a = await tokensIn(keys.events('a'));
  const b = await tokensIn(keys.events('b'));
  assert.equal(a.join(''), words.join(''));
  assert.equal(b.join(''), words.join(''));
  assert.deepEqual(a, [words[0], words.slice(1).join('')], 'the first token at once, the rest in one entry');
  assert.equal(b.length, 30);
  assert.ok((await redis.pttl(keys.events('a'))) > 0, 'the stream expires');
});

test('a citations event restarts the answer the writer tracks, and entries carry their attempt', async () => {
  const w = new AskStreamWriter({ redis, key: keys.events('c'), askId: 'c', attempt: 2, ttlMs: 60_000 });
  w.status();
  w.citations([{ index: 1 }]);
  w.token('old');
  w.citations([{ index: 1 }]);
  w.token('new');
  await w.flush();
  assert.equal(w.text, 'new');
  const entries = await readStream(redis, keys.events('c'), STREAM_START);
  assert.deepEqual(
    entries.map((e) => e.event),
    ['status', 'citations', 'token', 'citations', 'token'],
  );
  assert.ok(entries.every((e) => e.attempt === 2));
  assert.deepEqual(JSON.parse(entries[0].data), { id: 'c', status: 'active', attempt: 2 });
});

test('what many writers write in one callback leaves in one pipeline, each stream in its order', async () => {
  const batch = commandBatch(redis);
  const before = { pipelines: batch.pipelines, commands: batch.commands };
  const ids = Array.from({ length: 20 }, (_, i) => `many-${i}`);
  const writers = ids.map(
    (id) => new AskStreamWriter({ redis, key: keys.events(id), askId: id, attempt: 1, ttlMs: 60_000 }),
  );
  for (const [i, w] of writers.entries()) {
    w.status();
    w.citations([{ index: i }]);
    w.token(`answer ${i}`);
  }
  await Promise.all(writers.map((w) => w.flush()));
  assert.equal(batch.pipelines - before.pipelines, 1, 'one pipeline');
  // Per writer: XADD status, PEXPIRE, XADD citations, XADD token.
  assert.equal(batch.commands - before.commands, 20 * 4);
  for (const [i, id] of ids.entries()) {
    const entries = await readStream(redis, keys.events(id), STREAM_START);
    assert.deepEqual(
      entries.map((e) => e.event),
      ['status', 'citations', 'token'],
    );
    assert.equal(JSON.parse(entries[2].data).text, `answer ${i}`);
    assert.ok((await redis.pttl(keys.events(id))) > 0);
  }
});

test('batched tokens of different answers flush at the same tick of a shared clock, in one pipeline', async () => {
  const batch = commandBatch(redis);
  // A long interval, so that everything below happens between two ticks even on a loaded machine.
  const flushMs = 1000;
  const a = new AskStreamWriter({
    redis,
    key: keys.events('tick-a'),
    askId: 'tick-a',
    attempt: 1,
    ttlMs: 60_000,
    flushMs,
  });
  const b = new AskStreamWriter({
    redis,
    key: keys.events('tick-b'),
    askId: 'tick-b',
    attempt: 1,
    ttlMs: 60_000,
    flushMs,
  });
  await waitUntil(() => Date.now() % flushMs < 100, { intervalMs: 1 });
  a.token('a1 ');
  b.token('b1 ');
  await Promise.all([a.flush(), b.flush()]);
  assert.deepEqual(await tokensIn(keys.events('tick-a')), ['a1 '], 'the first token at once');
  const before = batch.pipelines;
  a.token('a2 ');
  await new Promise((r) => setTimeout(r, 20));
  b.token('b2 ');
  await waitUntil(async () => (await tokensIn(keys.events('tick-b'))).length === 2, { timeoutMs: 5000 });
  assert.equal(batch.pipelines - before, 1, 'both late tokens in one pipeline');
  assert.deepEqual(await tokensIn(keys.events('tick-a')), ['a1 ', 'a2 ']);
  assert.deepEqual(await tokensIn(keys.events('tick-b')), ['b1 ', 'b2 ']);
});

test('a closed writer drops its pending tokens and its tick', async () => {
  const w = new AskStreamWriter({
    redis,
    key: keys.events('closed'),
    askId: 'closed',
    attempt: 1,
    ttlMs: 60_000,
    flushMs: 50,
  });
  w.token('first ');
  w.token('dropped');
  w.close();
  await new Promise((r) => setTimeout(r, 120));
  assert.deepEqual(await tokensIn(keys.events('closed')), ['first ']);
});

test('complete(): the final answer replaces a streamed one that differs, and a failed write restarts it whole', async () => {
  const entriesOf = async (id: string) =>
    (await readStream(redis, keys.events(id), STREAM_START)).map((e) => [e.event, JSON.parse(e.data)]);
  const same = new AskStreamWriter({
    redis,
    key: keys.events('done-same'),
    askId: 'done-same',
    attempt: 1,
    ttlMs: 60_000,
  });
  same.citations([{ index: 1 }]);
  same.token('the answer');
  await same.complete([{ index: 1 }], 'the answer');
  assert.deepEqual(await entriesOf('done-same'), [
    ['citations', [{ index: 1 }]],
    ['token', { text: 'the answer' }],
  ]);

  const lossy = new AskStreamWriter({
    redis,
    key: keys.events('done-lost'),
    askId: 'done-lost',
    attempt: 1,
    ttlMs: 60_000,
  });
  lossy.citations([{ index: 1 }]);
  lossy.token('the ');
  await lossy.flush();
  // As when a dropped connection rejected a write whose fate is unknown (a hole may follow).
  lossy.failed = true;
  lossy.token('answer');
  await lossy.complete([{ index: 1 }], 'the answer');
  const entries = await entriesOf('done-lost');
  assert.deepEqual(entries.slice(-2), [
    ['citations', [{ index: 1 }]],
    ['token', { text: 'the answer' }],
  ]);
  assert.equal(lossy.failed, false);
});

test('under load the flush period stretches with the answers streaming at once; first tokens still go at once', async () => {
  // 20 entries/s at 100 ms: up to 2 answers streaming keep 100 ms; 3 take 200 ms; 5 or more take the 300 ms cap.
  const clock = new FlushClock({ periodMs: 100, maxPeriodMs: 300, budgetPerS: 20 });
  const writer = (id: string) =>
    new AskStreamWriter({ redis, key: keys.events(id), askId: id, attempt: 1, ttlMs: 60_000, clock });
  const ws = Array.from({ length: 6 }, (_, i) => writer(`load-${i}`));
  assert.equal(clock.period(), 100);
  ws[0].token('a');
  ws[1].token('a');
  assert.equal(clock.streaming, 2);
  assert.equal(clock.period(), 100);
  ws[2].token('a');
  assert.equal(clock.period(), 200);
  // A late token waits for the next multiple of the stretched period (300 ms), not of the shortest (100 ms): taken
  // early in a 300 ms span, the two differ. Everything from here to the late token runs in one go, so that token
  // comes within one period of the answer's first write; a loaded machine only makes the entry later.
  await waitUntil(() => Date.now() % 300 < 50, { intervalMs: 1 });
  const t = Date.now();
  const due = t - (t % 300) + 300;
  for (const w of ws.slice(3)) {
    w.citations([{ index: 1 }]);
    const before = w.writes;
    w.token('first ');
    assert.equal(w.writes, before + 1, 'the first token after the citations is written at once, whatever the period');
  }
  assert.equal(clock.streaming, 6);
  assert.equal(clock.period(), 300);
  ws[5].token('late');
  await waitUntil(async () => (await tokensIn(keys.events('load-5'))).length === 2, { timeoutMs: 5000 });
  const entries = (await readStream(redis, keys.events('load-5'), STREAM_START)).filter((e) => e.event === 'token');
  assert.deepEqual(
    entries.map((e) => JSON.parse(e.data).text),
    ['first ', 'late'],
  );
  // At the 300 ms tick (due), not the 100 ms one (due - 200); the margin allows for a timer that fires a little early
  // (Node times it from the event loop's cached clock).
  assert.ok(Number(entries[1].id.split('-')[0]) >= due - 100, 'written at the 300 ms tick');

  for (const w of ws) w.close();
  ws[0].close(); // idempotent: counted out once
  assert.equal(clock.streaming, 0);
  assert.equal(clock.period(), 100);
});
