import http from 'node:http';
import os from 'node:os';
import { randomUUID } from 'node:crypto';
import { Worker } from 'bullmq';
import type { Config } from '@rag/config';
import { closePool, createPool, getCorpusVersion, assertEmbeddingDim } from '@rag/db';
import { createMetrics, StatsWindow, type Logger } from '@rag/observability';
import {
  BreakerEmbedder,
  BreakerGenerator,
  CachedEmbedder,
  createBreaker,
  createEmbedder,
  createGenerators,
  type Embedder,
  type Generator,
} from '@rag/rag';
import type { AskResult } from '@rag/contract';
import {
  ASK_QUEUE,
  AnswerCache,
  SingleFlight,
  askJobOptions,
  closeRedis,
  createRedis,
  parseFailure,
  redisKeys,
  seedCorpusVersion,
  startHeartbeat,
  type AskJobData,
} from '@rag/queue';
import { heartbeatFigures } from './heartbeat-figures.ts';
import { createAskProcessor, SHUTDOWN_REASON } from './process-ask.ts';
import { startWebhookWorker } from './webhook-worker.ts';

export interface WorkerAppOptions {
  logger: Logger;
  /** Providers to use instead of those the configuration names (tests, benchmarks). */
  embedder?: Embedder;
  generator?: Generator;
}

export interface WorkerApp {
  id: string;
  worker: Worker<AskJobData, AskResult>;
  /** http://host:port of this worker's /metrics, /healthz. */
  metricsUrl: string;
  /** Finishes (or after SHUTDOWN_TIMEOUT_MS hands back) active asks, then closes everything. Idempotent. */
  close(): Promise<void>;
}

