import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { AskView } from '@rag/contract';
import { Queue } from 'bullmq';
import { startLlmStub, type LlmStub } from '@rag/llm-stub';
import { WEBHOOK_QUEUE } from '@rag/queue';
import { api, REDIS_URL, startWebhookReceiver, waitUntil, type WebhookReceiver } from '@rag/testing';
import { startWorkerProcesses, type WorkerProcessStack } from '../support/worker-processes.ts';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/procurement');

/**
 * An ask with a callbackUrl whose worker is killed mid-ask: BullMQ recovers the ask on another worker after the
 * lock expires, and the webhook still goes out exactly once, from the worker that ended it.
 */
describe('fault: the worker running asks with callbackUrl is killed', () => {
  let stub: LlmStub;
  let stack: WorkerProcessStack;
  let receiver: WebhookReceiver;
  let deliveries: Queue;

  before(async () => {
    stub = await startLlmStub({ latency: { fixedLatencyMs: 1500 } });
    receiver = await startWebhookReceiver();
    stack = await startWorkerProcesses({
      name: 'whkill',
      ingest: [FIXTURES],
      env: {
        LLM_PROVIDER: 'openai',
        OPENAI_BASE_URL: stub.url,
        OPENAI_API_KEY: 'test',
        CACHE_TTL_S: '0',
        WORKER_LOCK_DURATION_MS: '2000',
        WEBHOOK_SECRET: `whsec_${Buffer.alloc(32, 9).toString('base64')}`,
        WEBHOOK_ALLOW_PRIVATE: 'true',
      },
    });
    deliveries = new Queue(WEBHOOK_QUEUE, { connection: { url: REDIS_URL }, prefix: stack.prefix });
  });
  after(async () => {
    await deliveries?.close();
    await stack?.close();
    await stub?.close();
    await receiver?.close();
  });

  test('kill -9 mid-ask: the asks are recovered elsewhere and each webhook is delivered once', async () => {
    const a = await stack.startWorker('worker-a');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await api<AskView>(stack.gateway.url, '/v1/ask', {
        method: 'POST',
        json: { question: `bảo đảm dự thầu ${i}`, timeoutMs: 60000, callbackUrl: `${receiver.url}/kill` },
      });
      assert.equal(r.status, 202, r.text);
      ids.push(r.json.id);
    }
    await waitUntil(() => stub.stats.inFlight >= 3, { timeoutMs: 20_000, message: 'the 3 asks generating' });
    await a.stop('SIGKILL');
    assert.equal(receiver.received.length, 0, 'nothing was delivered by the killed worker');
    await stack.startWorker('worker-b');
    for (const id of ids) {
      const v = await waitUntil(
        async () => {
          const r = await api<AskView>(stack.gateway.url, `/v1/ask/${id}?wait=10`);
          return r.json?.status === 'completed' ? r : undefined;
        },
        { timeoutMs: 60_000, message: `ask ${id} completed after recovery` },
      );
      assert.equal(v.json.status, 'completed');
    }
    await receiver.waitFor(3, 30_000);
    // Every delivery job finished; only then count: a second delivery of any ask would have arrived by now.
    for (const id of ids)
      await waitUntil(async () => (await deliveries.getJobState(id)) === 'completed', {
        timeoutMs: 30_000,
        message: `delivery job ${id} completed`,
      });
    const perAsk = new Map<string, number>();
    for (const g of receiver.received) {
      const body = JSON.parse(g.body);
      assert.equal(body.status, 'completed');
      assert.equal(g.headers['webhook-id'], `msg_${body.id}`);
      perAsk.set(body.id, (perAsk.get(body.id) ?? 0) + 1);
    }
    assert.deepEqual([...perAsk.keys()].sort(), [...ids].sort());
    assert.deepEqual([...new Set(perAsk.values())], [1], 'one delivery per ask');
    console.log(
      `# webhook worker-kill tally: asks 3, killed mid-ask, completed 3, webhooks ${receiver.received.length}`,
    );
  });
});
