import { ReplyError } from 'ioredis';
import type { Redis } from '@rag/queue';

/** Error replies a Redis Cluster gives while a failover is under way: Redis answered, but only "not now". */
const FAILOVER_REPLIES = new Set(['CLUSTERDOWN', 'TRYAGAIN', 'MASTERDOWN', 'LOADING']);

// 'node error' and '-node': a cluster client's node failed or left (a failover); the others are a plain client's.
const TROUBLE_EVENTS = ['error', 'close', 'reconnecting', 'end', 'node error', '-node'] as const;

/**
 * Tells whether a request failed because Redis was unreachable (the client should come back: 503, not 500). Decided
 * by the connection, not by the error's text (ioredis gives its timeouts and closed-connection errors no class or
 * code): an error reply means Redis answered; otherwise a connection that is not ready now, that lost its server
 * while the request ran (Redis may be back already by the time the error is handled), or that does not answer a
 * PING now (Redis frozen or overloaded: the failed command most likely timed out) was unreachable.
 */
export class RedisHealth {
  private readonly redis: Redis;
  private lastTroubleAt = Number.NEGATIVE_INFINITY;
  constructor(redis: Redis) {
    this.redis = redis;
    for (const event of TROUBLE_EVENTS)
      redis.on(event, () => {
        this.lastTroubleAt = performance.now();
      });
  }

  /** `since`: when the request began (performance.now()). */
  async unreachable(err: unknown, since: number): Promise<boolean> {
    // A cluster failing over answers with a reply too, but one that means "not now"; its code is the first word.
    if (err instanceof ReplyError) return FAILOVER_REPLIES.has((err as Error).message.split(' ', 1)[0]);
    if (this.redis.status !== 'ready' || this.lastTroubleAt >= since) return true;
    try {
      await this.redis.ping();
      return false;
    } catch {
      return true;
    }
  }
}
