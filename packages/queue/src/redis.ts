import { Redis, type RedisOptions } from 'ioredis';

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
