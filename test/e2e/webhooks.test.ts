import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Queue } from 'bullmq';
import { Webhook } from 'standardwebhooks';
import { startGatewayApp, type GatewayApp } from '@rag/gateway';
import type { AskView } from '@rag/contract';
import { ASK_QUEUE, WEBHOOK_QUEUE } from '@rag/queue';
import {
  api,
  freePort,
  REDIS_URL,
  SlowGenerator,
  startWebhookReceiver,
  testLogger,
  waitUntil,
  type ReceivedWebhook,
  type WebhookReceiver,
} from '@rag/testing';
import { startTestStack, type TestStack } from '../support/test-stack.ts';
import type { errorSchema } from '../../apps/gateway/src/openapi/schemas.ts';
import type { z } from 'zod';

/** The gateway's error answer, as its OpenAPI schema documents it. */
type ErrorBody = z.infer<typeof errorSchema>;
/** The parts of /openapi.json the webhook test reads. */
interface WebhookDocs {
  components: { schemas: { AskRequest: { properties: { callbackUrl: { format?: string } } } } };
  webhooks: {
    askEnded: {
      post: { parameters: { name: string }[]; requestBody: { content: Record<string, { schema: { $ref: string } }> } };
    };
  };
}

const SAMPLE = path.resolve(import.meta.dirname, '../../data/sample');
const SECRET = `whsec_${randomBytes(32).toString('base64')}`;

/** The three Standard Webhooks headers of a received request, verified with the library and the secret. */
function verify(got: ReceivedWebhook): unknown {
  const h = (name: string) => String(got.headers[name]);
  return new Webhook(SECRET).verify(got.body, {
    'webhook-id': h('webhook-id'),
    'webhook-timestamp': h('webhook-timestamp'),
    'webhook-signature': h('webhook-signature'),
  });
}

