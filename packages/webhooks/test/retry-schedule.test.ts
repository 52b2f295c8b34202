import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Backoffs } from 'bullmq';
import { loadConfig } from '@rag/config';
import { webhookJobOptions, webhookRetrySpan } from '@rag/queue';

describe('webhook retry schedule', () => {
  test('in production: at least 6 attempts spanning 30 minutes or more, even with the least jitter', () => {
    const config = loadConfig({});
    const opts = webhookJobOptions({ backoffMs: config.WEBHOOK_BACKOFF_MS, keepS: config.RESULT_TTL_S });
    assert.ok(opts.attempts >= 6, `${opts.attempts} attempts`);
    // The delays BullMQ itself computes from these options (jitter is random: sample each retry many times).
    let leastTotalMs = 0;
    let mostTotalMs = 0;
    for (let attemptsMade = 1; attemptsMade < opts.attempts; attemptsMade++) {
      const samples = Array.from(
        { length: 200 },
        () => Backoffs.calculate(opts.backoff, attemptsMade, new Error('x'), undefined as never) as number,
      );
      const exact = 2 ** (attemptsMade - 1) * config.WEBHOOK_BACKOFF_MS;
      for (const s of samples)
        assert.ok(s >= exact * (1 - opts.backoff.jitter) - 1 && s <= exact, `retry ${attemptsMade}: ${s} ms`);
      leastTotalMs += exact * (1 - opts.backoff.jitter);
      mostTotalMs += exact;
    }
    assert.ok(leastTotalMs >= 30 * 60_000, `the schedule may end after ${Math.round(leastTotalMs / 60_000)} min`);
    const span = webhookRetrySpan(config.WEBHOOK_BACKOFF_MS);
    assert.ok(Math.abs(span.minMs - leastTotalMs) < 10 && span.maxMs === mostTotalMs, 'the documented span matches');
  });

  test('the backoff base is configurable (tests run the same schedule in seconds)', () => {
    const opts = webhookJobOptions({
      backoffMs: loadConfig({ WEBHOOK_BACKOFF_MS: '500' }).WEBHOOK_BACKOFF_MS,
      keepS: 60,
    });
    assert.equal(opts.backoff.delay, 500);
    assert.equal(opts.backoff.type, 'exponential');
  });
});
