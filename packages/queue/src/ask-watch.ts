import type { Redis } from 'ioredis';
import { TIMEOUT_MS } from '@rag/contract';
import type { RedisKeys } from './keys.ts';

/**
 * Whether anyone may be watching an ask's answer as it is generated. Streaming an LLM's answer costs the worker
 * about three times the client CPU of asking for it whole (docs/benchmarks.md, "Streaming"), so the worker streams
 * only for an ask submitted with `Accept: text/event-stream` (the job's `stream` flag) or one a gateway marked here
 * because it serves the ask's events while it is queued or running. A reader that arrives after generation started
 * still gets the whole answer, as one token, before the terminal event.
 *
 * The mark outlives any ask that can still be generating (its deadline is at most TIMEOUT_MS.max from submission),
 * so it needs no refreshing while a reader waits, and it is gone soon after.
 */
export const WATCH_TTL_MS = TIMEOUT_MS.max + 10_000;

/** Marks an ask as watched (a gateway serving its events). */
export async function markAskWatched(redis: Redis, keys: RedisKeys, id: string): Promise<void> {
  await redis.set(keys.eventsWatched(id), '1', 'PX', WATCH_TTL_MS);
}

/** True when a gateway has marked the ask watched. */
export async function isAskWatched(redis: Redis, keys: RedisKeys, id: string): Promise<boolean> {
  return (await redis.exists(keys.eventsWatched(id))) === 1;
}
