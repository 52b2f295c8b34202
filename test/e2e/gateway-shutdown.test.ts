import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AskView } from '@rag/contract';
import { api } from '@rag/testing';
import { startTestStack } from '../support/test-stack.ts';

test('gateway shutdown answers pending long-polls at once with the current status, then refuses new connections', async () => {
  const stack = await startTestStack({ workers: 0 });
  try {
    const sub = await api<AskView>(stack.url, '/v1/ask', { method: 'POST', json: { question: 'nhà thầu' } });
    assert.equal(sub.status, 202);
    const t0 = performance.now();
    const pending = api<AskView>(stack.url, `/v1/ask/${sub.json.id}?wait=25`);
    await new Promise((r) => setTimeout(r, 200));
    const closing = stack.gateway.close();
    const res = await pending;
    assert.equal(res.status, 200);
    assert.equal(res.json.status, 'queued', 'the ask is still there for any other gateway to serve');
    // The long-poll asked to wait 25 s; answered at shutdown means long before that (a bound no loaded machine nears).
    assert.ok(performance.now() - t0 < 15_000, 'answered at shutdown, not at the end of the wait');
    await closing;
    await assert.rejects(fetch(`${stack.url}/healthz`));
    await stack.gateway.close(); // idempotent
  } finally {
    await stack.close();
  }
});
