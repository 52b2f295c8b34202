import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { closePool, createPool, type Pool } from '@rag/db';
import {
  createTestDatabase,
  deletePrefix,
  gatewayUrl,
  REDIS_URL,
  startProcess,
  testLogger,
  uniquePrefix,
  uploadDocument,
  waitUntil,
  type Proc,
  type TestDatabase,
} from '@rag/testing';
import { sweepAbandonedUploads } from '@rag/worker';

const MiB = 1024 * 1024;

/**
 * A gateway killed while an upload streams into PostgreSQL leaves a large object that no version points at (the
 * version row is written only when the upload ends). The worker's ingest sweep removes such bytes once they have
 * stayed unreferenced for longer than any upload can last, and never touches an upload that got its version.
 */
describe('fault: a gateway killed mid-upload', () => {
  let db: TestDatabase;
  let client: Pool;
  let gateway: Proc | undefined;
  const prefix = uniquePrefix('upload-crash');
  const env = () => ({
    DATABASE_URL: db.url,
    REDIS_URL,
    QUEUE_PREFIX: prefix,
    INGEST_CONCURRENCY: '0',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
  });
  const largeObjects = async () =>
    (await client.query<{ oid: string }>('SELECT oid::text FROM pg_largeobject_metadata ORDER BY oid')).rows.map((r) =>
      Number(r.oid),
    );

  before(async () => {
    db = await createTestDatabase();
    client = createPool({
      connectionString: db.url,
      max: 2,
      connectionTimeoutMillis: 10_000,
      statementTimeoutMs: 30_000,
    });
  });
  after(async () => {
    await gateway?.stop('SIGKILL');
    if (client) await closePool(client);
    await deletePrefix(prefix);
    await db?.drop();
  });

  test('its partial bytes are swept once abandoned; a completed upload keeps its bytes', async () => {
    gateway = await startProcess('gateway', 'apps/gateway/src/main.ts', env());
    const url = new URL(gatewayUrl(gateway));

    // A completed upload: its bytes are referenced by its version and must survive every sweep.
    const done = await uploadDocument(url.origin, { fileName: 'giu-lai.md', content: '# Giữ lại\n\nNội dung.\n' });
    assert.equal(done.status, 202, done.text);
    const kept = await largeObjects();
    assert.equal(kept.length, 1);

    // A large upload that sends 3 MiB (the gateway writes each MiB as it arrives) and then stalls.
    const boundary = 'ragcrashtestboundary';
    const req = http.request(url.origin + '/v1/documents', {
      method: 'POST',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    });
    req.on('error', () => {}); // the gateway dies under it
    req.write(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="lon.txt"\r\n` +
        'Content-Type: text/plain\r\n\r\n',
    );
    req.write(Buffer.alloc(3 * MiB, 'Hồ sơ mời thầu. '));
    await waitUntil(async () => (await largeObjects()).length === 2, { timeoutMs: 60_000 });
    await gateway.stop('SIGKILL');
    req.destroy();
    const partial = (await largeObjects()).filter((oid) => !kept.includes(oid));
    assert.equal(partial.length, 1, 'the killed upload left its partial bytes behind');

    const seen = new Map<number, number>();
    const logger = testLogger();
    const t0 = Date.now();
    // First pass: noted, not removed (it could be an upload still streaming in).
    assert.deepEqual(await sweepAbandonedUploads(client, seen, { abandonedAfterMs: 600_000, logger, now: t0 }), []);
    assert.deepEqual(await largeObjects(), [...kept, ...partial]);
    // Still within the bound: kept.
    const early = await sweepAbandonedUploads(client, seen, { abandonedAfterMs: 600_000, logger, now: t0 + 599_000 });
    assert.deepEqual(early, []);
    // Unreferenced for the whole bound: removed; the completed upload's bytes stay.
    const late = await sweepAbandonedUploads(client, seen, { abandonedAfterMs: 600_000, logger, now: t0 + 600_000 });
    assert.deepEqual(late, partial);
    assert.deepEqual(await largeObjects(), kept);
    assert.equal(seen.size, 0);
  });
});
