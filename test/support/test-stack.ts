import type { Config } from '@rag/config';
import { startGatewayApp, type GatewayApp } from '@rag/gateway';
import type { Generator } from '@rag/rag';
import {
  createTestDatabase,
  deletePrefix,
  ingestInto,
  testConfig,
  testLogger,
  uniquePrefix,
  type TestDatabase,
} from '@rag/testing';
import { startWorkerApp, type WorkerApp } from '@rag/worker';

// The composition of the apps for tests lives here, beside the tests, not in packages/testing: packages never
// depend on apps (test/structure/layering.test.ts checks it).

export interface TestStack {
  url: string;
  config: Config;
  db: TestDatabase;
  prefix: string;
  gateway: GatewayApp;
  workers: WorkerApp[];
  addWorker(env?: Record<string, string>): Promise<WorkerApp>;
  close(): Promise<void>;
}

/**
 * A gateway and N workers in this process, on a database and Redis prefix of their own.
 * `generator` replaces the configured LLM (e.g. a slow one); `env` overrides configuration.
 */
export async function startTestStack(opts: {
  workers?: number;
  env?: Record<string, string>;
  ingest?: string[];
  generator?: Generator;
  db?: TestDatabase;
  /** QUEUE_PREFIX (default: a unique one); a Redis Cluster needs a hash-tagged one. */
  prefix?: string;
}): Promise<TestStack> {
  const db = opts.db ?? (await createTestDatabase());
  const prefix = opts.prefix ?? uniquePrefix();
  const config = testConfig({ DATABASE_URL: db.url, QUEUE_PREFIX: prefix, ...opts.env });
  if (opts.ingest?.length) await ingestInto(db.url, opts.ingest);
  const logger = testLogger();
  const workers: WorkerApp[] = [];
  const addWorker = async (env: Record<string, string> = {}) => {
    const c = Object.keys(env).length
      ? testConfig({ DATABASE_URL: db.url, QUEUE_PREFIX: prefix, ...opts.env, ...env })
      : config;
    const w = await startWorkerApp(c, { logger, generator: opts.generator });
    workers.push(w);
    return w;
  };
  for (let i = 0; i < (opts.workers ?? 1); i++) await addWorker();
  const gateway = await startGatewayApp(config, { logger });
  await gateway.events.waitUntilReady();
  let closing: Promise<void> | undefined;
  return {
    url: gateway.url,
    config,
    db,
    prefix,
    gateway,
    workers,
    addWorker,
    close: () =>
      (closing ??= (async () => {
        await gateway.close();
        await Promise.all(workers.map((w) => w.close()));
        await deletePrefix(prefix);
        if (!opts.db) await db.drop();
      })()),
  };
}
