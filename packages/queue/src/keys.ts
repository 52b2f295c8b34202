/**
 * Every Redis key the project writes besides BullMQ's own, all under QUEUE_PREFIX so several deployments share a
 * Redis. Wrap the prefix in braces (e.g. `{rag}`) on Redis Cluster so all keys of a deployment share a slot.
 */
export function redisKeys(prefix: string) {
  return {
    /** Ask records that have no job: cache-served asks and asks cancelled while queued. JSON AskView. */
    ask: (id: string) => `${prefix}:ask:${id}`,
    /** Answer cache entries: JSON AskResult. */
    cache: (hash: string) => `${prefix}:cache:${hash}`,
    /** Query-embedding cache entries. */
    embedding: (hash: string) => `${prefix}:emb:${hash}`,
    /** Idempotency-Key -> {id, bodyHash}. */
    idempotency: (keyHash: string) => `${prefix}:idem:${keyHash}`,
    /** Single-flight: identical ask in flight -> its job id. */
    flight: (hash: string) => `${prefix}:flight:${hash}`,
    /** The corpus version ingestion bumps; part of every cache key. */
    corpusVersion: `${prefix}:corpus-version`,
    /** Pub/sub channel: ids of running asks to cancel. */
    cancelChannel: `${prefix}:cancel`,
    /** Worker heartbeats: hash of worker id -> JSON figures with the time they were written. */
    workers: `${prefix}:workers`,
    /** Per-ask Redis Stream of its events (status, citations, tokens, one terminal), for SSE on any gateway. */
    events: (id: string) => `${prefix}:events:${id}`,
    /**
     * Set (short TTL) by a gateway serving the ask's events while it is queued or running: someone may be watching,
     * so the worker streams the LLM's answer instead of asking for it whole (ask-stream.ts `markAskWatched`).
     */
    eventsWatched: (id: string) => `${prefix}:events:${id}:watched`,
    /** Set (NX) in the same script that appends an ask's terminal event, so there is only ever one. */
    eventsEnd: (id: string) => `${prefix}:events:${id}:end`,
    /** A gateway's stream reader's own wake stream (an entry interrupts its blocked XREAD); expires when idle. */
    readerWake: (readerId: string) => `${prefix}:reader-wake:${readerId}`,
    /** Rate-limiter keys. */
    rateLimit: `${prefix}:rl`,
  };
}
export type RedisKeys = ReturnType<typeof redisKeys>;
