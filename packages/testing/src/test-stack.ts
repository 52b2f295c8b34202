import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { loadConfig, type Config } from '@rag/config';
import { closePool, createPool } from '@rag/db';
import { ingestPaths } from '@rag/ingest';
import { createLogger, type Logger } from '@rag/observability';
import { redisKeys } from '@rag/queue';
import { HashEmbeddings, type Embedder, type Generator } from '@rag/rag';
import { startGatewayApp, type GatewayApp } from '@rag/gateway';
import { startWorkerApp, type WorkerApp } from '@rag/worker';
import { createTestDatabase, type TestDatabase } from './test-database.ts';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export function uniquePrefix(tag = 't'): string {
  return `ragtest-${tag}-${randomBytes(4).toString('hex')}`;
}

/** Deletes every key under a prefix (SCAN, not KEYS, so a shared Redis is not blocked). */
export async function deletePrefix(prefix: string, url = REDIS_URL): Promise<void> {
  const r = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await r.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}

export function testConfig(env: Record<string, string | undefined>): Config {
  return loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    METRICS_PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    REDIS_URL,
    ...env,
  });
}

export function testLogger(name = 'test'): Logger {
  return createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent', name });
}

/** Ingests files into a test database with the default hash embeddings. */
export async function ingestInto(databaseUrl: string, paths: string[], embedder: Embedder = new HashEmbeddings(384)) {
  const pool = createPool({
    connectionString: databaseUrl,
    max: 4,
    connectionTimeoutMillis: 5000,
    statementTimeoutMs: 60000,
  });
  try {
    return await ingestPaths(paths, { pool, embedder, chunkSize: 800, chunkOverlap: 120, batchSize: 64 });
  } finally {
    await closePool(pool);
  }
}

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
}): Promise<TestStack> {
  const db = opts.db ?? (await createTestDatabase());
  const prefix = uniquePrefix();
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

/** JSON over fetch with the status and headers kept. */
export async function api(base: string, path: string, init: RequestInit & { json?: unknown } = {}) {
  const headers = new Headers(init.headers);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set('content-type', 'application/json');
    body = JSON.stringify(init.json);
  }
  const res = await fetch(`${base}${path}`, { ...init, headers, body });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}

export { redisKeys };
