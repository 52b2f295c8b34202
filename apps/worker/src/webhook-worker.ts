import { Queue, Worker } from 'bullmq';
import type { Config } from '@rag/config';
import type { AskResult } from '@rag/contract';
import type { Logger, Metrics } from '@rag/observability';
import {
  ASK_QUEUE,
  WEBHOOK_QUEUE,
  closeRedis,
  createRedis,
  readAsk,
  type AskJobData,
  type Redis,
  type RedisKeys,
  type WebhookJobData,
} from '@rag/queue';
import {
  WebhookJobs,
  WebhookSigner,
  createWebhookProcessor,
  deliverWebhook,
  systemResolve,
  type Resolve,
  type WebhookJobResult,
} from '@rag/webhooks';

/** How long a delivery whose ask has not ended yet (its fallback ran early) waits before looking again. */
const RECHECK_MS = 10_000;

interface WebhookWorker {
  /** An ask of this worker ended: wake its held delivery job. Never throws, never waits. */
  askEnded(job: { id?: string; data: AskJobData }): void;
  close(): Promise<void>;
}

/**
 * The webhook deliveries of one worker process: a BullMQ worker of its own on the webhooks queue, with a small
 * concurrency of its own (WEBHOOK_CONCURRENCY) so slow receivers never take an ask's slot.
 */
export function startWebhookWorker(
  config: Config,
  d: { redis: Redis; keys: RedisKeys; logger: Logger; metrics: Metrics; resolve?: Resolve },
): WebhookWorker {
  const logger = d.logger.child({ component: 'webhooks' });
  const prefix = config.QUEUE_PREFIX;
  const queue = new Queue<WebhookJobData, WebhookJobResult>(WEBHOOK_QUEUE, { connection: d.redis, prefix });
  const asks = new Queue<AskJobData, AskResult>(ASK_QUEUE, { connection: d.redis, prefix });
  for (const q of [queue, asks]) q.on('error', (err) => logger.debug({ err: err.message }, 'queue error'));
  const jobs = new WebhookJobs({ queue, backoffMs: config.WEBHOOK_BACKOFF_MS, keepS: config.RESULT_TTL_S });
  const signer = config.WEBHOOK_SECRET ? new WebhookSigner(config.WEBHOOK_SECRET) : undefined;
  if (!signer) logger.info('WEBHOOK_SECRET not set: webhook deliveries fail here (gateways refuse callbackUrl)');
  const processor = createWebhookProcessor({
    readAsk: (id) => readAsk({ queue: asks, redis: d.redis, keys: d.keys, resultTtlS: config.RESULT_TTL_S }, id),
    deliver:
      signer &&
      ((msg) =>
        deliverWebhook(msg, {
          signer,
          allowPrivate: config.WEBHOOK_ALLOW_PRIVATE,
          resolve: d.resolve ?? systemResolve,
          timeoutMs: config.WEBHOOK_TIMEOUT_MS,
        })),
    logger,
    recheckMs: RECHECK_MS,
    onAttempt: (out) => d.metrics.webhookAttempts.inc({ outcome: out.kind }),
  });
  const connection = createRedis(config, 'blocking');
  connection.on('error', (err) => logger.debug({ err: err.message }, 'redis connection error'));
  const worker = new Worker<WebhookJobData, WebhookJobResult>(WEBHOOK_QUEUE, processor, {
    connection,
    prefix,
    concurrency: config.WEBHOOK_CONCURRENCY,
    // A delivery is bounded by WEBHOOK_TIMEOUT_MS; the lock outlives it comfortably.
    lockDuration: Math.max(30_000, config.WEBHOOK_TIMEOUT_MS * 3),
    autorun: true,
  });
  worker.on('error', (err) => logger.warn({ err: err.message }, 'webhook worker error'));
  worker.on('failed', (job, err) => {
    if (job && job.finishedOn !== undefined)
      logger.warn({ askId: job.data.askId, attempts: job.attemptsMade, err: err.message }, 'webhook given up');
  });

  const promoting = new Set<Promise<void>>();
  let closing: Promise<void> | undefined;
  return {
    askEnded(job) {
      if (!job.data.webhook || !job.id) return;
      const p = jobs.promote(job.id).finally(() => promoting.delete(p));
      promoting.add(p);
    },
    close: () =>
      (closing ??= (async () => {
        await Promise.all(promoting);
        await worker.close().catch((err: unknown) => logger.warn({ err }, 'closing the webhook worker failed'));
        await Promise.all([queue.close().catch(() => {}), asks.close().catch(() => {})]);
        await closeRedis(connection);
      })()),
  };
}
