import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AskView } from '@rag/contract';
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { api, createTestDatabase, type TestDatabase } from '@rag/testing';
import { startTestStack, type TestStack } from '../support/test-stack.ts';
import { createLogger } from '@rag/observability';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const KEY = 'test-key-0123456789';

describe('security: API keys, dashboard auth, rate limits, headers', () => {
  let stack: TestStack;
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase();
    stack = await startTestStack({
      workers: 0,
      db,
      env: {
        API_KEY_HASHES: `${sha('other-key')},${sha(KEY)}`,
        ADMIN_USER: 'admin',
        ADMIN_PASSWORD: 's3cret',
        ADMIN_READ_ONLY: 'true',
        RATE_LIMIT_PER_MIN: '5',
        CORS_ORIGINS: 'https://app.example',
      },
    });
  });
  after(async () => {
    await stack.close();
    await db.drop();
  });

  test('/v1 requires a configured API key (Bearer or X-API-Key); health stays open', async () => {
    const none = await api<AskView>(stack.url, '/v1/ask', { method: 'POST', json: { question: 'q' } });
    assert.equal(none.status, 401);
    assert.equal(none.json.error!.code, 'unauthorized');
    const wrong = await api<AskView>(stack.url, '/v1/ask', {
      method: 'POST',
      headers: { authorization: 'Bearer nope' },
      json: { question: 'q' },
    });
    assert.equal(wrong.status, 401);
    const bearer = await api<AskView>(stack.url, '/v1/ask', {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}` },
      json: { question: 'q1' },
    });
    assert.equal(bearer.status, 202);
    const header = await api<AskView>(stack.url, `/v1/ask/${bearer.json.id}`, { headers: { 'x-api-key': KEY } });
    assert.equal(header.status, 200);
    assert.equal((await api(stack.url, '/healthz')).status, 200);
  });

  test('rate limit per client: the 6th ask in a minute is refused with 429 rate_limited and Retry-After', async () => {
    const k = 'other-key';
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof api<{ error: { code: string } }>>> | undefined;
    for (let i = 0; i < 6; i++) {
      last = await api(stack.url, '/v1/ask', {
        method: 'POST',
        headers: { authorization: `Bearer ${k}` },
        json: { question: `rl ${i}` },
      });
      statuses.push(last.status);
    }
    assert.deepEqual(statuses, [202, 202, 202, 202, 202, 429]);
    assert.equal(last!.json.error!.code, 'rate_limited');
    assert.ok(Number(last!.headers.get('retry-after')) >= 1);
  });

  test('the dashboard needs basic auth', async () => {
    assert.equal((await api(stack.url, '/admin/queues')).status, 401);
    const bad = await api(stack.url, '/admin/queues', {
      headers: { authorization: `Basic ${Buffer.from('admin:wrong').toString('base64')}` },
    });
    assert.equal(bad.status, 401);
    const ok = await api(stack.url, '/admin/queues', {
      headers: { authorization: `Basic ${Buffer.from('admin:s3cret').toString('base64')}` },
    });
    assert.equal(ok.status, 200);
    assert.match(ok.text, /<html/i);
    assert.equal((await api(stack.url, '/monitoring/pool-status')).status, 401, 'monitoring is behind the same auth');
  });

  test('security headers, CORS allow-list, no x-powered-by', async () => {
    const res = await api(stack.url, '/healthz', { headers: { origin: 'https://app.example' } });
    assert.equal(res.headers.get('x-powered-by'), null);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('access-control-allow-origin'), 'https://app.example');
    const evil = await api(stack.url, '/healthz', { headers: { origin: 'https://evil.example' } });
    assert.equal(evil.headers.get('access-control-allow-origin'), null);
  });
});

describe('log redaction', () => {
  test('authorization headers and keys never reach the log', () => {
    let out = '';
    const sink = new Writable({
      write(chunk, _enc, cb) {
        out += chunk.toString();
        cb();
      },
    });
    const log = createLogger({ level: 'info', name: 't', destination: sink as never });
    log.info(
      {
        req: { headers: { authorization: `Bearer ${KEY}`, 'x-api-key': KEY } },
        config: { apiKey: KEY, password: 'p' },
      },
      'hello',
    );
    assert.ok(!out.includes(KEY), out);
    assert.ok(!out.includes('"p"'));
    assert.match(out, /\[redacted\]/);
  });
});

describe('fuzzing the request schema (fast-check)', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startTestStack({ workers: 0, env: { RATE_LIMIT_PER_MIN: '0' } });
  });
  after(() => stack.close());

  test('every malformed body gets a 4xx in the error shape, never a 500', async () => {
    const validQuestion = fc.string({ minLength: 1, maxLength: 50 }).filter((s) => s.trim().length > 0);
    const malformed = fc.oneof(
      fc.anything(),
      fc.record({ question: fc.anything() }, { requiredKeys: [] }),
      fc.record({
        question: validQuestion,
        topK: fc.oneof(fc.integer({ min: -5, max: 0 }), fc.integer({ min: 21, max: 1e6 }), fc.double(), fc.string()),
      }),
      fc.record({ question: validQuestion, mode: fc.string().filter((s) => s !== 'fast' && s !== 'quality') }),
      fc.record({
        question: validQuestion,
        timeoutMs: fc.oneof(fc.integer({ max: 999 }), fc.integer({ min: 120001 }), fc.string()),
      }),
      fc.record({
        question: validQuestion,
        filters: fc.oneof(fc.anything(), fc.record({ documentIds: fc.oneof(fc.anything(), fc.array(fc.integer())) })),
      }),
      fc
        .dictionary(
          fc
            .string({ minLength: 1, maxLength: 8 })
            .filter((k) => !['question', 'mode', 'topK', 'filters', 'timeoutMs'].includes(k)),
          fc.anything(),
          { minKeys: 1 },
        )
        .map((extra) => ({ question: 'q', ...extra })),
    );
    await fc.assert(
      fc.asyncProperty(malformed, async (body) => {
        const res = await api<AskView>(stack.url, '/v1/ask', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body) ?? 'undefined',
        });
        if (res.status === 202) return; // fast-check found a valid body; that's fine
        assert.ok(res.status >= 400 && res.status < 500, `status ${res.status} for ${JSON.stringify(body)}`);
        assert.equal(typeof res.json?.error?.code, 'string');
        assert.equal(typeof res.json?.error?.message, 'string');
      }),
      { numRuns: 300 },
    );
  });

  test('arbitrary bytes as the body get 400, never a 500', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), async (bytes) => {
        const res = await fetch(`${stack.url}/v1/ask`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: bytes,
        });
        const json = (await res.json()) as { error: { code: string } };
        assert.ok(res.status === 400 || res.status === 202, `status ${res.status}`);
        if (res.status === 400) assert.equal(json.error.code, 'invalid_request');
      }),
      { numRuns: 200 },
    );
  });
});
