import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../src/index.ts';

describe('configuration', () => {
  test('defaults follow CONTRACT.md', () => {
    const c = loadConfig({});
    assert.equal(c.PORT, 8000);
    assert.equal(c.REDIS_URL, 'redis://127.0.0.1:6379');
    assert.equal(c.QUEUE_PREFIX, 'rag');
    assert.equal(c.EMBEDDINGS_PROVIDER, 'hash');
    assert.equal(c.LLM_PROVIDER, 'extractive');
    assert.equal(c.ASK_TIMEOUT_MS, 30000);
    assert.equal(c.RESULT_TTL_S, 3600);
    assert.equal(c.LOG_LEVEL, 'info');
    assert.ok(c.WORKER_CONCURRENCY >= 1);
    assert.ok(c.PG_POOL_MAX >= 2 && c.PG_POOL_MAX <= c.WORKER_CONCURRENCY);
    assert.match(c.DATABASE_URL, /\/rag$/);
  });
  test('empty strings count as unset', () => {
    assert.equal(loadConfig({ PORT: '' }).PORT, 8000);
  });
  const bad: [Record<string, string>, RegExp][] = [
    [{ PORT: 'eighty' }, /^Invalid configuration: PORT: .*"eighty"/],
    [{ PORT: '70000' }, /PORT/],
    [{ REDIS_URL: 'localhost:6379' }, /REDIS_URL: must be a URL/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL/],
    [{ LLM_PROVIDER: 'gpt' }, /LLM_PROVIDER/],
    [{ LLM_PROVIDER: 'openai' }, /OPENAI_API_KEY: required/],
    [{ WORKER_CONCURRENCY: '0' }, /WORKER_CONCURRENCY/],
    [{ ASK_TIMEOUT_MS: '10' }, /ASK_TIMEOUT_MS/],
    [{ ADMIN_USER: 'admin' }, /ADMIN_PASSWORD/],
    [{ API_KEY_HASHES: 'secret' }, /API_KEY_HASHES/],
    [{ API_KEY_HASHES: `${'a'.repeat(64)}:admin` }, /API_KEY_HASHES: the scope/],
    [{ API_KEY_HASHES: `${'a'.repeat(64)}:ask:bad name` }, /API_KEY_HASHES: collections/],
    [{ API_KEY_HASHES: `${'a'.repeat(64)}:ask:a:b` }, /API_KEY_HASHES: too many/],
    [{ MAX_UPLOAD_BYTES: '0' }, /MAX_UPLOAD_BYTES/],
    [{ INGEST_CONCURRENCY: '-1' }, /INGEST_CONCURRENCY/],
    [{ QUEUE_PREFIX: 'has space' }, /QUEUE_PREFIX/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
    [{ REDIS_CLUSTER_NODES: '127.0.0.1' }, /REDIS_CLUSTER_NODES: must be comma-separated host:port/],
    [{ REDIS_CLUSTER_NODES: '127.0.0.1:7000' }, /QUEUE_PREFIX: must carry a hash tag on Redis Cluster.*"\{rag\}"/],
    [{ REDIS_CLUSTER_NODES: '127.0.0.1:7000', QUEUE_PREFIX: 'rag{}' }, /QUEUE_PREFIX: must carry a hash tag/],
    [{ WEBHOOK_SECRET: 'hunter2' }, /^Invalid configuration: WEBHOOK_SECRET: must be "whsec_"/],
    [{ WEBHOOK_SECRET: 'whsec_c2hvcnQ=' }, /WEBHOOK_SECRET: .*24-64/],
    [{ WEBHOOK_SECRET: 'whsec_not base64 at all!!' }, /WEBHOOK_SECRET/],
    [{ WEBHOOK_ALLOW_PRIVATE: 'maybe' }, /WEBHOOK_ALLOW_PRIVATE/],
    [{ WEBHOOK_BACKOFF_MS: '5' }, /WEBHOOK_BACKOFF_MS/],
  ];
  for (const [env, message] of bad) {
    test(`rejects ${JSON.stringify(env)} with one line naming the variable`, () => {
      assert.throws(
        () => loadConfig(env),
        (err: Error) => {
          assert.ok(err instanceof ConfigError);
          assert.match(err.message, message);
          assert.ok(!err.message.includes('\n'));
          return true;
        },
      );
    });
  }
  test('webhooks: off by default, a whsec_ key accepted, a bad one refused without echoing it', () => {
    const d = loadConfig({});
    assert.equal(d.WEBHOOK_SECRET, undefined);
    assert.equal(d.WEBHOOK_ALLOW_PRIVATE, false);
    const key = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    const c = loadConfig({ WEBHOOK_SECRET: key, WEBHOOK_ALLOW_PRIVATE: 'true' });
    assert.equal(c.WEBHOOK_SECRET, key);
    assert.equal(c.WEBHOOK_ALLOW_PRIVATE, true);
    assert.throws(
      () => loadConfig({ WEBHOOK_SECRET: 'whsec_sUpErSeCrEt' }),
      (err: Error) => !err.message.includes('sUpErSeCrEt'),
    );
  });
  test('API keys: a bare digest may do everything; scopes limit to asking and to collections', () => {
    const a = 'a'.repeat(64);
    const b = 'B'.repeat(64);
    const c = loadConfig({ API_KEY_HASHES: `${a}, ${b}:ask:hr|legal ,${'c'.repeat(64)}:write` });
    assert.deepEqual(c.API_KEYS, [
      { hash: a, write: true, collections: null },
      { hash: 'b'.repeat(64), write: false, collections: ['hr', 'legal'] },
      { hash: 'c'.repeat(64), write: true, collections: null },
    ]);
    assert.deepEqual(c.API_KEY_HASHES, [a, 'b'.repeat(64), 'c'.repeat(64)]);
    assert.deepEqual(loadConfig({}).API_KEYS, []);
  });
  test('a cluster: seed nodes as a list, a hash-tagged prefix', () => {
    const c = loadConfig({ REDIS_CLUSTER_NODES: '127.0.0.1:7000, 127.0.0.1:7001', QUEUE_PREFIX: '{rag}' });
    assert.deepEqual(c.REDIS_CLUSTER_NODES, ['127.0.0.1:7000', '127.0.0.1:7001']);
    assert.equal(loadConfig({}).REDIS_CLUSTER_NODES, undefined);
  });
  test('a keyless local OpenAI-compatible endpoint is fine', () => {
    const c = loadConfig({ LLM_PROVIDER: 'openai', OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1' });
    assert.equal(c.LLM_PROVIDER, 'openai');
    assert.equal(c.WORKER_CONCURRENCY, 32);
  });
});
