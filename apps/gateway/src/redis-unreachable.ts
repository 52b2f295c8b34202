import { ReplyError } from 'ioredis';
import type { Redis } from '@rag/queue';

/**
 * Whether a request failed because Redis is unreachable (the client should come back: 503, not 500). Decided by
 * the connection, not by the error's text (ioredis gives its timeouts and closed-connection errors no class or
 * code): an error reply means Redis answered; otherwise a connection that is not ready, or that does not answer a
 * PING now (Redis frozen or overloaded: the failed command most likely timed out), is unreachable.
 */
export async function redisUnreachable(err: unknown, redis: Redis): Promise<boolean> {
  if (err instanceof ReplyError) return false;
  if (redis.status !== 'ready') return true;
  try {
    await redis.ping();
    return false;
  } catch {
    return true;
  }
}
