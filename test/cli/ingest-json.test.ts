import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { IngestSummary } from '@rag/ingest';
import { createTestDatabase, ROOT, uniquePrefix, deletePrefix, REDIS_URL, type TestDatabase } from '@rag/testing';

const run = promisify(execFile);
const FIXTURES = path.join(ROOT, 'test/fixtures/procurement');

/** `npm run ingest -- --json`: the summary as one JSON object, what scripts and the bench read. */
describe('ingest CLI --json', () => {
  let db: TestDatabase;
  const prefix = uniquePrefix('cli');
  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => {
    await deletePrefix(prefix);
    await db.drop();
  });

  const ingest = async () => {
    const { stdout } = await run(process.execPath, [path.join(ROOT, 'apps/cli/src/ingest.ts'), '--json', FIXTURES], {
      env: { ...process.env, DATABASE_URL: db.url, REDIS_URL, QUEUE_PREFIX: prefix, LOG_LEVEL: 'warn' },
    });
    return JSON.parse(stdout) as IngestSummary;
  };

  test('prints the summary as JSON, and a second run finds every file unchanged', async () => {
    const first = await ingest();
    assert.equal(first.files, 3);
    assert.equal(first.documents, 3);
    assert.equal(first.unchanged, 0);
    assert.ok(first.chunks >= 3, `chunks ${first.chunks}`);
    assert.ok(first.corpusVersion >= 1);
    const second = await ingest();
    assert.deepEqual(
      { documents: second.documents, unchanged: second.unchanged, chunks: second.chunks },
      { documents: 0, unchanged: 3, chunks: 0 },
    );
  });
});
