import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { AskView } from '@rag/contract';
import { WEBHOOK_QUEUE, type WebhookJobData } from '@rag/queue';
import {
  REDIS_URL,
  deletePrefix,
  freePort,
  startWebhookReceiver,
  testLogger,
  uniquePrefix,
  waitUntil,
  type WebhookReceiver,
} from '@rag/testing';
import {
  WebhookJobs,
  WebhookSigner,
  createWebhookProcessor,
  deliverWebhook,
  systemResolve,
  type WebhookJobResult,
} from '../src/index.ts';

const signer = new WebhookSigner(`whsec_${randomBytes(32).toString('base64')}`);

/**
 * The delivery job's life on a real Redis and BullMQ worker; the ask's state comes from a function the test
 * controls (in the service it is readAsk over the asks queue), so the ask can be held "running" at will.
 */
describe('delivery jobs', () => {
  const prefix = uniquePrefix('webhooks');
  const asks = new Map<string, AskView>();
  let reads = 0;
  let queue: Queue<WebhookJobData, WebhookJobResult>;
  let worker: Worker<WebhookJobData, WebhookJobResult>;
  let allowPrivate = true;
  let jobs: WebhookJobs;
  let r: WebhookReceiver;
  const connections: Redis[] = [];
  const connection = () => {
    const c = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    connections.push(c);
    return c;
  };
  const view = (id: string, status: AskView['status']): AskView => ({
    id,
    status,
    createdAt: new Date().toISOString(),
    ...(status === 'completed' || status === 'cancelled' ? { finishedAt: new Date().toISOString() } : {}),
  });
  const finished = (id: string) =>
    waitUntil(
      async () => {
        // The state first, then the job read after it: a job read before it finished lacks its outcome.
        const state = await queue.getJobState(id);
        return state === 'completed' || state === 'failed' ? queue.getJob(id) : undefined;
      },
      { timeoutMs: 15_000, message: `delivery job ${id} finished` },
    );

  before(async () => {
    r = await startWebhookReceiver();
    queue = new Queue(WEBHOOK_QUEUE, { connection: connection(), prefix });
    jobs = new WebhookJobs({ queue, backoffMs: 200, keepS: 60, graceMs: 0 });
    const processor = createWebhookProcessor({
      readAsk: async (id) => {
        reads++;
        return asks.get(id) ?? null;
      },
      deliver: (msg) => deliverWebhook(msg, { signer, allowPrivate, resolve: systemResolve, timeoutMs: 2000 }),
      logger: testLogger(),
      recheckMs: 200,
    });
    worker = new Worker(WEBHOOK_QUEUE, processor, { connection: connection(), prefix, concurrency: 2 });
  });
  after(async () => {
    await worker?.close();
    await queue?.close();
    for (const c of connections) c.disconnect();
    await r?.close();
    await deletePrefix(prefix);
  });

  test('a held job whose ask end was never reported runs by itself, and waits for the end without spending attempts', async () => {
    asks.set('ask-lost', view('ask-lost', 'active'));
    const before = reads;
    // The deadline is now: with no grace (test), the job runs at once, as a held job does once its time comes.
    assert.equal(await jobs.hold('ask-lost', `${r.url}/lost`, Date.now()), true);
    await waitUntil(() => reads >= before + 2, { message: 'the job looked at the running ask twice' });
    assert.equal(r.received.length, 0, 'nothing is sent while the ask runs');
    const done = view('ask-lost', 'completed');
    asks.set('ask-lost', done);
    const [got] = await r.waitFor(1);
    assert.equal(got.body, JSON.stringify(done));
    assert.equal(got.headers['webhook-id'], 'msg_ask-lost');
    const job = await finished('ask-lost');
    assert.equal(await job.getState(), 'completed');
    // Looked at three times (twice running, once ended), yet no failed attempt: waiting spent none of the budget.
    assert.ok((job.attemptsStarted ?? 0) >= 3, `started ${job.attemptsStarted} times`);
    assert.equal(job.failedReason, undefined);
    assert.deepEqual(job.stacktrace, []);
    assert.ok(job.attemptsMade <= 1, `attemptsMade ${job.attemptsMade}: only the delivery itself counts`);
  });

  test("promote runs a held job at once (the ask's end reported long before its fallback time)", async () => {
    asks.set('ask-ended', view('ask-ended', 'cancelled'));
    await jobs.hold('ask-ended', `${r.url}/ended`, Date.now() + 3_600_000);
    assert.equal(await (await queue.getJob('ask-ended'))?.getState(), 'delayed');
    await jobs.promote('ask-ended');
    await r.waitFor(2);
    assert.equal(JSON.parse(r.received[1].body).status, 'cancelled');
    // Promoting again, or a job already done, is harmless.
    await jobs.promote('ask-ended');
    await jobs.promote('no-such-ask');
    assert.equal(await (await finished('ask-ended')).getState(), 'completed');
  });

  test('an ask that is unknown (never queued, or expired) sends nothing', async () => {
    const n = r.received.length;
    await jobs.sendNow('ask-ghost', r.url);
    const job = await finished('ask-ghost');
    assert.deepEqual(job.returnvalue, { delivered: false, attempts: 0, skipped: 'ask_not_found' });
    assert.equal(r.received.length, n);
  });

  test('creating a delivery job never throws: a Redis that cannot take it costs the webhook, not the ask', async () => {
    // Nothing listens there, and the client gives up at once (the gateway's request-path client fails fast too).
    const down = new Redis(`redis://127.0.0.1:${await freePort()}`, {
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    down.on('error', () => {});
    const closed = new Queue<WebhookJobData, WebhookJobResult>(WEBHOOK_QUEUE, { connection: down, prefix });
    const unreachable = new WebhookJobs({ queue: closed, backoffMs: 200, keepS: 60 });
    try {
      assert.equal(await unreachable.hold('ask-x', r.url, Date.now() + 1000), false);
      assert.equal(await unreachable.sendNow('ask-x', r.url), false);
      await unreachable.promote('ask-x');
      await unreachable.drop('ask-x');
    } finally {
      await closed.close().catch(() => {});
      down.disconnect();
    }
  });

  test('a target refused at delivery is given up at once: no attempt could pass', async () => {
    allowPrivate = false;
    try {
      const n = r.received.length;
      asks.set('ask-refused', view('ask-refused', 'completed'));
      await jobs.sendNow('ask-refused', `${r.url}/x`);
      const job = await finished('ask-refused');
      assert.equal(await job.getState(), 'failed');
      assert.equal(job.attemptsMade, 1);
      assert.match(job.failedReason, /^refused: .*loopback/);
      assert.equal(r.received.length, n);
    } finally {
      allowPrivate = true;
    }
  });
});