describe('webhooks: an ask with callbackUrl has its final view POSTed, signed, when it ends', () => {
  let stack: TestStack;
  let deliveries: Queue;
  const receivers: WebhookReceiver[] = [];
  const receiver = async (...args: Parameters<typeof startWebhookReceiver>) => {
    const r = await startWebhookReceiver(...args);
    receivers.push(r);
    return r;
  };
  const slow = new SlowGenerator(1200);
  before(async () => {
    stack = await startTestStack({
      workers: 1,
      ingest: [SAMPLE],
      generator: slow,
      env: {
        WORKER_CONCURRENCY: '1',
        WEBHOOK_SECRET: SECRET,
        // The receivers live on loopback.
        WEBHOOK_ALLOW_PRIVATE: 'true',
        // The production schedule (20 s, doubling) in seconds: retries after ~1.5 s, ~3 s...
        WEBHOOK_BACKOFF_MS: '1500',
        WEBHOOK_TIMEOUT_MS: '2000',
        ADMIN_USER: 'admin',
        ADMIN_PASSWORD: 'pw',
      },
    });
    deliveries = new Queue(WEBHOOK_QUEUE, { connection: { url: REDIS_URL }, prefix: stack.prefix });
  });
  after(async () => {
    await deliveries?.close();
    await Promise.all(receivers.map((r) => r.close()));
    await stack?.close();
  });

  const ask = (json: Record<string, unknown>, headers: Record<string, string> = {}) =>
    api<AskView>(stack.url, '/v1/ask', { method: 'POST', json, headers });
  const finalView = async (id: string) => {
    const v = await api<AskView>(stack.url, `/v1/ask/${id}?wait=20`);
    assert.ok(['completed', 'failed', 'cancelled'].includes(v.json.status), v.text);
    return (await api<AskView>(stack.url, `/v1/ask/${id}`)).text;
  };
  const deliveryJob = (id: string) =>
    waitUntil(
      async () => {
        // The state first, then the job read after it: a job read before it finished lacks its outcome.
        return (await deliveries.getJobState(id)) === 'completed' ? deliveries.getJob(id) : undefined;
      },
      { timeoutMs: 30_000, message: `delivery job of ${id} completed` },
    );

  test('a completed ask: one POST whose body is exactly GET /v1/ask/:id, verified with the secret', async () => {
    const r = await receiver();
    const sub = await ask({ question: 'bảo đảm dự thầu', callbackUrl: `${r.url}/hooks/rag?tenant=7` });
    assert.equal(sub.status, 202, sub.text);
    const view = await finalView(sub.json.id);
    const [got] = await r.waitFor(1);
    assert.equal(got.body, view, 'the body is the final view, byte for byte');
    assert.equal(got.headers['webhook-id'], `msg_${sub.json.id}`);
    assert.equal(got.headers['content-type'], 'application/json');
    assert.deepEqual(verify(got), JSON.parse(view));
    const job = await deliveryJob(sub.json.id);
    assert.equal(job.attemptsStarted, 1);
    assert.equal(job.returnvalue.delivered, true);
    assert.equal(r.received.length, 1);
  });

  test('retries: 500, 500, then 200 gives three attempts with one webhook-id, distinct timestamps, then stops', async () => {
    const r = await receiver((n) => (n < 2 ? 500 : 200));
    const sub = await ask({ question: 'hợp đồng trọn gói là gì', callbackUrl: r.url });
    const view = await finalView(sub.json.id);
    const got = await r.waitFor(3);
    assert.deepEqual(
      got.map((g) => g.headers['webhook-id']),
      Array(3).fill(`msg_${sub.json.id}`),
    );
    assert.equal(new Set(got.map((g) => g.headers['webhook-timestamp'])).size, 3, 'each attempt signed anew');
    for (const g of got) {
      assert.equal(g.body, view, 'every attempt sends the same bytes');
      assert.deepEqual(verify(g), JSON.parse(view));
    }
    assert.ok(got[1].at - got[0].at >= 1000 && got[2].at - got[1].at >= got[1].at - got[0].at - 300, 'backed off');
    const job = await deliveryJob(sub.json.id);
    assert.equal(job.attemptsStarted, 3);
    assert.equal(r.received.length, 3, 'no attempt after the 2xx');
  });

  test('a failed ask delivers too: expired before a worker started it, timeout while running', async () => {
    const r = await receiver();
    // The one slot is busy for 1.2 s: an ask with a 1 s deadline behind it expires in the queue.
    const blocker = await ask({ question: 'nhà thầu liên danh' });
    const expiring = await ask({ question: 'ưu đãi nhà thầu trong nước', timeoutMs: 1000, callbackUrl: r.url });
    await finalView(blocker.json.id);
    const expired = await finalView(expiring.json.id);
    // Alone, 10 s of generation against a 2.5 s deadline times out while running (a queue wait of 2.5 s, which
    // would make it expire instead, is far beyond what a loaded machine gives an idle worker).
    slow.delayMs = 10_000;
    let timedOut: string;
    try {
      const running = await ask({ question: 'gói thầu quy mô nhỏ', timeoutMs: 2500, callbackUrl: r.url });
      timedOut = await finalView(running.json.id);
    } finally {
      slow.delayMs = 1200;
    }
    const got = await r.waitFor(2);
    for (const [view, code] of [
      [expired, 'expired'],
      [timedOut, 'timeout'],
    ]) {
      const parsed = JSON.parse(view);
      assert.equal(parsed.status, 'failed');
      assert.equal(parsed.error.code, code);
      assert.ok(
        got.some((g) => g.body === view),
        `the ${code} view was delivered`,
      );
    }
  });

  test('a cancelled ask delivers: cancelled while queued and cancelled while running', async () => {
    const r = await receiver();
    const calls = slow.calls;
    const runningAsk = await ask({ question: 'thời gian hiệu lực bảo lãnh', callbackUrl: `${r.url}/running` });
    await waitUntil(() => slow.calls > calls, { message: 'generation started' });
    const queuedAsk = await ask({ question: 'đấu thầu qua mạng', callbackUrl: `${r.url}/queued` });
    assert.equal((await api<AskView>(stack.url, `/v1/ask/${queuedAsk.json.id}`)).json.status, 'queued');
    assert.equal((await api<AskView>(stack.url, `/v1/ask/${queuedAsk.json.id}`, { method: 'DELETE' })).status, 200);
    assert.equal((await api<AskView>(stack.url, `/v1/ask/${runningAsk.json.id}`, { method: 'DELETE' })).status, 200);
    const views = [await finalView(queuedAsk.json.id), await finalView(runningAsk.json.id)];
    const got = await r.waitFor(2);
    for (const v of views) {
      assert.equal(JSON.parse(v).status, 'cancelled');
      assert.ok(
        got.some((g) => g.body === v),
        `the cancelled view of ${JSON.parse(v).id} was delivered`,
      );
    }
    await deliveryJob(queuedAsk.json.id);
    await deliveryJob(runningAsk.json.id);
    assert.equal(r.received.length, 2);
  });

  test('an ask answered from the cache delivers at once', async () => {
    const r = await receiver();
    const first = await ask({ question: 'hồ sơ mời thầu gồm những gì' }, { prefer: 'wait=20' });
    assert.equal(first.json.status, 'completed', first.text);
    const cached = await ask({ question: 'hồ sơ mời thầu gồm những gì', callbackUrl: r.url }, { prefer: 'wait=20' });
    assert.equal(cached.status, 200);
    assert.equal(cached.json.result!.cached, true);
    const [got] = await r.waitFor(1);
    assert.equal(got.body, (await api<AskView>(stack.url, `/v1/ask/${cached.json.id}`)).text);
  });

  test("the ask's answer and timing do not depend on its receiver: one that is down changes nothing", async () => {
    const down = `http://127.0.0.1:${await freePort()}/gone`;
    const calls = slow.calls;
    const sub = await ask({ question: 'điều kiện năng lực nhà thầu', callbackUrl: down }, { prefer: 'wait=20' });
    assert.equal(sub.status, 200, sub.text);
    assert.equal(sub.json.status, 'completed');
    assert.match(sub.json.result!.answer, /^Slow answer from /);
    assert.equal(slow.calls, calls + 1);
    // The ask waited for nothing but its generation (1.2 s), not for a delivery that cannot succeed.
    assert.ok(sub.json.result!.timings.totalMs < 10_000, `totalMs ${sub.json.result!.timings.totalMs}`);
    // Meanwhile the delivery fails and is retried in the background.
    const job = await waitUntil(
      async () => {
        const j = await deliveries.getJob(sub.json.id);
        return j && j.attemptsMade >= 1 ? j : undefined;
      },
      { timeoutMs: 20_000, message: 'a failed delivery attempt' },
    );
    assert.match(job.failedReason ?? '', /^network: /);
    assert.ok(['delayed', 'waiting', 'active'].includes(await job.getState()), 'retried later, not given up');
  });

  test('Bull Board shows the webhooks queue beside the asks', async () => {
    const res = await api<{ queues: { name: string }[] }>(stack.url, '/admin/queues/api/queues', {
      headers: { authorization: `Basic ${Buffer.from('admin:pw').toString('base64')}` },
    });
    assert.equal(res.status, 200, res.text.slice(0, 200));
    const names = res.json.queues.map((q) => q.name);
    for (const name of ['asks', 'webhooks']) assert.ok(names.includes(name), `${name} in ${names.join(', ')}`);
  });

  test('/openapi.json documents callbackUrl and the webhook itself (OpenAPI 3.1 webhooks)', async () => {
    const doc = (await api<WebhookDocs>(stack.url, '/openapi.json')).json;
    assert.equal(doc.components.schemas.AskRequest.properties.callbackUrl.format, 'uri');
    const post = doc.webhooks.askEnded.post;
    assert.deepEqual(
      post.parameters.map((p) => p.name),
      ['webhook-id', 'webhook-timestamp', 'webhook-signature'],
    );
    assert.equal(post.requestBody.content['application/json'].schema.$ref, '#/components/schemas/AskView');
  });

  test('one delivery job per ask however often its end is reported', async () => {
    const r = await receiver();
    const sub = await ask({ question: 'bảo lãnh thực hiện hợp đồng', callbackUrl: r.url }, { prefer: 'wait=20' });
    await r.waitFor(1);
    await deliveryJob(sub.json.id);
    // The end reported again (a retried worker, a second gateway): the job id is the ask's, nothing new is sent.
    const { WebhookJobs } = await import('@rag/webhooks');
    const jobs = new WebhookJobs({ queue: deliveries as never, backoffMs: 1500, keepS: 60 });
    await jobs.sendNow(sub.json.id, r.url);
    await jobs.promote(sub.json.id);
    await jobs.hold(sub.json.id, r.url, Date.now());
    const again = await deliveries.getJob(sub.json.id);
    assert.equal(await again?.getState(), 'completed', 'still the one job, finished');
    assert.equal(again?.attemptsStarted, 1);
    assert.equal(r.received.length, 1);
  });
});

