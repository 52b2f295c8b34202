import http from 'node:http';
import type { Express } from 'express';
import { Queue } from 'bullmq';
import type { Config } from '@rag/config';
import { closePool, createPool } from '@rag/db';
import { createMetrics, type Logger } from '@rag/observability';
import type { AskResult } from '@rag/contract';
import {
  ASK_QUEUE,
  AskEvents,
  WEBHOOK_QUEUE,
  closeRedis,
  createRedis,
  redisKeys,
  type AskJobData,
  type WebhookJobData,
} from '@rag/queue';
import { WebhookJobs, systemResolve, type WebhookJobResult } from '@rag/webhooks';
import { AskService } from './ask-service.ts';
import { createCallbackCheck } from './callback-check.ts';
import { createApp } from './create-app.ts';

export interface GatewayApp {
  url: string;
  server: http.Server;
  /** The Express app (tests list its routes against the OpenAPI document). */
  app: Express;
  service: AskService;
  events: AskEvents;
  /** Stops reporting ready, stops accepting, answers pending long-polls, closes everything. Idempotent. */
  close(): Promise<void>;
}

/** The model tag in cache keys: a change of provider or model must not serve answers of the old one. */
export function modelTag(c: Config): string {
  const emb =
    c.EMBEDDINGS_PROVIDER === 'openai' ? `openai:${c.EMBEDDING_MODEL}:${c.EMBEDDING_DIM}` : `hash:${c.EMBEDDING_DIM}`;
  const llm =
    c.LLM_PROVIDER === 'openai' ? `openai:${c.LLM_MODEL}:${c.LLM_MAX_TOKENS}:${c.LLM_TEMPERATURE}` : 'extractive';
  return `${emb}|${llm}`;
}

export async function startGatewayApp(config: Config, opts: { logger: Logger }): Promise<GatewayApp> {
  const logger = opts.logger;
  const keys = redisKeys(config.QUEUE_PREFIX);
  const metrics = createMetrics({ service: 'gateway' });
  // Request-path connection: fails fast when Redis is down (503), reconnects by itself.
  const redis = createRedis(config.REDIS_URL, 'command');
  const eventsConnection = createRedis(config.REDIS_URL, 'blocking');
  for (const c of [redis, eventsConnection])
    c.on('error', (err) => logger.debug({ err: err.message }, 'redis connection error'));
  const queue = new Queue<AskJobData, AskResult>(ASK_QUEUE, {
    connection: redis,
    prefix: config.QUEUE_PREFIX,
    skipWaitingForReady: true,
  });
  queue.on('error', (err) => logger.debug({ err: err.message }, 'queue error'));
  // Delivery jobs are created here with their asks; workers send them (and Bull Board shows them).
  const webhookQueue = new Queue<WebhookJobData, WebhookJobResult>(WEBHOOK_QUEUE, {
    connection: redis,
    prefix: config.QUEUE_PREFIX,
    skipWaitingForReady: true,
  });
  webhookQueue.on('error', (err) => logger.debug({ err: err.message }, 'webhook queue error'));
  const events = new AskEvents({ connection: eventsConnection, prefix: config.QUEUE_PREFIX });
  // The gateway's pool only serves readiness and monitoring: two connections are plenty.
  const pool = createPool({
    connectionString: config.DATABASE_URL,
    max: 2,
    connectionTimeoutMillis: 1000,
    statementTimeoutMs: 2000,
    applicationName: 'rag-gateway',
    logger,
  });
  const service = new AskService({
    queue,
    redis,
    keys,
    events,
    metrics,
    webhooks: {
      check: createCallbackCheck({
        secretSet: config.WEBHOOK_SECRET !== undefined,
        allowPrivate: config.WEBHOOK_ALLOW_PRIVATE,
        resolve: systemResolve,
      }),
      jobs: new WebhookJobs({ queue: webhookQueue, backoffMs: config.WEBHOOK_BACKOFF_MS, keepS: config.RESULT_TTL_S }),
    },
    settings: {
      askTimeoutMs: config.ASK_TIMEOUT_MS,
      maxQueuedAsks: config.MAX_QUEUED_ASKS,
      resultTtlS: config.RESULT_TTL_S,
      cacheTtlS: config.CACHE_TTL_S,
      modelTag: modelTag(config),
    },
  });
  let draining = false;
  const app = createApp({
    config,
    logger,
    metrics,
    service,
    queue,
    webhookQueue,
    redis,
    keys,
    pool,
    isDraining: () => draining,
  });
  const server = http.createServer(app);
  // Long-polls hold requests up to 30 s; keep-alive sockets outlive load-balancer idle timeouts.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.PORT, config.HOST, () => resolve());
  });
  const { port } = server.address() as { port: number };
  const url = `http://${config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST}:${port}`;
  if (!config.ADMIN_USER)
    logger.warn('ADMIN_USER/ADMIN_PASSWORD not set: the Bull Board dashboard (/admin/queues) is not served');
  logger.info({ url }, 'gateway listening');

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      draining = true;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      // Pending long-polls answer now with their ask's current status; clients poll again elsewhere.
      await events.close();
      // Keep-alive sockets become idle as their last responses go out: close them as they do, and cut the rest
      // (a request still running after 5 s) so shutdown is bounded.
      server.closeIdleConnections();
      const sweep = setInterval(() => server.closeIdleConnections(), 50);
      const force = setTimeout(() => server.closeAllConnections(), 5000);
      await stopped;
      clearInterval(sweep);
      clearTimeout(force);
      await Promise.all([queue.close().catch(() => {}), webhookQueue.close().catch(() => {})]);
      await Promise.all([closeRedis(redis), closeRedis(eventsConnection), closePool(pool)]);
      logger.info('gateway stopped');
    })());
  return { url, server, app, service, events, close };
}
