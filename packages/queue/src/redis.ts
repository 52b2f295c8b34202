import { Redis, type RedisOptions } from 'ioredis';

export type { Redis };

/**
 * Redis connections come in two kinds:
 * - `command` (gateway, request path): no offline queue and few retries per command, so that when Redis is down a
 *   request fails in milliseconds (503) instead of waiting for a reconnection;
 * - `blocking` (BullMQ workers, QueueEvents, subscribers): retry forever, as BullMQ requires.
 * Both reconnect by themselves with a capped backoff.
 */
export function createRedis(url: string, kind: 'command' | 'blocking', extra: RedisOptions = {}): Redis {
  const base: RedisOptions = {
    lazyConnect: false,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(times * 100, 2000),
    ...(kind === 'command'
      ? { enableOfflineQueue: false, maxRetriesPerRequest: 1 }
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
