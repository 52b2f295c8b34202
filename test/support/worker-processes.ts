import { startGatewayApp, type GatewayApp } from '@rag/gateway';
import {
  createTestDatabase,
  deletePrefix,
  ingestInto,
  REDIS_URL,
  startProcess,
  testConfig,
  testLogger,
  uniquePrefix,
  type Proc,
  type TestDatabase,
} from '@rag/testing';

/** A gateway in this process and workers as real processes (so a test can kill them), on their own database. */
export interface WorkerProcessStack {
  db: TestDatabase;
  gateway: GatewayApp;
  prefix: string;
  /** The environment every worker gets (and the gateway's configuration was built from). */
  env: Record<string, string>;
  /** Every worker started so far, stopped or not. */
  workers: Proc[];
  /** Starts `apps/worker/src/main.ts` as a process with `env` plus `extra`; resolves once it says it started. */
  startWorker(name: string, extra?: Record<string, string>): Promise<Proc>;
  /** Kills the workers (-9), closes the gateway, deletes the queue prefix and drops the database. Idempotent. */
  close(): Promise<void>;
}

/**
 * The set-up the fault tests share: a fresh database (with `ingest` loaded), a unique queue prefix named after
 * `name`, and a gateway listening on loopback with the given environment on top of the database, Redis, prefix,
 * `METRICS_PORT=0`, `HOST=127.0.0.1` and `LOG_LEVEL=info`. No worker is started: the test starts each by name.
 */
export async function startWorkerProcesses(opts: {
  name: string;
  env?: Record<string, string>;
  ingest?: string[];
}): Promise<WorkerProcessStack> {
  const db = await createTestDatabase();
  const prefix = uniquePrefix(opts.name);
  const workers: Proc[] = [];
  let gateway: GatewayApp | undefined;
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await Promise.all(workers.map((w) => w.stop('SIGKILL')));
      await gateway?.close();
      await deletePrefix(prefix);
      await db.drop();
    })());
  const env: Record<string, string> = {
    DATABASE_URL: db.url,
    REDIS_URL,
    QUEUE_PREFIX: prefix,
    METRICS_PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    ...opts.env,
  };
  try {
    if (opts.ingest?.length) await ingestInto(db.url, opts.ingest);
    gateway = await startGatewayApp(testConfig(env), { logger: testLogger() });
    await gateway.events.waitUntilReady();
  } catch (err) {
    await close();
    throw err;
  }
  return {
    db,
    gateway,
    prefix,
    env,
    workers,
    async startWorker(name, extra = {}) {
      const w = await startProcess(name, 'apps/worker/src/main.ts', { ...env, ...extra });
      workers.push(w);
      return w;
    },
    close,
  };
}
