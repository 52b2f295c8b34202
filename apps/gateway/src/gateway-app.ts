import http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Express } from 'express';
import { Queue } from 'bullmq';
import type { Config } from '@rag/config';
import { closePool, createPool } from '@rag/db';
import { Resources, listen } from '@rag/lifecycle';
import { createMetrics, type Logger } from '@rag/observability';
import type { AskResult } from '@rag/contract';
import {
  ASK_QUEUE,
  AskEvents,
  AskStreamReader,
  INGEST_QUEUE,
  WEBHOOK_QUEUE,
  closeRedis,
  createRedis,
  ReplicaAcks,
  redisKeys,
  type AskJobData,
  type IngestJobData,
  type WebhookJobData,
} from '@rag/queue';
import { WebhookJobs, systemResolve, type WebhookJobResult } from '@rag/webhooks';
import { AskEventStreams } from './ask-event-streams.ts';
import { AskService } from './ask-service.ts';
import { createCallbackCheck } from './callback-check.ts';
import { DocumentService } from './document-service.ts';
import { createApp } from './create-app.ts';

export interface GatewayApp {
  url: string;
  server: http.Server;
  /** The Express app (tests list its routes against the OpenAPI document). */
  app: Express;
  service: AskService;
  events: AskEvents;
  /** Open SSE streams and the one reader behind them (tests check that clients who leave free theirs). */
  streams: AskEventStreams;
  streamReader: AskStreamReader;
  /** Stops reporting ready, stops accepting, answers pending long-polls, closes everything. Idempotent. */
  close(): Promise<void>;
}

/** The model tag in cache keys: a change of provider or model must not serve answers of the old one. */
function modelTag(c: Config): string {
  const emb =
    c.EMBEDDINGS_PROVIDER === 'openai' ? `openai:${c.EMBEDDING_MODEL}:${c.EMBEDDING_DIM}` : `hash:${c.EMBEDDING_DIM}`;
  const llm =
    c.LLM_PROVIDER === 'openai' ? `openai:${c.LLM_MODEL}:${c.LLM_MAX_TOKENS}:${c.LLM_TEMPERATURE}` : 'extractive';
  return `${emb}|${llm}`;
}

/**
 * Builds one gateway process from its configuration and starts serving, in steps: connections, the ask service,
 * the HTTP server. Everything opened is registered as it opens, so a failed step (e.g. PORT in use) closes what
 * the steps before it opened, and `close()` is the same walk back.
 */