/** Builds one worker process's parts from its configuration and starts taking asks. */
export async function startWorkerApp(config: Config, opts: WorkerAppOptions): Promise<WorkerApp> {
  const id = `${os.hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const logger = opts.logger.child({ worker: id });
  const keys = redisKeys(config.QUEUE_PREFIX);
  const metrics = createMetrics({ service: 'worker' });
  const pool = createPool({
    connectionString: config.DATABASE_READ_URL ?? config.DATABASE_URL,
    max: config.PG_POOL_MAX,
    connectionTimeoutMillis: config.PG_CONNECTION_TIMEOUT_MS,
    idleTimeoutMillis: config.PG_IDLE_TIMEOUT_MS,
    statementTimeoutMs: config.PG_STATEMENT_TIMEOUT_MS,
    applicationName: 'rag-worker',
    logger,
  });
  const redis = createRedis(config.REDIS_URL, 'blocking');
  const subscriber = createRedis(config.REDIS_URL, 'blocking');
  const bullConnection = createRedis(config.REDIS_URL, 'blocking');
  for (const c of [redis, subscriber, bullConnection])
    c.on('error', (err) => logger.debug({ err: err.message }, 'redis connection error'));

  // Network providers sit behind circuit breakers: when an endpoint keeps failing, asks fail fast (or degrade).
  const breaker = (name: string) =>
    createBreaker({
      threshold: config.CIRCUIT_THRESHOLD,
      halfOpenAfterMs: config.CIRCUIT_HALF_OPEN_MS,
      onState: (state) => {
        metrics.circuitState.set({ name }, state);
        if (state === 2) logger.warn({ dependency: name }, 'circuit open: failing fast');
      },
    });
  let embedder = opts.embedder ?? createEmbedder(config);
  if (!opts.embedder && config.EMBEDDINGS_PROVIDER === 'openai') {
    // A paid embedding call per question is worth a Redis GET to avoid; hashing locally is cheaper than the GET.
    embedder = new CachedEmbedder(new BreakerEmbedder(embedder, breaker('embeddings')), {
      kv: redis,
      key: keys.embedding,
      ttlS: Math.max(config.CACHE_TTL_S, 86400),
      onLookup: (hit) => metrics.cacheRequests.inc({ cache: 'embedding', result: hit ? 'hit' : 'miss' }),
    });
  }
  const generators = opts.generator ? { generator: opts.generator } : createGenerators(config);
  if (!opts.generator && config.LLM_PROVIDER === 'openai')
    generators.generator = new BreakerGenerator(generators.generator, breaker('llm'));
  const cache = new AnswerCache({ redis, keys, ttlS: config.CACHE_TTL_S });
  const flights = new SingleFlight({ redis, keys });

  await checkStartup(config, { pool, redis, keys, logger });

  const backoffMs = askJobOptions(config.RESULT_TTL_S).backoff.delay;
  const stats = new StatsWindow({ windowMs: 60_000 });
  const processAsk = createAskProcessor({
    rag: { pool, embedder, ...generators, efSearch: config.HNSW_EF_SEARCH },
    logger,
    metrics,
    stats,
    onResult: (data, result) => cache.store(data.cacheKey, result),
    backoffMs,
  });
  let active = 0;
  const processor: typeof processAsk = async (job, token, signal) => {
    metrics.slotsInUse.set(++active);
    try {
      return await processAsk(job, token, signal);
    } finally {
      metrics.slotsInUse.set(--active);
    }
  };
  const worker = new Worker<AskJobData, AskResult>(ASK_QUEUE, processor, {
    connection: bullConnection,
    prefix: config.QUEUE_PREFIX,
    concurrency: config.WORKER_CONCURRENCY,
    lockDuration: config.WORKER_LOCK_DURATION_MS,
    stalledInterval: config.WORKER_LOCK_DURATION_MS,
    maxStalledCount: 2,
    autorun: true,
  });
  worker.on('error', (err) => logger.warn({ err: err.message }, 'worker error'));
  const webhooks = startWebhookWorker(config, { redis, keys, logger });
  // The ask is over: identical asks from now on start their own (or hit the cache), unless another took the key;
  // its webhook, if any, goes out now.
  const endFlight = (job: { id?: string; data: AskJobData }) => {
    if (job.data.flightKey) void flights.release(job.data.flightKey, job.id!);
    webhooks.askEnded(job);
  };
  worker.on('completed', (job) => {
    endFlight(job);
    stats.record('outcome:completed', 1);
    metrics.asksFinished.inc({ outcome: 'completed', code: '' });
    metrics.askDuration.observe({ outcome: 'completed' }, (Date.now() - job.data.createdAt) / 1000);
  });
  worker.on('failed', (job, err) => {
    if (!job || job.finishedOn === undefined) return; // a retry is coming, not an outcome
    endFlight(job);
    const { code } = parseFailure(err.message);
    const outcome = code === 'cancelled' ? 'cancelled' : 'failed';
    stats.record(`outcome:${code}`, 1);
    metrics.asksFinished.inc({ outcome, code });
    metrics.askDuration.observe({ outcome }, (Date.now() - job.data.createdAt) / 1000);
  });

  // Cancels reach every worker; only the one running the ask has it (cancelJob is a no-op elsewhere).
  await subscriber.subscribe(keys.cancelChannel);
  subscriber.on('message', (_channel, askId: string) => {
    if (worker.cancelJob(askId, 'cancelled')) logger.info({ askId }, 'cancelling running ask');
  });

  metrics.slotsTotal.set(config.WORKER_CONCURRENCY);
  const sampleGauges = () => {
    metrics.pgPool.set({ state: 'total' }, pool.totalCount);
    metrics.pgPool.set({ state: 'idle' }, pool.idleCount);
    metrics.pgPool.set({ state: 'waiting' }, pool.waitingCount);
  };
  const metricsServer = http.createServer(async (req, res) => {
    if (req.url === '/metrics') {
      sampleGauges();
      res.setHeader('content-type', metrics.registry.contentType);
      res.end(await metrics.registry.metrics());
    } else if (req.url === '/healthz') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ status: 'ok', worker: id, running: worker.isRunning() }));
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    metricsServer.once('error', reject);
    metricsServer.listen(config.METRICS_PORT, config.HOST, () => resolve());
  });
  const addr = metricsServer.address() as { port: number };
  const metricsUrl = `http://${config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST}:${addr.port}`;

  const heartbeat = startHeartbeat({
    id,
    redis,
    keys,
    figures: heartbeatFigures({
      pool,
      poolMax: config.PG_POOL_MAX,
      stats,
      active: () => active,
      concurrency: config.WORKER_CONCURRENCY,
      metricsUrl,
    }),
    onError: (err) => logger.debug({ err }, 'heartbeat failed'),
  });
  logger.info(
    {
      concurrency: config.WORKER_CONCURRENCY,
      poolMax: config.PG_POOL_MAX,
      metricsUrl,
      llm: generators.generator.model,
      embeddings: embedder.model,
    },
    'worker started',
  );

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      logger.info('worker stopping: finishing active asks');
      const handBack = setTimeout(() => worker.cancelAllJobs(SHUTDOWN_REASON), config.SHUTDOWN_TIMEOUT_MS);
      await worker.close().catch((err: unknown) => logger.warn({ err }, 'closing the BullMQ worker failed'));
      clearTimeout(handBack);
      await webhooks.close();
      await heartbeat.stop();
      await new Promise<void>((resolve) => metricsServer.close(() => resolve()));
      metricsServer.closeAllConnections();
      await Promise.all([closeRedis(subscriber), closeRedis(redis), closeRedis(bullConnection), closePool(pool)]);
      logger.info('worker stopped');
    })());
  return { id, worker, metricsUrl, close };
}

async function checkStartup(
  config: Config,
  d: {
    pool: ReturnType<typeof createPool>;
    redis: ReturnType<typeof createRedis>;
    keys: ReturnType<typeof redisKeys>;
    logger: Logger;
  },
): Promise<void> {
  await assertEmbeddingDim(d.pool, config.EMBEDDING_DIM);
  await seedCorpusVersion(d.redis, d.keys, await getCorpusVersion(d.pool));
  try {
    const policy = ((await d.redis.config('GET', 'maxmemory-policy')) as string[])[1];
    if (policy && policy !== 'noeviction') {
      d.logger.warn(
        { policy },
        `Redis maxmemory-policy is "${policy}": under memory pressure Redis may evict queued asks; set it to noeviction`,
      );
    }
  } catch {
    // Managed Redis services often forbid CONFIG; nothing to check then.
  }
}
