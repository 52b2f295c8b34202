import { Redis, type RedisOptions } from 'ioredis';
import { StartError } from '@rag/lifecycle';

export type { Redis };

/**
 * Redis connections come in two kinds:
 * - `command` (gateway, request path): one retry per command and a command timeout, so a request never waits
 *   long on a Redis that is down or frozen; the gateway also refuses at once (503) while the connection is not
 *   ready. (The offline queue stays on: BullMQ sends INFO the moment a Queue is built, before the connection is up.)
 * - `blocking` (BullMQ workers, QueueEvents, subscribers): retry forever, as BullMQ requires.
 * Both reconnect by themselves with a capped backoff.
 */
export function createRedis(url: string, kind: 'command' | 'blocking', extra: RedisOptions = {}): Redis {
  const base: RedisOptions = {
    lazyConnect: false,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(times * 100, 2000),
    ...(kind === 'command'
      ? { enableOfflineQueue: true, maxRetriesPerRequest: 1, commandTimeout: 2000 }
      : { maxRetriesPerRequest: null, enableOfflineQueue: true }),
  };
  return new Redis(url, { ...base, ...extra });
}

/** Closes a connection once; later calls return the same promise. Never throws. */
export function closeRedis(redis: Redis): Promise<void> {
  const r = redis as Redis & { __closing?: Promise<void> };
  r.__closing ??= (async () => {
    try {
      if (redis.status === 'end') return;
      await redis.quit();
    } catch {
      redis.disconnect();
    }
  })();
  return r.__closing;
}

/**
 * Waits until a connection is ready, or fails after `timeoutMs` with a StartError naming the server and the last
 * connection error: a process that needs Redis says so at start instead of waiting silently for it.
 */
export function waitForRedis(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    let last = 'no answer';
    const onError = (err: Error) => {
      last = err.message || (err as NodeJS.ErrnoException).code || String(err);
    };
    const done = (err?: Error) => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      redis.off('error', onError);
      if (err) reject(err);
      else resolve();
    };
    const onReady = () => done();
    const { host, port } = redis.options;
    const timer = setTimeout(
      () =>
        done(
          new StartError(
            `Redis at ${host}:${port} is not reachable within ${timeoutMs / 1000} s (${last}); start it or set REDIS_URL`,
          ),
        ),
      timeoutMs,
    );
    redis.on('ready', onReady);
    redis.on('error', onError);
  });
}
