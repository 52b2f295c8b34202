import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { DEFAULT_METRICS_PORT } from '@rag/config';
import {
  createTestDatabase,
  deletePrefix,
  REDIS_URL,
  startProcess,
  uniquePrefix,
  type Proc,
  type TestDatabase,
} from '@rag/testing';

/** A second `npm run start:worker` on one machine: the default metrics port is taken by the first. */
describe('worker metrics port when METRICS_PORT is not set', () => {
  let db: TestDatabase;
  let holder: net.Server | undefined;
  const prefix = uniquePrefix('mport');
  let worker: Proc | undefined;

  before(async () => {
    db = await createTestDatabase();
    // Hold the default port like a first worker would; if something on this machine already holds it, so much the
    // better: the precondition is the same.
    holder = net.createServer();
    await new Promise<void>((resolve) => {
      holder!.once('error', () => {
        holder = undefined;
        resolve();
      });
      holder!.listen(DEFAULT_METRICS_PORT, '0.0.0.0', () => resolve());
    });
  });
  after(async () => {
    await worker?.stop();
    if (holder) await new Promise((resolve) => holder!.close(resolve));
    await deletePrefix(prefix);
    await db.drop();
  });

  test('takes a free port, says which, and serves /healthz there', async () => {
    const env: Record<string, string> = { DATABASE_URL: db.url, REDIS_URL, QUEUE_PREFIX: prefix, LOG_LEVEL: 'info' };
    assert.equal(process.env.METRICS_PORT, undefined, 'this test needs METRICS_PORT unset');
    worker = await startProcess('worker', 'apps/worker/src/main.ts', env);
    const line = worker
      .output()
      .split('\n')
      .find((l) => l.includes('METRICS_PORT is not set'));
    assert.ok(line, `no line about the metrics port in:\n${worker.output()}`);
    const url = JSON.parse(line).metricsUrl as string;
    assert.notEqual(new URL(url).port, String(DEFAULT_METRICS_PORT));
    const health = await fetch(`${url}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { status: string }).status, 'ok');
  });
});
