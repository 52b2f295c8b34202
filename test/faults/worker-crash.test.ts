import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { AskView } from '@rag/contract';
import { startLlmStub, type LlmStub } from '@rag/llm-stub';
import { api, waitUntil } from '@rag/testing';
import { startWorkerProcesses, type WorkerProcessStack } from '../support/worker-processes.ts';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/procurement');

/** Workers as real processes (so they can be killed), the gateway in this process, the LLM stand-in on loopback. */
describe('fault: worker processes killed or stopped mid-ask', () => {
  let stub: LlmStub;
  let stack: WorkerProcessStack;

  before(async () => {
    stub = await startLlmStub({ latency: { fixedLatencyMs: 1500 } });
    stack = await startWorkerProcesses({
      name: 'crash',
      ingest: [FIXTURES],
      env: {
        LLM_PROVIDER: 'openai',
        OPENAI_BASE_URL: stub.url,
        OPENAI_API_KEY: 'test',
        CACHE_TTL_S: '0',
        WORKER_CONCURRENCY: '40',
        WORKER_LOCK_DURATION_MS: '2000',
        SHUTDOWN_TIMEOUT_MS: '300',
      },
    });
  });
  after(async () => {
    await stack?.close();
    await stub?.close();
  });

  const submit = async (n: number, tag: string) =>
    Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const r = await api<AskView>(stack.gateway.url, '/v1/ask', {
          method: 'POST',
          json: { question: `bảo đảm dự thầu ${tag} ${i}`, timeoutMs: 60000 },
        });
        assert.equal(r.status, 202);
        return r.json.id as string;
      }),
    );

  /** Each ask's terminal status ('lost' when it is gone), or 'stuck' after two minutes. */
  const settle = async (ids: string[]) =>
    Promise.all(
      ids.map((id) =>
        waitUntil(
          async () => {
            const r = await api<AskView>(stack.gateway.url, `/v1/ask/${id}?wait=20`);
            if (r.status === 404) return 'lost';
            return ['queued', 'active'].includes(r.json.status) ? undefined : (r.json.status as string);
          },
          { timeoutMs: 120_000, message: `ask ${id} never ended` },
        ).catch(() => 'stuck'),
      ),
    );

  test('kill -9 of one of two workers with 60 LLM-bound asks in flight: all 60 complete', async () => {
    const a = await stack.startWorker('worker-a');
    await stack.startWorker('worker-b');
    // Answers slow enough that the asks overlap even when a loaded machine takes its time to hand them out.
    stub.setLatency({ fixedLatencyMs: 4000 });
    stub.resetStats();
    const ids = await submit(60, 'kill');
    // Wait until both workers are generating (more than one worker's 40 slots in flight), then kill one.
    await waitUntil(() => stub.stats.inFlight > 40, { timeoutMs: 30_000, message: 'both workers generating' });
    const inFlightAtKill = stub.stats.inFlight;
    await a.stop('SIGKILL');
    const outcomes = await settle(ids);
    const tally: Record<string, number> = {};
    for (const s of outcomes) tally[s] = (tally[s] ?? 0) + 1;
    assert.deepEqual(tally, { completed: 60 }, JSON.stringify(tally));
    // Only the killed worker's asks were generated twice (recovered after its lock expired); none is visible twice.
    assert.ok(stub.stats.chatCalls > 60 && stub.stats.chatCalls <= 100, `LLM calls ${stub.stats.chatCalls}`);
    console.log(
      `# worker-kill tally: asks 60, in flight at kill ${inFlightAtKill}, completed ${tally.completed}, lost 0, LLM calls ${stub.stats.chatCalls} (re-run after recovery)`,
    );
  });

  test('SIGTERM to a worker mid-ask: its asks are handed back and another worker completes them', async () => {
    for (const w of stack.workers) await w.stop('SIGKILL');
    const a = await stack.startWorker('worker-c');
    stub.resetStats();
    const ids = await submit(20, 'term');
    await waitUntil(() => stub.stats.inFlight >= 20, { timeoutMs: 30_000, message: 'the 20 asks generating' });
    const code = await a.stop('SIGTERM', 10_000);
    assert.equal(code, 0, `clean exit after handing back (output: ${a.output().slice(-500)})`);
    assert.match(a.output(), /handed back to the queue/);
    await stack.startWorker('worker-d');
    const outcomes = await settle(ids);
    assert.deepEqual(
      outcomes.filter((s) => s !== 'completed'),
      [],
    );
    console.log(`# worker-sigterm tally: asks 20, handed back on SIGTERM, completed 20, lost 0`);
  });
});