describe('webhooks: callbackUrl refused at submission', () => {
  let stack: TestStack;
  let guarded: GatewayApp;
  let unsigned: GatewayApp;
  let asks: Queue;
  before(async () => {
    stack = await startTestStack({ workers: 0, env: { WEBHOOK_SECRET: SECRET } });
    guarded = await startGatewayApp({ ...stack.config, WEBHOOK_ALLOW_PRIVATE: false }, { logger: testLogger() });
    unsigned = await startGatewayApp({ ...stack.config, WEBHOOK_SECRET: undefined }, { logger: testLogger() });
    for (const g of [guarded, unsigned])
      await waitUntil(async () => (await api(g.url, '/readyz')).status === 200, { message: 'gateway ready' });
    asks = new Queue(ASK_QUEUE, { connection: { url: REDIS_URL }, prefix: stack.prefix });
  });
  after(async () => {
    await asks?.close();
    await guarded?.close();
    await unsigned?.close();
    await stack?.close();
  });

  test('loopback, private, link-local, metadata and IPv4-mapped targets get 400 naming callbackUrl', async () => {
    for (const callbackUrl of [
      'http://127.0.0.1:9/hook',
      'http://[::1]/hook',
      'http://10.0.0.8/hook',
      'https://192.168.1.20/hook',
      'http://169.254.169.254/latest/meta-data/',
      'http://[fd00:ec2::254]/',
      'http://localhost:8080/hook',
      'http://[::ffff:127.0.0.1]/hook',
      'http://[::ffff:a9fe:a9fe]/',
      'http://2130706433/',
      'ftp://example.com/hook',
      'not a url',
    ]) {
      const res = await api<ErrorBody>(guarded.url, '/v1/ask', {
        method: 'POST',
        json: { question: 'bảo đảm', callbackUrl },
      });
      assert.equal(res.status, 400, `${callbackUrl}: ${res.text}`);
      assert.equal(res.json.error.code, 'invalid_request');
      assert.equal(res.json.error.details![0].field, 'callbackUrl', callbackUrl);
    }
    // Nothing was queued for any of them (this stack has no worker: a queued ask would still be waiting).
    assert.deepEqual(await asks.getJobCounts('waiting', 'delayed'), { waiting: 0, delayed: 0 });
  });

  test('without WEBHOOK_SECRET a callbackUrl is refused (no unsigned webhooks); without one the ask is accepted', async () => {
    const res = await api<ErrorBody>(unsigned.url, '/v1/ask', {
      method: 'POST',
      json: { question: 'bảo đảm', callbackUrl: 'https://hooks.example.com/rag' },
    });
    assert.equal(res.status, 400);
    assert.equal(res.json.error.details![0].field, 'callbackUrl');
    assert.match(res.json.error.message, /WEBHOOK_SECRET/);
    const plain = await api(unsigned.url, '/v1/ask', { method: 'POST', json: { question: 'bảo đảm' } });
    assert.equal(plain.status, 202);
  });
});
