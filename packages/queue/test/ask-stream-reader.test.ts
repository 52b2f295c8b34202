import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { deletePrefix, REDIS_URL, uniquePrefix, waitUntil } from '@rag/testing';
import { AskStreamReader, redisKeys } from '../src/index.ts';

const prefix = uniquePrefix('stream-reader');
const keys = redisKeys(prefix);
let control: Redis;
let probe: Redis;
before(() => {
  control = new Redis(REDIS_URL);
  probe = new Redis(REDIS_URL);
});
after(async () => {
  control.disconnect();
  probe.disconnect();
  await deletePrefix(prefix);
});

/** The reader's connection is blocked in XREAD now (CLIENT LIST flags `b`), for at least `idleS` seconds. */
const blocked = async (name: string, idleS = 0) =>
  ((await probe.client('LIST')) as string)
    .split('\n')
    .some(
      (l) =>
        l.includes(`name=${name} `) &&
        l.includes('cmd=xread') &&
        /flags=\w*b/.test(l) &&
        Number(/ idle=(\d+)/.exec(l)?.[1]) >= idleS,
    );

function startReader(name: string, blockMs: number, wakeGapMs?: number) {
  const connection = new Redis(REDIS_URL, { connectionName: name, maxRetriesPerRequest: null });
  return new AskStreamReader({ connection, control, wakeKey: keys.readerWake(name), blockMs, wakeGapMs });
}

test('a stream watched while the read is blocked is read at once, not when the block times out', async (t) => {
  const blockMs = 60_000;
  const reader = startReader('reader-wake', blockMs);
  try {
    reader.watch(keys.events('a'), '0-0', () => {});
    await waitUntil(() => blocked('reader-wake'), { message: 'the reader blocked in XREAD' });
    const got: string[] = [];
    reader.watch(keys.events('b'), '0-0', (entries) => got.push(...entries.map((e) => e.id)));
    const t0 = performance.now();
    const id = await control.xadd(keys.events('b'), '*', 'e', 'status', 'd', '{}', 'a', '0');
    // A third of the block timeout: generous for a loaded machine, far short of what a lost wake-up costs.
    await waitUntil(() => got.includes(id!), { timeoutMs: blockMs / 3, message: 'the new stream was read' });
    t.diagnostic(`read ${Math.round(performance.now() - t0)} ms after it was added`);
    assert.deepEqual(got, [id]);
  } finally {
    await reader.close();
  }
  assert.equal(await control.exists(keys.readerWake('reader-wake')), 0, 'close removes the wake stream');
});

test('an entry that is not an ask event is skipped once, not read again and again', async () => {
  const reader = startReader('reader-foreign', 60_000);
  try {
    const got: string[] = [];
    reader.watch(keys.events('c'), '0-0', (entries) => got.push(...entries.map((e) => e.event)));
    await waitUntil(() => blocked('reader-foreign'), { message: 'the reader blocked in XREAD' });
    await control.xadd(keys.events('c'), '*', 'not', 'an event');
    // Spinning on the foreign entry, the reader would re-read it at once, never staying blocked for a second.
    await waitUntil(() => blocked('reader-foreign', 1), {
      message: 'the reader stayed blocked for a second after the entry',
    });
    await control.xadd(keys.events('c'), '*', 'e', 'token', 'd', '{"text":"x"}', 'a', '1');
    await waitUntil(() => got.length === 1, { message: 'the next event delivered' });
    assert.deepEqual(got, ['token']);
  } finally {
    await reader.close();
  }
});

test('streams added in quick succession share wake-ups (one per wakeGapMs at most), and each is read', async () => {
  const wakeGapMs = 100;
  const reader = startReader('reader-gap', 60_000, wakeGapMs);
  try {
    reader.watch(keys.events('gap-base'), '0-0', () => {});
    await waitUntil(() => blocked('reader-gap'), { message: 'the reader blocked in XREAD' });
    const got = new Set<string>();
    const names = Array.from({ length: 20 }, (_, i) => `gap-${i}`);
    const t0 = performance.now();
    for (const name of names) {
      await control.xadd(keys.events(name), '*', 'e', 'status', 'd', '{}', 'a', '0');
      reader.watch(keys.events(name), '0-0', () => got.add(name));
      await new Promise((r) => setTimeout(r, 10));
    }
    const elapsed = performance.now() - t0;
    await waitUntil(() => got.size === names.length, { timeoutMs: 20_000, message: 'every new stream was read' });
    // Without the gap, about one wake-up per stream. With it, one per 100 ms window, plus the one the last window's
    // timer sends, plus one for a timer that fires a little early (Node times it from the loop's cached clock).
    assert.ok(
      reader.wakes <= Math.ceil(elapsed / wakeGapMs) + 2,
      `${reader.wakes} wake-ups for ${names.length} streams in ${Math.round(elapsed)} ms`,
    );
  } finally {
    await reader.close();
  }
});

test('a second watcher joining from an earlier id while a read is in flight gets every entry after its id', async () => {
  // A long wake gap keeps the read in flight from being re-issued for the new watcher, so the entry added next
  // returns it with only what follows the first watcher's position.
  const reader = startReader('reader-join', 60_000, 5_000);
  try {
    const key = keys.events('join');
    const e1 = (await control.xadd(key, '*', 'e', 'status', 'd', '{}', 'a', '1'))!;
    const first: string[] = [];
    reader.watch(key, '0-0', (entries) => first.push(...entries.map((e) => e.id)));
    await waitUntil(() => first.length === 1, { message: 'the first watcher read e1' });
    // A stream watched while the read is blocked: the one wake-up the gap allows for the next 5 s.
    reader.watch(keys.events('join-other'), '0-0', () => {});
    await waitUntil(() => reader.wakes === 1, { message: 'the reader woke for the other stream' });
    await new Promise((r) => setTimeout(r, 50));
    await waitUntil(() => blocked('reader-join'), { message: 'the reader blocked again' });
    const second: string[] = [];
    reader.watch(key, '0-0', (entries) => second.push(...entries.map((e) => e.id)));
    const e2 = (await control.xadd(key, '*', 'e', 'citations', 'd', '[]', 'a', '1'))!;
    await waitUntil(() => second.length >= 2, { timeoutMs: 4_000, message: 'the second watcher got e1 and e2' });
    assert.deepEqual(second, [e1, e2]);
    assert.deepEqual(first, [e1, e2], 'the first watcher: no duplicate');
  } finally {
    await reader.close();
  }
});
