import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { z } from 'zod';
import type { AskView } from '@rag/contract';
import { api } from '@rag/testing';
import type { errorSchema } from '../../apps/gateway/src/openapi/schemas.ts';
import { startTestStack, type TestStack } from '../support/test-stack.ts';

/** The gateway's error answer, as its OpenAPI schema documents it. */
type ErrorBody = z.infer<typeof errorSchema>;

/** Every 4xx of CONTRACT.md, each with the error shape {error: {code, message, details?}}. */
describe('HTTP errors', () => {
  let stack: TestStack;
  before(async () => {
    // No worker: asks stay queued, which is what the 4xx checks need.
    stack = await startTestStack({ workers: 0 });
  });
  after(() => stack.close());

  const assertError = (res: { status: number; json: ErrorBody }, status: number, code: string) => {
    assert.equal(res.status, status, JSON.stringify(res.json));
    assert.equal(res.json.error.code, code);
    assert.equal(typeof res.json.error.message, 'string');
    assert.ok(res.json.error.message.length > 0);
    assert.ok(!/at .*\.ts:\d+/.test(JSON.stringify(res.json)), 'no stack trace in responses');
  };

  const invalid: [string, unknown, string][] = [
    ['missing question', {}, 'question'],
    ['empty question', { question: '   ' }, 'question'],
    ['question too long', { question: 'x'.repeat(4001) }, 'question'],
    ['question not a string', { question: 42 }, 'question'],
    ['bad mode', { question: 'q', mode: 'slow' }, 'mode'],
    ['topK zero', { question: 'q', topK: 0 }, 'topK'],
    ['topK too large', { question: 'q', topK: 21 }, 'topK'],
    ['topK not integer', { question: 'q', topK: 2.5 }, 'topK'],
    ['timeoutMs too small', { question: 'q', timeoutMs: 999 }, 'timeoutMs'],
    ['timeoutMs too large', { question: 'q', timeoutMs: 120001 }, 'timeoutMs'],
    ['documentIds not strings', { question: 'q', filters: { documentIds: [1] } }, 'filters.documentIds.0'],
    ['unknown field', { question: 'q', colour: 'red' }, 'colour'],
    ['array body', [], '(body)'],
  ];
  for (const [name, body, field] of invalid) {
    test(`400 invalid_request naming the field: ${name}`, async () => {
      const res = await api<ErrorBody>(stack.url, '/v1/ask', { method: 'POST', json: body });
      assertError(res, 400, 'invalid_request');
      assert.ok(Array.isArray(res.json.error.details));
      assert.ok(
        res.json.error.details!.some((d) => d.field === field),
        JSON.stringify(res.json.error.details),
      );
    });
  }

  test('400 for malformed JSON', async () => {
    const res = await api<ErrorBody>(stack.url, '/v1/ask', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"question": ',
    });
    assertError(res, 400, 'invalid_request');
  });

  test('413 for a body over 64 KiB', async () => {
    const res = await api<ErrorBody>(stack.url, '/v1/ask', {
      method: 'POST',
      json: { question: 'q', pad: 'x'.repeat(70 * 1024) },
    });
    assertError(res, 413, 'payload_too_large');
  });

  test('415 for a body that is not JSON', async () => {
    const res = await api<ErrorBody>(stack.url, '/v1/ask', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'question=hi',
    });
    assertError(res, 415, 'unsupported_media_type');
  });

  test('404 for an unknown or malformed ask id', async () => {
    assertError(await api(stack.url, '/v1/ask/00000000-0000-0000-0000-000000000000'), 404, 'not_found');
    assertError(await api(stack.url, '/v1/ask/not%20an%20id'), 404, 'not_found');
    assertError(await api(stack.url, '/v1/ask/nope', { method: 'DELETE' }), 404, 'not_found');
  });

  test('400 for a wait over 30 s', async () => {
    const sub = await api<AskView>(stack.url, '/v1/ask', { method: 'POST', json: { question: 'q' } });
    assertError(await api(stack.url, `/v1/ask/${sub.json.id}?wait=31`), 400, 'invalid_request');
    assertError(await api(stack.url, `/v1/ask/${sub.json.id}?wait=abc`), 400, 'invalid_request');
    const pref = await api<ErrorBody>(stack.url, '/v1/ask', {
      method: 'POST',
      headers: { prefer: 'wait=31' },
      json: { question: 'q' },
    });
    assertError(pref, 400, 'invalid_request');
  });

  test('Idempotency-Key: same body gives the same ask, another body 409', async () => {
    const key = `k-${Date.now()}`;
    const a = await api<AskView>(stack.url, '/v1/ask', {
      method: 'POST',
      headers: { 'idempotency-key': key },
      json: { question: 'nhà thầu phụ' },
    });
    const b = await api<AskView>(stack.url, '/v1/ask', {
      method: 'POST',
      headers: { 'idempotency-key': key },
      json: { question: 'nhà thầu phụ' },
    });
    assert.equal(a.status, 202);
    assert.equal(b.status, 202);
    assert.equal(b.json.id, a.json.id);
    const c = await api<ErrorBody>(stack.url, '/v1/ask', {
      method: 'POST',
      headers: { 'idempotency-key': key },
      json: { question: 'something else' },
    });
    assertError(c, 409, 'idempotency_conflict');
    const long = await api<ErrorBody>(stack.url, '/v1/ask', {
      method: 'POST',
      headers: { 'idempotency-key': 'k'.repeat(201) },
      json: { question: 'q' },
    });
    assertError(long, 400, 'invalid_request');
  });

  test('unknown routes give 404 in the error shape', async () => {
    assertError(await api(stack.url, '/v2/nothing'), 404, 'not_found');
  });

  test('the dashboard is not served when no admin credentials are configured', async () => {
    const res = await api(stack.url, '/admin/queues');
    assert.equal(res.status, 404);
  });
});
