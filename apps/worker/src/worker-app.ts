import os from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Worker } from 'bullmq';
import { DEFAULT_METRICS_PORT, type Config } from '@rag/config';
import type { AskResult } from '@rag/contract';
import { assertEmbeddingDim, closePool, createPool, getCorpusVersion, type Pool } from '@rag/db';
import { ExtractorPool } from '@rag/extract';
import { Resources, StartError, listen } from '@rag/lifecycle';
import { createMetrics, StatsWindow, type Logger } from '@rag/observability';
import {
  AnswerCache,
  SingleFlight,
  askJobOptions,
  closeRedis,
  FlushClock,
  createRedis,
  redisKeys,
  seedCorpusVersion,
  startHeartbeat,
  waitForRedis,
  type AskJobData,
  type IngestJobData,
  type IngestJobResult,
  type Redis,
  type RedisKeys,
} from '@rag/queue';
import type { Embedder, Generator } from '@rag/rag';
import { consumeAsks } from './consume-asks.ts';
import { heartbeatFigures } from './heartbeat-figures.ts';
import { extractorPoolOptions, startIngestWorker } from './ingest-worker.ts';
import { closeServer, metricsServer } from './metrics-server.ts';
import { createAskProcessor } from './process-ask.ts';
import { startWebhookWorker } from './webhook-worker.ts';
import { workerProviders } from './worker-providers.ts';
import { ReplicaFreshness } from './replica-freshness.ts';
import { endJobStream, type AnswerStreamDeps } from './answer-stream.ts';

/** How long a starting worker waits for Redis before it gives up with one clear line. */
const REDIS_START_TIMEOUT_MS = 5000;

interface WorkerAppOptions {
  logger: Logger;
  /** Providers to use instead of those the configuration names (tests, benchmarks). */
  embedder?: Embedder;
  generator?: Generator;
}

export interface WorkerApp {
  id: string;
  worker: Worker<AskJobData, AskResult>;
  /** The ingestion worker (absent with INGEST_CONCURRENCY=0). */
  ingestWorker?: Worker<IngestJobData, IngestJobResult>;
  /** The child processes that parse uploaded PDF, DOCX and HTML (absent with INGEST_CONCURRENCY=0). */
  extractors?: ExtractorPool;
  /** http://host:port of this worker's /metrics, /healthz. */
  metricsUrl: string;
  /** Finishes (or after SHUTDOWN_TIMEOUT_MS hands back) active asks, then closes everything. Idempotent. */
  close(): Promise<void>;
}

interface Connections {
  /** DATABASE_URL: the corpus version at start, and retrieval while the replica lags (or when there is none). */
  pool: Pool;
  /** DATABASE_READ_URL's pool when a replica is configured: retrieval reads here. */
  readPool?: Pool;
  /** Commands: cache, flight keys, heartbeat. */
  redis: Redis;
  /** The cancel channel's subscription. */
  subscriber: Redis;
  /** BullMQ's blocking fetches. */
  bullConnection: Redis;
}

/**
 * Builds one worker process from its configuration and starts taking asks, in steps: open connections, check
 * them, serve metrics, consume asks, beat. Everything opened is registered as it opens, so a failed step closes
 * exactly what the steps before it opened, and `close()` is the same walk back.
 */
