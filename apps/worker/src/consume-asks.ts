import { Worker, type Job } from 'bullmq';
import type { Config } from '@rag/config';
import type { AskResult } from '@rag/contract';
import type { Logger, Metrics, StatsWindow } from '@rag/observability';
import { ASK_QUEUE, parseFailure, type AskJobData, type Redis, type RedisKeys, type SingleFlight } from '@rag/queue';
import { SHUTDOWN_REASON, type createAskProcessor } from './process-ask.ts';

interface AskConsumer {
  worker: Worker<AskJobData, AskResult>;
  /** Asks running now. */
  active(): number;
  /** Stops taking asks and finishes the running ones, handing back those still running after SHUTDOWN_TIMEOUT_MS. */
  close(): Promise<void>;
}

/**
 * Takes asks off the queue and runs them: the BullMQ worker around the processor, the outcome figures, the release
 * of each finished ask's single-flight key, and the cancel channel (cancels reach every worker; only the one
 * running the ask has it, cancelJob is a no-op elsewhere).
 */
export async function consumeAsks(
  config: Config,
  d: {
    processAsk: ReturnType<typeof createAskProcessor>;
    connection: Redis;
    subscriber: Redis;
    keys: RedisKeys;
    flights: SingleFlight;
    /** An ask reached its end (completed, failed or cancelled; not a retry), its job final. Must not throw. */
    onEnded: (job: Job<AskJobData, AskResult>) => void;
    metrics: Metrics;
    stats: StatsWindow;
    logger: Logger;
  },
): Promise<AskConsumer> {
  const { metrics, stats, logger } = d;
  let active = 0;
  const processor: typeof d.processAsk = async (job, token, signal) => {
    metrics.slotsInUse.set(++active);
    try {
      return await d.processAsk(job, token, signal);
    } finally {
      metrics.slotsInUse.set(--active);
    }
  };
  metrics.slotsTotal.set(config.WORKER_CONCURRENCY);
  const worker = new Worker<AskJobData, AskResult>(ASK_QUEUE, processor, {
    connection: d.connection,
    prefix: config.QUEUE_PREFIX,
    concurrency: config.WORKER_CONCURRENCY,
    lockDuration: config.WORKER_LOCK_DURATION_MS,
    stalledInterval: config.WORKER_LOCK_DURATION_MS,
    maxStalledCount: 2,
    autorun: true,
  });
  worker.on('error', (err) => logger.warn({ err: err.message }, 'worker error'));
  // The ask is over: identical asks from now on start their own (or hit the cache), unless another took the key.
  const endFlight = (job: Job<AskJobData, AskResult>) => {
    if (job.data.flightKey) void d.flights.release(job.data.flightKey, job.id!);
    d.onEnded(job);
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

  const close = async () => {
    const handBack = setTimeout(() => worker.cancelAllJobs(SHUTDOWN_REASON), config.SHUTDOWN_TIMEOUT_MS);
    try {
      await worker.close();
    } finally {
      clearTimeout(handBack);
    }
  };
  try {
    await d.subscriber.subscribe(d.keys.cancelChannel);
  } catch (err) {
    await close();
    throw err;
  }
  d.subscriber.on('message', (_channel, askId: string) => {
    if (worker.cancelJob(askId, 'cancelled')) logger.info({ askId }, 'cancelling running ask');
  });
  return { worker, active: () => active, close };
}
