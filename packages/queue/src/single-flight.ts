import { createHash } from 'node:crypto';
import type { RedisKeys } from './keys.ts';
import type { Redis } from './redis.ts';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * Deletes the flight key only while it still names this ask (another ask may have taken it over since).
 * KEYS[1] flight key; ARGV[1] ask id. Returns 1 when deleted, else 0.
 */
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/**
 * Single-flight: while an ask is queued or running, identical asks share it (one retrieval, one LLM call).
 * The gateway claims the key of an answer identity for the ask it enqueues; the worker releases it when the ask
 * ends; the key also expires at the ask's deadline, so a lost release cannot block identical asks for long.
 */
export class SingleFlight {
  private readonly redis: Redis;
  private readonly keys: RedisKeys;
  constructor(d: { redis: Redis; keys: RedisKeys }) {
    this.redis = d.redis;
    this.keys = d.keys;
  }

  /** The flight key of an answer identity under a corpus version (null: none published). */
  key(identity: string, version: string | null): string {
    return this.keys.flight(sha256(`${version ?? ''}\n${identity}`));
  }

  /** Claims the key for `id`; returns null when claimed, else the id of the ask holding it (null if it just ended). */
  async claim(key: string, id: string, ttlMs: number): Promise<{ holder: string | null } | null> {
    if ((await this.redis.set(key, id, 'PX', ttlMs, 'NX')) === 'OK') return null;
    return { holder: await this.redis.get(key) };
  }

  /** Takes the key over from an ask not worth sharing (failed, cancelled, degraded, gone). */
  async takeOver(key: string, id: string, ttlMs: number): Promise<void> {
    await this.redis.set(key, id, 'PX', ttlMs);
  }

  /** The ask is over (or was never enqueued): identical asks from now on start their own. Never throws. */
  async release(key: string, id: string): Promise<void> {
    await this.redis.eval(RELEASE, 1, key, id).catch(() => {});
  }
}