export async function startWorkerApp(config: Config, opts: WorkerAppOptions): Promise<WorkerApp> {
  const id = `${os.hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const logger = opts.logger.child({ worker: id });
  const keys = redisKeys(config.QUEUE_PREFIX);
  const metrics = createMetrics({ service: 'worker' });
  const opened = new Resources();
  const closeOpened = () => opened.close((name, err) => logger.warn({ err, resource: name }, 'closing failed'));
  try {
    const conns = openConnections(config, opened, logger);
    await checkConnections(config, conns, keys, logger);
    const providers = workerProviders(config, opts, { redis: conns.redis, keys, metrics, logger });
    const stats = new StatsWindow({ windowMs: 60_000 });
    const stream: AnswerStreamDeps = {
      redis: conns.redis,
      keys,
      resultTtlS: config.RESULT_TTL_S,
      clock: new FlushClock({
        periodMs: config.STREAM_FLUSH_MS,
        maxPeriodMs: config.STREAM_FLUSH_MAX_MS,
        budgetPerS: config.STREAM_FLUSH_BUDGET,
      }),
    };
    const retrievalPool = conns.readPool ?? conns.pool;
    const processAsk = createAskProcessor({
      rag: { pool: retrievalPool, ...providers, efSearch: config.HNSW_EF_SEARCH, retrieval: config.RETRIEVAL },
      replica: conns.readPool
        ? new ReplicaFreshness({
            replica: conns.readPool,
            primary: conns.pool,
            redis: conns.redis,
            keys,
            maxWaitMs: config.REPLICA_MAX_WAIT_MS,
            metrics,
            logger,
          })
        : undefined,
      logger,
      metrics,
      stats,
      cache: new AnswerCache({ redis: conns.redis, keys, ttlS: config.CACHE_TTL_S }),
      backoffMs: askJobOptions(config.RESULT_TTL_S).backoff.delay,
      stream,
    });

    let consumer: Awaited<ReturnType<typeof consumeAsks>> | undefined;
    const server = opened.add(
      'metrics server',
      metricsServer({ id, metrics, pool: retrievalPool, running: () => consumer?.worker.isRunning() ?? false }),
      closeServer,
    );
    const metricsPort = config.METRICS_PORT ?? DEFAULT_METRICS_PORT;
    const metricsUrl = await listen(server, {
      port: metricsPort,
      host: config.HOST,
      setting: 'METRICS_PORT',
      fallbackToFreePort: config.METRICS_PORT === undefined,
    });
    if (config.METRICS_PORT === undefined && !metricsUrl.endsWith(`:${metricsPort}`))
      logger.warn(
        { metricsUrl },
        `METRICS_PORT is not set and ${metricsPort} is taken (another worker on this machine?): metrics on ${metricsUrl}`,
      );

    // Registered before the consumer so that shutdown drains the running asks while the heartbeat still reports them.
    const heartbeat = startHeartbeat({
      id,
      redis: conns.redis,
      keys,
      figures: heartbeatFigures({
        pool: retrievalPool,
        poolMax: config.PG_POOL_MAX,
        stats,
        active: () => consumer?.active() ?? 0,
        concurrency: config.WORKER_CONCURRENCY,
        metricsUrl,
      }),
      onError: (err) => logger.debug({ err }, 'heartbeat failed'),
    });
    opened.add('heartbeat', heartbeat, (h) => h.stop());

    // Closed after the consumer: asks that end while it drains still send their webhooks.
    const webhooks = opened.add(
      'webhook worker',
      startWebhookWorker(config, { redis: conns.redis, keys, logger, metrics }),
      (w) => w.close(),
    );

    // Documents, in slots of their own; closed after the ask consumer, in parallel with nothing else to wait for.
    // The parsing children are closed after the ingest worker has finished or handed back its documents.
    const extractors =
      config.INGEST_CONCURRENCY > 0
        ? opened.add('extractor pool', new ExtractorPool(extractorPoolOptions(config)), (p) => p.close())
        : undefined;
    const ingest = extractors
      ? opened.add(
          'ingest worker',
          startIngestWorker(config, { embedder: providers.embedder, redis: conns.redis, keys, logger, extractors }),
          (w) => w.close(),
        )
      : undefined;

    consumer = await consumeAsks(config, {
      processAsk,
      connection: conns.bullConnection,
      subscriber: conns.subscriber,
      keys,
      flights: new SingleFlight({ redis: conns.redis, keys }),
      // Its stream gets its terminal event (the job is final now); its webhook, if any, goes out now.
      onEnded: (job) => {
        endJobStream(stream, job, logger);
        webhooks.askEnded(job);
      },
      metrics,
      stats,
      logger,
    });
    opened.add('ask consumer', consumer, (c) => {
      logger.info('worker stopping: finishing active asks');
      return c.close();
    });

    logger.info(
      {
        concurrency: config.WORKER_CONCURRENCY,
        poolMax: config.PG_POOL_MAX,
        metricsUrl,
        llm: providers.generator.model,
        embeddings: providers.embedder.model,
      },
      'worker started',
    );
    let closing: Promise<void> | undefined;
    const close = () =>
      (closing ??= closeOpened().then(() => {
        logger.info('worker stopped');
      }));
    return { id, worker: consumer.worker, ingestWorker: ingest?.worker, extractors, metricsUrl, close };
  } catch (err) {
    await closeOpened();
    throw err;
  }
}

/**
 * The pools and the three Redis connections, registered to be closed last (they are opened first). pg opens
 * connections on demand, so the primary's pool costs nothing while a replica serves every read. (Ingestion has a
 * pool of its own on the primary: see ingest-worker.ts.)
 */
function openConnections(config: Config, opened: Resources, logger: Logger): Connections {
  const pgPool = (name: string, connectionString: string, applicationName: string) =>
    opened.add(
      name,
      createPool({
        connectionString,
        max: config.PG_POOL_MAX,
        connectionTimeoutMillis: config.PG_CONNECTION_TIMEOUT_MS,
        idleTimeoutMillis: config.PG_IDLE_TIMEOUT_MS,
        statementTimeoutMs: config.PG_STATEMENT_TIMEOUT_MS,
        applicationName,
        logger,
      }),
      closePool,
    );
  const pool = pgPool('pool', config.DATABASE_URL, 'rag-worker');
  const readPool = config.DATABASE_READ_URL
    ? pgPool('read pool', config.DATABASE_READ_URL, 'rag-worker-read')
    : undefined;
  const redis = (name: string) => {
    const c = opened.add(name, createRedis(config, 'blocking'), closeRedis);
    c.on('error', (err) => logger.debug({ err: err.message }, 'redis connection error'));
    return c;
  };
  return {
    pool,
    readPool,
    redis: redis('redis'),
    subscriber: redis('redis subscriber'),
    bullConnection: redis('redis (bullmq)'),
  };
}

/**
 * Fails the start with one clear line when Redis is not reachable or PostgreSQL does not match the configuration;
 * seeds the corpus version the cache keys use, in case Redis lost it (restart without persistence).
 */
async function checkConnections(config: Config, c: Connections, keys: RedisKeys, logger: Logger): Promise<void> {
  await waitForRedis(c.redis, REDIS_START_TIMEOUT_MS);
  const check = async (pool: Pool, setting: string) => {
    try {
      await assertEmbeddingDim(pool, config.EMBEDDING_DIM);
      return await getCorpusVersion(pool);
    } catch (err) {
      if (err instanceof StartError) throw err;
      throw new StartError(`PostgreSQL could not be used (${(err as Error).message}); check ${setting}`, {
        cause: err,
      });
    }
  };
  // The version from the primary: a lagging replica would seed an old one.
  const version = await check(c.pool, 'DATABASE_URL');
  if (c.readPool) await check(c.readPool, 'DATABASE_READ_URL');
  await seedCorpusVersion(c.redis, keys, version);
  try {
    const policy = ((await c.redis.config('GET', 'maxmemory-policy')) as string[])[1];
    if (policy && policy !== 'noeviction') {
      logger.warn(
        { policy },
        `Redis maxmemory-policy is "${policy}": under memory pressure Redis may evict queued asks; set it to noeviction`,
      );
    }
  } catch {
    // Managed Redis services often forbid CONFIG; nothing to check then.
  }
}
