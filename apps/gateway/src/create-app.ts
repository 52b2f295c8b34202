import { randomUUID } from 'node:crypto';
import express, { type ErrorRequestHandler, type Request } from 'express';
import helmet from 'helmet';
import cors from 'cors';
import { pinoHttp } from 'pino-http';
import type { Queue } from 'bullmq';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Config } from '@rag/config';
import type { Pool } from '@rag/db';
import type { Logger, Metrics } from '@rag/observability';
import type { Redis, RedisKeys } from '@rag/queue';
import { ADMIN_PATH, bullBoardRouter } from './admin.ts';
import type { AskEventStreams } from './ask-event-streams.ts';
import type { AskService } from './ask-service.ts';
import type { DocumentService } from './document-service.ts';
import { HttpError, TooManyError, UnavailableError } from './errors.ts';
import { RedisHealth } from './redis-unreachable.ts';
import { asksRouter } from './routes/asks.ts';
import { documentsRouter } from './routes/documents.ts';
import { monitoringRouter } from './routes/monitoring.ts';
import { opsRouter } from './routes/ops.ts';
import { siteRouter } from './routes/site.ts';
import { createOpenApiDocument } from './openapi/openapi-document.ts';
import { clientId, requireApiKey, requireBasicAuth } from './security.ts';

interface AppDeps {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  service: AskService;
  streams: AskEventStreams;
  queue: Queue;
  /** The webhooks queue, shown in Bull Board beside the asks. */
  webhookQueue: Queue;
  /** The ingestion queue (shown in Bull Board). */
  ingestQueue: Queue;
  documents: DocumentService;
  /** Pool for document writes and reads (the `pool` serves readiness and monitoring). */
  writePool: Pool;
  redis: Redis;
  keys: RedisKeys;
  pool: Pool;
  isDraining: () => boolean;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function createApp(d: AppDeps): express.Express {
  const app = express();
  const redisHealth = new RedisHealth(d.redis);
  app.disable('x-powered-by');
  app.set('etag', false);
  if (d.config.TRUST_PROXY) app.set('trust proxy', d.config.TRUST_PROXY);

  app.use(
    pinoHttp({
      logger: d.logger,
      genReqId: (req, res) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      // Probes and scrapes would drown the log; successful asks are logged at debug to keep hot-path I/O low.
      autoLogging: { ignore: (req) => ['/healthz', '/readyz', '/metrics'].includes(req.url ?? '') },
      customLogLevel: (_req, res, err) =>
        err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'info' : 'debug',
    }),
  );
  app.use((req, res, next) => {
    const start = performance.now();
    res.locals.startedAt = start;
    res.on('finish', () => {
      const route = req.route?.path
        ? `${req.baseUrl}${req.route.path}`
        : req.path.startsWith(ADMIN_PATH)
          ? ADMIN_PATH
          : 'unmatched';
      d.metrics.httpDuration.observe(
        { method: req.method, route, status: String(res.statusCode) },
        (performance.now() - start) / 1000,
      );
      if (req.method === 'POST' && res.locals.served) d.metrics.asksSubmitted.inc({ served: res.locals.served });
    });
    next();
  });
  app.use(helmet({ contentSecurityPolicy: false }));
  if (d.config.CORS_ORIGINS.length) {
    app.use(cors({ origin: d.config.CORS_ORIGINS, exposedHeaders: ['Location', 'Retry-After', 'X-Request-Id'] }));
  }

  app.use(opsRouter({ redis: d.redis, pool: d.pool, metrics: d.metrics, queue: d.queue, isDraining: d.isDraining }));
  app.use(siteRouter({ openapi: createOpenApiDocument() }));

  if (d.config.ADMIN_USER && d.config.ADMIN_PASSWORD) {
    const auth = requireBasicAuth(d.config.ADMIN_USER, d.config.ADMIN_PASSWORD);
    app.use(ADMIN_PATH, auth, bullBoardRouter([d.queue, d.ingestQueue, d.webhookQueue], d.config.ADMIN_READ_ONLY));
    app.use(
      '/monitoring',
      auth,
      monitoringRouter({ redis: d.redis, keys: d.keys, pool: d.pool, poolMax: d.config.PG_POOL_MAX, queue: d.queue }),
    );
  } else {
    app.use(
      '/monitoring',
      monitoringRouter({ redis: d.redis, keys: d.keys, pool: d.pool, poolMax: d.config.PG_POOL_MAX, queue: d.queue }),
    );
  }

  const limiter =
    d.config.RATE_LIMIT_PER_MIN > 0
      ? new RateLimiterRedis({
          storeClient: d.redis,
          keyPrefix: d.keys.rateLimit,
          points: d.config.RATE_LIMIT_PER_MIN,
          duration: 60,
        })
      : undefined;
  const rateLimit = async (req: Request) => {
    if (!limiter) return;
    try {
      await limiter.consume(clientId(req));
    } catch (res) {
      if (res instanceof RateLimiterRes) {
        const retryAfter = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
        d.metrics.asksRefused.inc({ code: 'rate_limited' });
        throw new TooManyError(
          'rate_limited',
          `rate limit of ${d.config.RATE_LIMIT_PER_MIN} asks per minute reached; retry after ${retryAfter} s`,
          retryAfter,
        );
      }
      throw res;
    }
  };

  const api = express.Router();
  // While the request-path connection is down, answer 503 at once instead of queueing commands.
  api.use('/ask', (_req, _res, next) => {
    next(
      d.redis.status === 'ready'
        ? undefined
        : new UnavailableError('the queue (Redis) is not reachable; retry shortly'),
    );
  });
  if (d.config.API_KEYS.length) api.use(['/ask', '/documents'], requireApiKey(d.config.API_KEYS));
  api.use('/ask', express.json({ limit: '64kb', strict: true }));
  api.use(asksRouter({ service: d.service, streams: d.streams, clientId, rateLimit }));
  const docs = documentsRouter({ service: d.documents, pool: d.writePool, maxUploadBytes: d.config.MAX_UPLOAD_BYTES });
  app.use('/v1', api, docs);
  app.use('/', api); // CONTRACT.md aliases: POST /ask, GET /ask/:id

  app.use((req, _res, next) => next(new HttpError(404, 'not_found', `no route for ${req.method} ${req.path}`)));

  const onError: ErrorRequestHandler = async (err, req, res, _next) => {
    let e: HttpError;
    if (err instanceof HttpError) e = err;
    else if (err?.type === 'entity.too.large')
      e = new HttpError(413, 'payload_too_large', 'the request body is larger than 64 KiB');
    else if (err?.type === 'entity.parse.failed')
      e = new HttpError(400, 'invalid_request', 'the request body is not valid JSON', {
        details: [{ field: '(body)', message: 'malformed JSON' }],
      });
    else if (err?.type === 'encoding.unsupported' || err?.type === 'charset.unsupported')
      e = new HttpError(415, 'unsupported_media_type', 'unsupported body encoding');
    else if (typeof err?.status === 'number' && err.status >= 400 && err.status < 500)
      e = new HttpError(err.status, 'invalid_request', 'the request could not be read');
    else if (await redisHealth.unreachable(err, res.locals.startedAt ?? Number.POSITIVE_INFINITY))
      e = new UnavailableError('the queue (Redis) is not reachable; retry shortly');
    else {
      req.log?.error({ err }, 'unhandled error');
      e = new HttpError(500, 'internal', 'an internal error occurred');
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    for (const [k, v] of Object.entries(e.headers ?? {})) res.setHeader(k, v);
    res
      .status(e.status)
      .json({ error: { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) } });
  };
  app.use(onError);
  return app;
}
