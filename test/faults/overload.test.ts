import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { z } from 'zod';
import type { AskView } from '@rag/contract';
import { api, SlowGenerator } from '@rag/testing';
import { startTestStack, type TestStack } from '../support/test-stack.ts';
import type { errorSchema } from '../../apps/gateway/src/openapi/schemas.ts';

type ErrorBody = z.infer<typeof errorSchema>;

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/procurement');

const p = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(q * xs.length) - 1)];

describe('fault: offered load at ~7x capacity with admission control', () => {
  let stack: TestStack;
  const slow = new SlowGenerator(500);
  before(async () => {
    // Capacity: 1 worker x 2 slots x (1 / 0.5 s) = 4 asks/s; offered: 30 asks/s for 10 s.
    stack = await startTestStack({
      workers: 1,
      ingest: [FIXTURES],
      generator: slow,
      env: { WORKER_CONCURRENCY: '2', MAX_QUEUED_ASKS: '20', CACHE_TTL_S: '0' },
    });
  });
  after(() => stack.close());

  test('every accepted ask completes; every refusal is a fast 429 with Retry-After; /healthz stays fast', async () => {
    const accepted: string[] = [];
    const refusedMs: number[] = [];
    const healthMs: number[] = [];
    const retryAfter: number[] = [];
    const acceptedMs: number[] = [];
    const other: string[] = [];
    const pending: Promise<void>[] = [];
    const t0 = performance.now();
    for (let i = 0; i < 300; i++) {
      const due = t0 + (i * 1000) / 30;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      pending.push(
        (async () => {
          const s = performance.now();
          // 202 carries the ask, 429 the error (the status decides which body it is).
          const res = await api<AskView | ErrorBody>(stack.url, '/v1/ask', {
            method: 'POST',
            json: { question: `bảo đảm dự thầu ${i}` },
          });
          if (res.status === 202) {
            const { id } = res.json as AskView;
            accepted.push(id);
            const done = await api<AskView>(stack.url, `/v1/ask/${id}?wait=30`);
            if (done.json.status === 'completed') acceptedMs.push(performance.now() - s);
          } else if (res.status === 429) {
            refusedMs.push(performance.now() - s);
            assert.equal((res.json as ErrorBody).error.code, 'overloaded');
            retryAfter.push(Number(res.headers.get('retry-after')));
          } else other.push(`${res.status}`);
        })(),
      );
      if (i % 3 === 0) {
        pending.push(
          (async () => {
            const s = performance.now();
            assert.equal((await api(stack.url, '/healthz')).status, 200);
            healthMs.push(performance.now() - s);
          })(),
        );
      }
    }
    await Promise.all(pending);
    assert.deepEqual(other, []);
    assert.ok(refusedMs.length > 150, `most asks refused at 7x capacity (${refusedMs.length})`);
    assert.ok(accepted.length >= 40, `the queue kept accepting as it drained (${accepted.length})`);
    for (const r of retryAfter) assert.ok(Number.isInteger(r) && r >= 1 && r <= 60, `Retry-After ${r}`);
    const outcomes = await Promise.all(
      accepted.map((id) => api<AskView>(stack.url, `/v1/ask/${id}?wait=30`).then((r) => r.json.status)),
    );
    assert.deepEqual(
      outcomes.filter((s) => s !== 'completed'),
      [],
      'every accepted ask completed',
    );
    // Refused up front, not after waiting on anything: compared with what an accepted ask takes on the same machine
    // at the same moment (at least the generator's 500 ms plus its queue wait), not with a wall-clock bound that a
    // loaded 2-core machine may not keep; the measured figures are in docs/benchmarks.md.
    const acceptedP50 = p(acceptedMs, 0.5);
    assert.ok(
      p(refusedMs, 0.99) < acceptedP50,
      `429 p99 ${p(refusedMs, 0.99).toFixed(1)} ms vs accepted ask p50 ${acceptedP50.toFixed(1)} ms`,
    );
    assert.ok(
      p(healthMs, 0.99) < acceptedP50,
      `/healthz p99 ${p(healthMs, 0.99).toFixed(1)} ms vs accepted ask p50 ${acceptedP50.toFixed(1)} ms`,
    );
    console.log(
      `# overload tally: offered 300 at 30/s, accepted ${accepted.length} (all completed), refused 429 ${refusedMs.length} ` +
        `(p99 ${p(refusedMs, 0.99).toFixed(1)} ms, Retry-After ${Math.min(...retryAfter)}-${Math.max(...retryAfter)} s), /healthz p99 ${p(healthMs, 0.99).toFixed(1)} ms, ` +
        `accepted ask p50 ${acceptedP50.toFixed(1)} ms`,
    );
  });
});
