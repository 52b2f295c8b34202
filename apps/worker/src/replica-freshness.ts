import { getCorpusVersion, type Pool } from '@rag/db';
import type { Logger, Metrics } from '@rag/observability';
import type { Redis, RedisKeys } from '@rag/queue';

/** How long a corpus version seen on the replica is trusted without asking again (a replica only moves forward). */
const SEEN_TTL_MS = 1000;
/** How often a waiting ask asks the replica again; waiting asks share one poll. */
const POLL_MS = 10;

export type ReadServer = 'replica' | 'primary';
export type ReadReason = 'fresh' | 'caught_up' | 'lagging' | 'unreachable' | 'unknown';

export interface ReplicaFreshnessOptions {
  /** DATABASE_READ_URL's pool: retrieval reads here when the replica has the corpus version asked under. */
  replica: Pool;
  /** DATABASE_URL's pool: read when the replica lags. */
  primary: Pool;
  /** Where the gateway reads the corpus version its cache keys use (ingestion publishes it after committing). */
  redis: Redis;
  keys: RedisKeys;
  /** REPLICA_MAX_WAIT_MS: longest wait for the replica to catch up before reading the primary. */
  maxWaitMs: number;
  metrics?: Metrics;
  logger?: Logger;
}

/**
 * Read-your-writes for retrieval on a streaming replica. Ingestion (and a delete) bumps `corpus_state.version` in
 * the transaction that changes the chunks, on the primary, and publishes the new version to Redis after the commit;
 * the gateway keys cached answers by the version it reads there. A replica that has replayed version V has every
 * chunk change up to V, because the bump and the change are one transaction. So before retrieving, an ask looks up
 * the published version and reads from the replica only when the replica shows at least that version; otherwise it
 * waits (bounded) for the replica to catch up, then reads the primary. An answer cached under version V therefore
 * always saw version V or later: a lagging replica can never put an answer missing a new document (or citing a
 * deleted one) under the new version's cache key.
 *
 * Cheap on the hot path: one Redis GET per ask, and the replica's version is cached for SEEN_TTL_MS (one query per
 * second per worker while nothing changes). After a wait runs out, asks go straight to the primary (no wait) until
 * the replica is seen to have caught up, so a stopped replay costs one wait, not one per ask.
 */
export class ReplicaFreshness {
  private readonly d: ReplicaFreshnessOptions;
  private seen = -1;
  private seenAt = 0;
  /** The version a wait ran out on: later asks needing it (or more) skip waiting until the replica has it. */
  private laggingAt = Number.POSITIVE_INFINITY;
  private refreshing: Promise<number> | undefined;
  /** When asking the replica last failed: for SEEN_TTL_MS after, asks read the primary without trying it again. */
  private failedAt = Number.NEGATIVE_INFINITY;

  constructor(d: ReplicaFreshnessOptions) {
    this.d = d;
  }

  /**
   * The pool one ask's retrieval should read, with the server and the reason (also counted in the metrics), and
   * how long the ask waited for the replica to catch up (0 when it did not wait).
   */
  async poolFor(opts: { deadline: number; signal?: AbortSignal }): Promise<{
    pool: Pool;
    server: ReadServer;
    reason: ReadReason;
    waitedMs: number;
  }> {
    const t0 = Date.now();
    let waited = false;
    const pick = (server: ReadServer, reason: ReadReason) => {
      this.d.metrics?.replicaReads.inc({ server, reason });
      const pool = server === 'replica' ? this.d.replica : this.d.primary;
      return { pool, server, reason, waitedMs: waited ? Date.now() - t0 : 0 };
    };
    let needed: number;
    try {
      needed = Number((await this.d.redis.get(this.d.keys.corpusVersion)) ?? 0);
    } catch {
      // Without the published version there is nothing to be fresh against; the ask's own Redis writes will fail too.
      return pick('replica', 'unknown');
    }
    // A replica that just failed to answer (down, unreachable) is not tried by every ask: each would wait for
    // its connection to fail (up to PG_CONNECTION_TIMEOUT_MS when the host does not answer at all).
    if (Date.now() - this.failedAt < SEEN_TTL_MS) return pick('primary', 'unreachable');
    try {
      const recent = Date.now() - this.seenAt < SEEN_TTL_MS;
      if (recent && this.seen >= needed) return pick('replica', 'fresh');
      // Known to lag (a wait ran out) and asked less than SEEN_TTL_MS ago: the primary, without asking again.
      if (recent && needed >= this.laggingAt) return pick('primary', 'lagging');
      if ((await this.refresh()) >= needed) return pick('replica', 'fresh');
      if (needed >= this.laggingAt) return pick('primary', 'lagging');
      const until = Math.min(t0 + this.d.maxWaitMs, t0 + Math.max(0, (opts.deadline - t0) / 4));
      while (Date.now() < until) {
        waited = true;
        await sleep(Math.min(POLL_MS, until - Date.now()), opts.signal);
        if ((await this.refresh()) >= needed) return pick('replica', 'caught_up');
      }
      this.laggingAt = Math.min(this.laggingAt, needed);
      this.d.logger?.warn(
        { needed, replica: this.seen, waitedMs: Date.now() - t0 },
        'the read replica lags behind the corpus version: reading the primary until it catches up',
      );
      return pick('primary', 'lagging');
    } catch (err) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      this.failedAt = Date.now();
      this.d.logger?.debug({ err: (err as Error).message }, 'the read replica could not be asked: reading the primary');
      return pick('primary', 'unreachable');
    }
  }

  /**
   * Retrieval on the replica failed (connection lost, server gone): the next asks read the primary for a while,
   * so a retry of the failed ask does not meet the same replica again.
   */
  readFailed(): void {
    this.failedAt = Date.now();
  }

  /** Asks the replica its corpus version (one query shared by every ask waiting at that moment). */
  private refresh(): Promise<number> {
    this.refreshing ??= getCorpusVersion(this.d.replica)
      .then((v) => {
        // The latest answer, even when lower: DATABASE_READ_URL may now lead to another (newer or older) replica.
        this.seen = v;
        this.seenAt = Date.now();
        if (v >= this.laggingAt) this.laggingAt = Number.POSITIVE_INFINITY;
        return v;
      })
      .finally(() => {
        this.refreshing = undefined;
      });
    return this.refreshing;
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    signal?.throwIfAborted();
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