export async function startGatewayApp(config: Config, opts: { logger: Logger }): Promise<GatewayApp> {
  const logger = opts.logger;
  const keys = redisKeys(config.QUEUE_PREFIX);
  const metrics = createMetrics({ service: 'gateway' });
  const opened = new Resources();
  const closeOpened = () => opened.close((name, err) => logger.warn({ err, resource: name }, 'closing failed'));
  try {
    // Request-path connection: fails fast when Redis is down (503), reconnects by itself.
    const redis = opened.add('redis', createRedis(config, 'command'), closeRedis);
    const eventsConnection = opened.add('redis (events)', createRedis(config, 'blocking'), closeRedis);
    for (const c of [redis, eventsConnection])
      c.on('error', (err) => logger.debug({ err: err.message }, 'redis connection error'));
    // The gateway's pool only serves readiness and monitoring: two connections are plenty.
    const pool = opened.add(
      'pool',
      createPool({
        connectionString: config.DATABASE_URL,
        max: 2,
        connectionTimeoutMillis: 1000,
        statementTimeoutMs: 2000,
        applicationName: 'rag-gateway',
        logger,
      }),
      closePool,
    );
    // One Queue per job kind, on the request-path connection, its errors logged at debug level.
    const openQueue = <D, R>(name: string, label: string) => {
      const q = opened.add(
        label,
        new Queue<D, R>(name, { connection: redis, prefix: config.QUEUE_PREFIX, skipWaitingForReady: true }),
        (q) => q.close(),
      );
      q.on('error', (err) => logger.debug({ err: err.message }, `${label} error`));
      return q;
    };
    const queue = openQueue<AskJobData, AskResult>(ASK_QUEUE, 'queue');
    // Delivery jobs are created here with their asks; workers send them (and Bull Board shows them).
    const webhookQueue = openQueue<WebhookJobData, WebhookJobResult>(WEBHOOK_QUEUE, 'webhook queue');
    // Uploads queue their ingestion here; workers run it (and Bull Board shows it).
    const ingestQueue = openQueue<IngestJobData, unknown>(INGEST_QUEUE, 'ingest queue');
    // Document uploads stream into large objects a MiB at a time, and documents are read, listed and deleted: their
    // own pool, so a burst of uploads never delays a readiness probe.
    const writePool = opened.add(
      'documents pool',
      createPool({
        connectionString: config.DATABASE_URL,
        max: 4,
        connectionTimeoutMillis: config.PG_CONNECTION_TIMEOUT_MS,
        statementTimeoutMs: config.PG_STATEMENT_TIMEOUT_MS,
        applicationName: 'rag-gateway-documents',
        logger,
      }),
      closePool,
    );
    const documents = new DocumentService({ pool: writePool, queue: ingestQueue, redis, keys, logger });
    const events = opened.add(
      'ask events',
      new AskEvents({ connection: eventsConnection, prefix: config.QUEUE_PREFIX }),
      (e) => e.close(),
    );
    // REDIS_WAIT_REPLICAS: WAITs on a connection of their own (a WAIT blocks its connection for up to its timeout).
    let replicaAcks: ReplicaAcks | undefined;
    if (config.REDIS_WAIT_REPLICAS > 0) {
      const acksConnection = opened.add(
        'redis (replica acks)',
        createRedis(config, 'command', { commandTimeout: config.REDIS_WAIT_TIMEOUT_MS + 2000 }),
        closeRedis,
      );
      acksConnection.on('error', (err) => logger.debug({ err: err.message }, 'redis connection error'));
      replicaAcks = new ReplicaAcks(acksConnection, {
        probeKey: `${keys.corpusVersion}:replica-ack`,
        replicas: config.REDIS_WAIT_REPLICAS,
        timeoutMs: config.REDIS_WAIT_TIMEOUT_MS,
      });
    }
    const service = new AskService({
      queue,
      redis,
      replicaAcks,
      keys,
      events,
      metrics,
      webhooks: {
        check: createCallbackCheck({
          secretSet: config.WEBHOOK_SECRET !== undefined,
          allowPrivate: config.WEBHOOK_ALLOW_PRIVATE,
          resolve: systemResolve,
        }),
        jobs: new WebhookJobs({
          queue: webhookQueue,
          backoffMs: config.WEBHOOK_BACKOFF_MS,
          keepS: config.RESULT_TTL_S,
        }),
      },
      settings: {
        askTimeoutMs: config.ASK_TIMEOUT_MS,
        maxQueuedAsks: config.MAX_QUEUED_ASKS,
        resultTtlS: config.RESULT_TTL_S,
        cacheTtlS: config.CACHE_TTL_S,
        modelTag: modelTag(config),
        waitReplicas: config.REDIS_WAIT_REPLICAS,
        waitTimeoutMs: config.REDIS_WAIT_TIMEOUT_MS,
      },
    });
    // One connection blocked in XREAD for all the SSE clients of this gateway; closing the reader closes it.
    const streamConnection = createRedis(config, 'blocking');
    streamConnection.on('error', (err) => logger.debug({ err: err.message }, 'redis connection error'));
    const streamReader = opened.add(
      'ask stream reader',
      new AskStreamReader({
        connection: streamConnection,
        control: redis,
        wakeKey: keys.readerWake(randomUUID()),
        onError: (err) => logger.debug({ err: err.message }, 'ask stream reader error'),
      }),
      (r) => r.close(),
    );
    const streams = new AskEventStreams({
      redis,
      keys,
      queue,
      reader: streamReader,
      events,
      read: (id) => service.read(id),
      logger,
      settings: { resultTtlS: config.RESULT_TTL_S, keepAliveMs: config.SSE_KEEPALIVE_MS },
    });
    let draining = false;
    const app = createApp({
      config,
      logger,
      metrics,
      service,
      streams,
      queue,
      webhookQueue,
      ingestQueue,
      documents,
      writePool,
      redis,
      keys,
      pool,
      isDraining: () => draining,
    });
    const server = opened.add('http server', http.createServer(app), async (s) => {
      draining = true;
      await stopServing(s, events, streams);
    });
    // Long-polls hold requests up to 30 s; keep-alive sockets outlive load-balancer idle timeouts.
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
    server.requestTimeout = 60_000;
    const url = await listen(server, { port: config.PORT, host: config.HOST, setting: 'PORT' });
    if (!config.ADMIN_USER)
      logger.warn('ADMIN_USER/ADMIN_PASSWORD not set: the Bull Board dashboard (/admin/queues) is not served');
    logger.info({ url }, 'gateway listening');

    let closing: Promise<void> | undefined;
    const close = () =>
      (closing ??= closeOpened().then(() => {
        logger.info('gateway stopped');
      }));
    return { url, server, app, service, events, streams, streamReader, close };
  } catch (err) {
    await closeOpened();
    throw err;
  }
}

/**
 * Stops accepting, ends open event streams (clients resume elsewhere with Last-Event-ID), answers pending
 * long-polls now with their ask's current status (clients poll again elsewhere),
 * and closes keep-alive sockets as their last responses go out; a request still running after 5 s is cut, so
 * shutdown is bounded.
 */
async function stopServing(server: http.Server, events: AskEvents, streams: AskEventStreams): Promise<void> {
  if (!server.listening) return;
  const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
  streams.close();
  await events.close();
  server.closeIdleConnections();
  const sweep = setInterval(() => server.closeIdleConnections(), 50);
  const force = setTimeout(() => server.closeAllConnections(), 5000);
  await stopped;
  clearInterval(sweep);
  clearTimeout(force);
}
