import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AskView } from '@rag/contract';
import { api } from '@rag/testing';
import { startTestStack, type TestStack } from '../support/test-stack.ts';

const submit = (url: string, question: string, key?: string) =>
  api<AskView>(url, '/v1/ask', {
    method: 'POST',
    headers: key ? { 'idempotency-key': key } : {},
    json: { question },
  });

/**
 * An Idempotency-Key always leads to an ask a client can read: a request refused before its job existed frees the
 * key (the retry is a new attempt, not a replay of nothing), and a request answered by another ask's id (coalesced)
 * moves the key to that id.
 */
describe('Idempotency-Key: a retry finds a real ask', () => {
  describe('refused at admission', () => {
    let stack: TestStack;
    before(async () => {
      // No worker yet and room for one waiting ask: the second ask is refused with 429.
      stack = await startTestStack({ workers: 0, env: { MAX_QUEUED_ASKS: '1', CACHE_TTL_S: '0' } });
    });
    after(() => stack.close());

    test('a 429 frees the key: the retry is refused again while full, then accepted as a real ask', async () => {
      const key = `refused-${Date.now()}`;
      // Fill the queue until the gateway refuses (its admission count may be up to 100 ms old while far from full).
      const fillers: string[] = [];
      for (let i = 0; i < 5; i++) {
        await new Promise((r) => setTimeout(r, 150));
        const filler = await submit(stack.url, `hồ sơ mời thầu gồm những gì? ${i}`);
        if (filler.status === 429) break;
        assert.equal(filler.status, 202, JSON.stringify(filler.json));
        fillers.push(filler.json.id);
      }
      assert.ok(fillers.length >= 1 && fillers.length < 5, `the queue filled up (${fillers.length} accepted)`);
      const refused = await submit(stack.url, 'bảo đảm dự thầu là gì?', key);
      assert.equal(refused.status, 429, JSON.stringify(refused.json));
      // Still full: the retry is judged again (a replay would answer 202 with an id that has no job).
      const again = await submit(stack.url, 'bảo đảm dự thầu là gì?', key);
      assert.equal(again.status, 429, JSON.stringify(again.json));

      await stack.addWorker();
      for (const id of fillers) {
        const drained = await api<AskView>(stack.url, `/v1/ask/${id}?wait=30`);
        assert.equal(drained.json.status, 'completed');
      }

      const accepted = await submit(stack.url, 'bảo đảm dự thầu là gì?', key);
      assert.ok(accepted.status === 202 || accepted.status === 200, JSON.stringify(accepted.json));
      const done = await api<AskView>(stack.url, `/v1/ask/${accepted.json.id}?wait=30`);
      assert.equal(done.status, 200, 'the accepted ask exists');
      assert.equal(done.json.status, 'completed');
      const replay = await submit(stack.url, 'bảo đảm dự thầu là gì?', key);
      assert.equal(replay.json.id, accepted.json.id, 'the key now replays the accepted ask');
    });
  });

  describe('coalesced with an identical ask', () => {
    let stack: TestStack;
    before(async () => {
      stack = await startTestStack({ workers: 0 });
    });
    after(() => stack.close());

    test('the key points at the ask that answers it, so the retry gets the same id', async () => {
      const question = 'nhà thầu liên danh cần những giấy tờ gì?';
      const holder = await submit(stack.url, question);
      assert.equal(holder.status, 202);
      const key = `coalesced-${Date.now()}`;
      const joined = await submit(stack.url, question, key);
      assert.equal(joined.status, 202);
      assert.equal(joined.json.id, holder.json.id, 'coalesced onto the ask in flight');
      const retry = await submit(stack.url, question, key);
      assert.equal(retry.json.id, holder.json.id, 'the retry finds the same, real ask');
      const view = await api<AskView>(stack.url, `/v1/ask/${retry.json.id}`);
      assert.equal(view.status, 200);
      assert.equal(view.json.status, 'queued');
    });
  });
});
