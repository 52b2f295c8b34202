import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import type { z } from 'zod';
import type { AskView } from '@rag/contract';
import {
  activeResources,
  api,
  assertNoLeakedHandles,
  ROOT,
  SlowGenerator,
  startOwnCluster,
  startProcess,
  startWebhookReceiver,
  waitUntil,
  readSse,
  uploadDocument,
  waitForDocument,
  type OwnCluster,
  type SseEvent,
  type WebhookReceiver,
} from '@rag/testing';
import { AskStreamReader, closeRedis, createRedis, redisKeys } from '@rag/queue';
import { startTestStack, type TestStack } from '../support/test-stack.ts';
import type { errorSchema } from '../../apps/gateway/src/openapi/schemas.ts';

type ErrorBody = z.infer<typeof errorSchema>;

const SAMPLE = path.join(ROOT, 'data/sample');
const TERMINALS = ['completed', 'failed', 'cancelled'];
/** The answer a client assembles from an event stream: the tokens after the last `citations`. */
const answerOf = (events: SseEvent[]) =>
  events
    .slice(events.findLastIndex((e) => e.event === 'citations') + 1)
    .filter((e) => e.event === 'token')
    .map((e) => e.data.text)
    .join('');
const streamIdOrder = (a: string, b: string) => {
  const [am, as] = a.split('-').map(BigInt);
  const [bm, bs] = b.split('-').map(BigInt);
  return am === bm ? Number(as - bs) : Number(am - bm);
};

/**
 * The whole ask flow on a Redis Cluster of three primaries with a replica each (REDIS_CLUSTER_NODES, a hash-tagged
 * QUEUE_PREFIX), and every key the project wrote checked on every primary: all carry the tag, so all share a slot.
 */
