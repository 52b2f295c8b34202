import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { deletePrefix, REDIS_URL, uniquePrefix } from '@rag/testing';
import { AskStreamWriter, readStream, redisKeys, STREAM_START } from '../src/index.ts';

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
