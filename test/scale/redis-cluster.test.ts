import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  api,
  ROOT,
  SlowGenerator,
  startOwnCluster,
  startProcess,
  startWebhookReceiver,
  waitUntil,
  type OwnCluster,
  type WebhookReceiver,
} from '@rag/testing';
import { startTestStack, type TestStack } from '../support/test-stack.ts';

const SAMPLE = path.join(ROOT, 'data/sample');

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
  const slow = new SlowGenerator(400);
  before(async () => {
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
  });

  const ask = (question: string, headers: Record<string, string> = {}, extra: object = {}) =>
    api(stack.url, '/v1/ask', { method: 'POST', headers, json: { question, ...extra } });

  test('ask with Prefer: wait completes; the same question again is served from the answer cache', async () => {
    const first = await ask('Bảo đảm dự thầu là gì?', { Prefer: 'wait=20' });
    assert.equal(first.status, 200, JSON.stringify(first.json));
    assert.equal(first.json.status, 'completed');
    assert.ok(first.json.result.citations.length > 0);
    const again = await ask('  bảo đảm dự thầu là gì? ', { Prefer: 'wait=20' });
    assert.equal(again.json.status, 'completed');
    assert.equal(again.json.result.cached, true);
  });

  test('submit, then long-poll until completed', async () => {
    const sub = await ask('Chỉ định thầu được áp dụng khi nào?');
    assert.equal(sub.status, 202);
    const view = await waitUntil(
      async () => {
        const r = await api(stack.url, `/v1/ask/${sub.json.id}?wait=10`);
        return r.json.status === 'completed' ? r.json : undefined;
      },
      { timeoutMs: 20_000, message: 'long-poll to completed' },
    );
    assert.ok(view.result.answer.length > 0);
  });

  test('identical asks in flight share one job (single-flight)', async () => {
    const q = 'Hợp đồng trọn gói là gì?';
    const calls = slow.calls;
    const [a, b] = await Promise.all([ask(q), ask(q)]);
    assert.equal(a.json.id, b.json.id, 'one ask id for both');
    const done = await api(stack.url, `/v1/ask/${a.json.id}?wait=15`);
    assert.equal(done.json.status, 'completed');
    assert.equal(slow.calls, calls + 1, 'one generation');
  });

  test('Idempotency-Key: a replay gets the same ask, another body 409', async () => {
    const key = { 'Idempotency-Key': `k-${randomBytes(4).toString('hex')}` };
    const a = await ask('Đấu thầu qua mạng', key);
    const b = await ask('Đấu thầu qua mạng', key);
    assert.equal(a.status, 202);
    assert.equal(b.json.id, a.json.id);
    const c = await ask('something else', key);
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
      const del = await api(stack.url, `/v1/ask/${sub.json.id}`, { method: 'DELETE' });
      assert.equal(del.json.status, 'cancelled');
      await waitUntil(() => slow.aborted > aborted, { timeoutMs: 5000, message: 'the worker aborted generation' });
      const view = await api(stack.url, `/v1/ask/${sub.json.id}`);
      assert.equal(view.json.error.code, 'cancelled');
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
    for (const kind of [':ask:', ':cache:', ':idem:', ':corpus-version', ':workers', ':webhooks:'])
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