describe('Redis Cluster: gateway and workers on a 3-primary cluster', () => {
  let cluster: OwnCluster;
  let stack: TestStack;
  let receiver: WebhookReceiver;
  const tag = `ragtest-${randomBytes(4).toString('hex')}`;
  const prefix = `{${tag}}`;
  const slow = new SlowGenerator(400, { stream: true });
  let baseline: Record<string, number>;
  before(async () => {
    baseline = activeResources();
    cluster = await startOwnCluster();
    receiver = await startWebhookReceiver();
    stack = await startTestStack({
      workers: 2,
      ingest: [SAMPLE],
      generator: slow,
      prefix,
      env: {
        REDIS_CLUSTER_NODES: cluster.seeds,
        WORKER_CONCURRENCY: '4',
        WEBHOOK_SECRET: `whsec_${randomBytes(32).toString('base64')}`,
        WEBHOOK_ALLOW_PRIVATE: 'true',
      },
    });
  });
  after(async () => {
    await stack?.close();
    await receiver?.close();
    await cluster?.close();
    // A client whose close leaves a socket or a reconnect timer behind would keep this file alive after its tests.
    await assertNoLeakedHandles(baseline);
  });

  const ask = <T = AskView>(question: string, headers: Record<string, string> = {}, extra: object = {}) =>
    api<T>(stack.url, '/v1/ask', { method: 'POST', headers, json: { question, ...extra } });

  test('ask with Prefer: wait completes; the same question again is served from the answer cache', async () => {
    const first = await ask('Bảo đảm dự thầu là gì?', { Prefer: 'wait=20' });
    assert.equal(first.status, 200, JSON.stringify(first.json));
    assert.equal(first.json.status, 'completed');
    assert.ok(first.json.result!.citations.length > 0);
    const again = await ask('  bảo đảm dự thầu là gì? ', { Prefer: 'wait=20' });
    assert.equal(again.json.status, 'completed');
    assert.equal(again.json.result!.cached, true);
  });

  test('submit, then long-poll until completed', async () => {
    const sub = await ask('Chỉ định thầu được áp dụng khi nào?');
    assert.equal(sub.status, 202);
    const view = await waitUntil(
      async () => {
        const r = await api<AskView>(stack.url, `/v1/ask/${sub.json.id}?wait=10`);
        return r.json.status === 'completed' ? r.json : undefined;
      },
      { timeoutMs: 20_000, message: 'long-poll to completed' },
    );
    assert.ok(view.result!.answer.length > 0);
  });

  test('identical asks in flight share one job (single-flight)', async () => {
    const q = 'Hợp đồng trọn gói là gì?';
    const calls = slow.calls;
    const [a, b] = await Promise.all([ask(q), ask(q)]);
    assert.equal(a.json.id, b.json.id, 'one ask id for both');
    const done = await api<AskView>(stack.url, `/v1/ask/${a.json.id}?wait=15`);
    assert.equal(done.json.status, 'completed');
    assert.equal(slow.calls, calls + 1, 'one generation');
  });

  test('Idempotency-Key: a replay gets the same ask, another body 409', async () => {
    const key = { 'Idempotency-Key': `k-${randomBytes(4).toString('hex')}` };
    const a = await ask('Đấu thầu qua mạng', key);
    const b = await ask('Đấu thầu qua mạng', key);
    assert.equal(a.status, 202);
    assert.equal(b.json.id, a.json.id);
    const c = await ask<ErrorBody>('something else', key);
    assert.equal(c.status, 409);
    assert.equal(c.json.error.code, 'idempotency_conflict');
  });

  test('cancel a running ask: the abort reaches the worker through pub/sub on the cluster', async () => {
    const calls = slow.calls;
    slow.delayMs = 5000;
    try {
      const sub = await ask('Nhà thầu liên danh cần điều kiện gì?');
      await waitUntil(() => slow.calls > calls, { timeoutMs: 10_000, message: 'generation started' });
      const aborted = slow.aborted;
      const del = await api<AskView>(stack.url, `/v1/ask/${sub.json.id}`, { method: 'DELETE' });
      assert.equal(del.json.status, 'cancelled');
      await waitUntil(() => slow.aborted > aborted, { timeoutMs: 5000, message: 'the worker aborted generation' });
      const view = await api<AskView>(stack.url, `/v1/ask/${sub.json.id}`);
      assert.equal(view.json.error!.code, 'cancelled');
    } finally {
      slow.delayMs = 400;
    }
  });

  test('a callbackUrl gets its signed webhook through the webhooks queue on the cluster', async () => {
    const sub = await ask('Thời gian có hiệu lực của hồ sơ dự thầu', {}, { callbackUrl: receiver.url });
    assert.equal(sub.status, 202, JSON.stringify(sub.json));
    const hook = await waitUntil(
      () => receiver.received.find((r) => JSON.parse(r.body).data?.id === sub.json.id || r.body.includes(sub.json.id)),
      {
        timeoutMs: 20_000,
        message: 'webhook delivered',
      },
    );
    assert.match(hook.body, /completed/);
  });

  test('POST with Accept: text/event-stream on the cluster: status, citations, tokens, exactly one completed, last', async (t) => {
    const t0 = performance.now();
    const r = await readSse(`${stack.url}/v1/ask`, { method: 'POST', json: { question: 'Tổ chuyên gia đấu thầu' } });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.ok(r.ended, 'the server ended the stream after the terminal event');
    const names = r.events.map((e) => e.event);
    assert.equal(names[0], 'status');
    const id = r.events[0].data.id;
    assert.ok(names.indexOf('citations') > 0, names.join(','));
    assert.ok(names.indexOf('citations') < names.indexOf('token'), names.join(','));
    assert.equal(names.filter((n) => TERMINALS.includes(n)).length, 1, names.join(','));
    assert.equal(names.at(-1), 'completed');
    for (let i = 1; i < r.events.length; i++) assert.ok(streamIdOrder(r.events[i - 1].id, r.events[i].id) < 0);
    const done = r.events.at(-1)!.data;
    assert.deepEqual(done, (await api<AskView>(stack.url, `/v1/ask/${id}`)).json);
    assert.equal(answerOf(r.events), done.result!.answer);
    assert.match(done.result!.answer, /^Slow answer from .* \[1\]\.$/);
    const at = (name: string) => Math.round(r.events.find((e) => e.event === name)!.at - t0);
    t.diagnostic(
      `first status ${at('status')} ms, citations ${at('citations')} ms, first token ${at('token')} ms, end ${at('completed')} ms`,
    );
  });

  test('SSE on the cluster: a stream dropped mid-answer resumes with Last-Event-ID, no gap, no duplicate', async () => {
    // Another stream open meanwhile, so the reader is blocked in XREAD when the second one is added (the case a
    // misrouted wake-up left waiting for the block timeout).
    const other = await ask('Hồ sơ mời thầu gồm những gì?');
    const background = readSse(`${stack.url}/v1/ask/${other.json.id}/events`);
    const sub = await ask('Hợp đồng theo đơn giá cố định là gì?');
    assert.equal(sub.status, 202);
    const id = sub.json.id;
    const part = await readSse(`${stack.url}/v1/ask/${id}/events`, {}, { onEvent: (e) => e.event === 'token' });
    assert.equal(part.ended, false);
    const lastId = part.events.at(-1)!.id;
    const rest = await readSse(`${stack.url}/v1/ask/${id}/events`, { headers: { 'last-event-id': lastId } });
    assert.ok(rest.ended);
    assert.equal(rest.events[0].event, 'status', 'a resumed stream also starts with status');
    assert.equal(rest.events[0].id, lastId);
    const resumed = [...part.events, ...rest.events.slice(1)];
    const replay = await readSse(`${stack.url}/v1/ask/${id}/events`);
    assert.ok(replay.ended);
    const key = (e: SseEvent) => `${e.id} ${e.event} ${JSON.stringify(e.data)}`;
    assert.deepEqual(resumed.slice(1).map(key), replay.events.slice(1).map(key), 'no gap, no duplicate');
    assert.equal(replay.events.filter((e) => TERMINALS.includes(e.event)).length, 1);
    assert.equal(answerOf(replay.events), replay.events.at(-1)!.data.result.answer);
    const bg = await background;
    assert.equal(bg.events.at(-1)?.event, 'completed');
  });

  test('the stream reader on the cluster: a stream watched while its XREAD is blocked is read at once, not at the block timeout', async (t) => {
    const target = { REDIS_URL: '', REDIS_CLUSTER_NODES: cluster.seeds.split(',') };
    const name = `reader-${randomBytes(3).toString('hex')}`;
    const connection = createRedis(target, 'blocking', { connectionName: name });
    const control = createRedis(target, 'command');
    const keys = redisKeys(prefix);
    const blockMs = 60_000;
    const reader = new AskStreamReader({ connection, control, wakeKey: keys.readerWake(name), blockMs });
    const { primary } = await cluster.ownerOf(keys.events('x'));
    const probe = cluster.connect(primary);
    try {
      reader.watch(keys.events(`${name}-a`), '0-0', () => {});
      // Blocked on the node that serves the slot (CLIENT LIST there shows it), with nothing to read for 60 s.
      await waitUntil(
        async () =>
          ((await probe.client('LIST')) as string)
            .split('\n')
            .some((l) => l.includes(`name=${name} `) && /cmd=xread/.test(l) && /flags=\w*b/.test(l)),
        { timeoutMs: 10_000, message: 'the reader blocked in XREAD on the slot owner' },
      );
      const got: string[] = [];
      reader.watch(keys.events(`${name}-b`), '0-0', (entries) => got.push(...entries.map((e) => e.id)));
      const t0 = performance.now();
      const added = await control.xadd(keys.events(`${name}-b`), '*', 'e', 'status', 'd', '{}', 'a', '0');
      // A third of the block timeout: generous for a loaded machine, far short of what a lost wake-up costs.
      await waitUntil(() => got.includes(added!), {
        timeoutMs: blockMs / 3,
        message: 'the new stream was read before the block timeout',
      });
      t.diagnostic(
        `an entry on a stream added while the read was blocked arrived after ${Math.round(performance.now() - t0)} ms`,
      );
      // The wake stream shares the slot of the streams it wakes (the prefix's hash tag).
      assert.equal(await control.exists(keys.readerWake(name)), 1);
      assert.equal(
        await control.cluster('KEYSLOT', keys.readerWake(name)),
        await control.cluster('KEYSLOT', keys.events('x')),
      );
    } finally {
      await reader.close();
      await control.del(keys.events(`${name}-b`));
      probe.disconnect();
      await closeRedis(control);
    }
  });

  test('a cluster client closed while a slot refresh is in flight lets its process exit (no refresh timer left)', async () => {
    // ioredis's own slotsRefreshInterval re-armed itself from the refresh in flight after quit(), every 2 s forever:
    // the file then hung after its tests passed. The window is hit on purpose, through ioredis's isRefreshing.
    const script = `import { closeRedis, createRedis } from '@rag/queue';
const c = createRedis({ REDIS_URL: '', REDIS_CLUSTER_NODES: process.env.SEEDS.split(',') }, 'command');
await c.ping();
await new Promise((resolve) => setTimeout(resolve, 300)); // past the refreshes of connecting: the periodic one is next
await new Promise((resolve) => { const poll = () => (c.isRefreshing ? resolve() : setImmediate(poll)); poll(); });
await closeRedis(c);
console.log('closed');`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: ROOT,
      env: { ...process.env, SEEDS: cluster.seeds },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    try {
      await waitUntil(() => child.exitCode !== null, {
        timeoutMs: 30_000,
        message: 'the process ended by itself after closing its client',
      }).catch((err: Error) => assert.fail(`${err.message}; its output: ${out}`));
      assert.equal(child.exitCode, 0, out);
      assert.match(out, /closed/);
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('a document uploaded over HTTP is ingested through its queue on the cluster, cited in its collection, deleted', async () => {
    const collection = 'kho-cluster';
    const up = await uploadDocument(stack.url, {
      fileName: 'nhap-kho.md',
      collection,
      content:
        '# Quy trình nhập kho vật tư\n\nVật tư nhập kho phải được kiểm đếm bởi thủ kho và lập biên bản giao nhận trong vòng hai ngày làm việc.\n',
    });
    assert.equal(up.status, 202, up.text);
    const ready = await waitForDocument(stack.url, up.json.id);
    assert.equal(ready.status, 'ready', JSON.stringify(ready));
    assert.ok((ready.chunks ?? 0) >= 1);
    const question = 'thủ kho kiểm đếm vật tư nhập kho';
    const res = await ask(question, { Prefer: 'wait=20' }, { collection });
    assert.equal(res.json.status, 'completed', JSON.stringify(res.json));
    assert.equal(res.json.result!.citations[0].documentId, 'nhap-kho.md');
    const del = await api(stack.url, `/v1/documents/${up.json.id}`, { method: 'DELETE' });
    assert.equal(del.status, 200, del.text);
    assert.equal((await api(stack.url, `/v1/documents/${up.json.id}`)).status, 404);
    // Gone from later answers, the cached one included (the corpus version on the cluster moved).
    const again = await ask(question, { Prefer: 'wait=20' }, { collection });
    assert.equal(again.json.status, 'completed', JSON.stringify(again.json));
    assert.ok(again.json.result!.citations.every((c: { documentId: string }) => c.documentId !== 'nhap-kho.md'));
  });

  test('every key written on every primary carries the hash tag (one slot), none left untagged', async () => {
    const primaries = await cluster.primaries();
    assert.equal(primaries.length, 3);
    const keys: string[] = [];
    for (const node of primaries) {
      const r = cluster.connect(node);
      try {
        let cursor = '0';
        do {
          const [next, batch] = await r.scan(cursor, 'COUNT', 1000);
          cursor = next;
          keys.push(...batch);
        } while (cursor !== '0');
      } finally {
        r.disconnect();
      }
    }
    // The test's own cluster: anything in it was written by the gateway, the workers or BullMQ for them.
    assert.ok(keys.length > 10, `keys were written (${keys.length})`);
    const untagged = keys.filter((k) => !k.startsWith(`${prefix}:`));
    assert.deepEqual(untagged, [], 'keys without the prefix hash tag');
    // Ask records, cache, idempotency, heartbeats; BullMQ's asks, webhooks and ingest queues; event streams.
    const kinds = [
      ':ask:',
      ':cache:',
      ':idem:',
      ':corpus-version',
      ':workers',
      ':asks:',
      ':webhooks:',
      ':ingest:',
      ':events:',
    ];
    for (const kind of kinds)
      assert.ok(
        keys.some((k) => k.includes(kind)),
        `a key of kind ${kind} was written and checked (${keys.slice(0, 20).join(' ')})`,
      );
  });

  test('a cluster with a prefix lacking a hash tag: the gateway refuses to start, naming QUEUE_PREFIX', async () => {
    await assert.rejects(
      startProcess('gateway', 'apps/gateway/src/main.ts', {
        REDIS_CLUSTER_NODES: cluster.seeds,
        QUEUE_PREFIX: 'rag',
        PORT: '0',
        METRICS_PORT: '0',
        DATABASE_URL: stack.config.DATABASE_URL,
      }),
      /exited \(1\).*QUEUE_PREFIX: must carry a hash tag on Redis Cluster/s,
    );
  });
});
