import { Queue, Worker } from 'bullmq';
import type { Config } from '@rag/config';
import { closePool, createPool } from '@rag/db';
import type { ExtractorPool, ExtractorPoolOptions } from '@rag/extract';
import type { Logger } from '@rag/observability';
import {
  INGEST_QUEUE,
  closeRedis,
  createRedis,
  type IngestJobData,
  type IngestJobResult,
  type Redis,
  type RedisKeys,
} from '@rag/queue';
import type { Embedder } from '@rag/rag';
import { startIngestSweep } from './ingest-sweep.ts';
import { createIngestProcessor } from './process-ingest.ts';
import { SHUTDOWN_REASON } from './process-ask.ts';

const MiB = 1024 * 1024;

/**
 * The worker process's extraction children: one per ingest slot (so a document never waits for a parser), started
 * on the first PDF/DOCX/HTML and kept warm (a start costs ~0.65 s of CPU), each replaced after 50 documents or when
 * it is left holding more than 512 MiB after one (parsers rarely give memory back); a child is killed mid-document
 * past 1 GiB or the document's time limit, and the next document starts a new one. They run at nice 10.
 */
export function extractorPoolOptions(config: Config): ExtractorPoolOptions {
  return {
    processes: Math.max(1, config.INGEST_CONCURRENCY),
    documentsPerProcess: 50,
    maxMemoryBytes: 1024 * MiB,
    recycleRssBytes: 512 * MiB,
    timeoutMs: config.INGEST_TIMEOUT_MS,
  };
}

interface IngestWorker {
  worker: Worker<IngestJobData, IngestJobResult>;
  /** Lets running documents finish (or hands them back after SHUTDOWN_TIMEOUT_MS), then closes. Idempotent. */
  close(): Promise<void>;
}

/**
 * Document ingestion in one worker process: a BullMQ worker of its own on the `ingest` queue with
 * INGEST_CONCURRENCY slots (so documents never take an ask's slot; PDF, DOCX and HTML are parsed by `extractors`, the
 * worker process's pool of as many warm child processes, which the caller owns and closes after this), its own pool
 * on the primary (ingestion writes even when retrieval reads a replica), and the sweep that repairs uploads whose
 * job was lost.
 */
export function startIngestWorker(
  config: Config,
  d: { embedder: Embedder; redis: Redis; keys: RedisKeys; logger: Logger; extractors: ExtractorPool },
): IngestWorker {
  const logger = d.logger.child({ component: 'ingest' });
  const pool = createPool({
    connectionString: config.DATABASE_URL,
    max: config.INGEST_CONCURRENCY + 1,
    connectionTimeoutMillis: config.PG_CONNECTION_TIMEOUT_MS,
    idleTimeoutMillis: config.PG_IDLE_TIMEOUT_MS,
    // Applying a large document (thousands of rows into the HNSW index) takes longer than a search.
    statementTimeoutMs: Math.max(config.PG_STATEMENT_TIMEOUT_MS, 120_000),
    applicationName: 'rag-worker-ingest',
    logger,
  });
  const connection = createRedis(config, 'blocking');
  connection.on('error', (err) => logger.debug({ err: err.message }, 'redis connection error'));
  const processor = createIngestProcessor({
    pool,
    embedder: d.embedder,
    redis: d.redis,
    keys: d.keys,
    logger,
    chunkSize: config.CHUNK_SIZE,
    chunkOverlap: config.CHUNK_OVERLAP,
    batchSize: config.EMBEDDING_BATCH_SIZE,
    timeoutMs: config.INGEST_TIMEOUT_MS,
    extractors: d.extractors,
  });
  const worker = new Worker<IngestJobData, IngestJobResult>(INGEST_QUEUE, processor, {
    connection,
    prefix: config.QUEUE_PREFIX,
    concurrency: config.INGEST_CONCURRENCY,
    lockDuration: config.WORKER_LOCK_DURATION_MS,
    stalledInterval: config.WORKER_LOCK_DURATION_MS,
    maxStalledCount: 2,
    autorun: true,
  });
  worker.on('error', (err) => logger.warn({ err: err.message }, 'ingest worker error'));
  const queue = new Queue<IngestJobData>(INGEST_QUEUE, { connection: d.redis, prefix: config.QUEUE_PREFIX });
  queue.on('error', (err) => logger.debug({ err: err.message }, 'ingest queue error'));
  const sweep = startIngestSweep({
    pool,
    queue,
    logger,
    idleMs: Math.max(60_000, 4 * config.WORKER_LOCK_DURATION_MS),
    everyMs: 30_000,
    // The gateway gives a request 60 s (server.requestTimeout): bytes unreferenced for 10 min have no upload left.
    abandonedAfterMs: 10 * 60_000,
  });
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      const handBack = setTimeout(() => worker.cancelAllJobs(SHUTDOWN_REASON), config.SHUTDOWN_TIMEOUT_MS);
      try {
        await worker.close().catch((err: unknown) => logger.warn({ err }, 'closing the ingest worker failed'));
      } finally {
        clearTimeout(handBack);
      }
      await sweep.stop();
      await queue.close().catch(() => {});
      await Promise.all([closeRedis(connection), closePool(pool)]);
    })());
  return { worker, close };
}
