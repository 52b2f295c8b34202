import { createHash } from 'node:crypto';
import type { AskResult } from '@rag/contract';
import type { RedisKeys } from './keys.ts';
import type { Redis } from './redis.ts';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** Where an answer is cached: its key under the current corpus version (absent when caching is off or unknown). */
interface AnswerLocation {
  /** The corpus version read, or null when caching is off or no version is published yet. */
  version: string | null;
  key?: string;
}

/**
 * The answer cache: one entry per answer identity (question, options, models) and corpus version. The gateway
 * locates and reads entries, the worker stores them under the key the gateway located (carried in the job), and
 * ingestion publishes a new corpus version so that old entries stop matching. Nothing else touches these keys.
 */
export class AnswerCache {
  private readonly redis: Redis;
  private readonly keys: RedisKeys;
  private readonly ttlS: number;
  constructor(d: { redis: Redis; keys: RedisKeys; ttlS: number }) {
    this.redis = d.redis;
    this.keys = d.keys;
    this.ttlS = d.ttlS;
  }

  get enabled(): boolean {
    return this.ttlS > 0;
  }

  async locate(identity: string): Promise<AnswerLocation> {
    const version = this.enabled ? await this.redis.get(this.keys.corpusVersion) : null;
    return version === null ? { version } : { version, key: this.keys.cache(sha256(`${version}\n${identity}`)) };
  }

  async get(key: string): Promise<AskResult | null> {
    const cached = await this.redis.get(key);
    return cached ? (JSON.parse(cached) as AskResult) : null;
  }

  /** Stores a successful answer; degraded ones are not cached: once the LLM is back, the question deserves a real one. */
  async store(key: string | undefined, result: AskResult): Promise<void> {
    if (!key || !this.enabled || result.degraded) return;
    await this.redis.set(key, JSON.stringify(result), 'EX', this.ttlS);
  }
}

/** Sets the version only forwards. KEYS[1] corpus-version key; ARGV[1] the new version. */
const SET_IF_NEWER = `local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if cur < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) return 1 end return 0`;

/**
 * Tells gateways the corpus changed (ingestion, uploads, deletes): cache and single-flight keys include this
 * version, so answers computed before the change stop matching. Only forwards: two changes published out of order
 * (two workers finishing documents at once) leave the newer version, never the older.
 */
export async function publishCorpusVersion(redis: Redis, keys: RedisKeys, version: number): Promise<void> {
  await redis.eval(SET_IF_NEWER, 1, keys.corpusVersion, String(version));
}

/** Seeds the corpus version from the database at worker start, in case Redis lost it (restart without persistence). */
export async function seedCorpusVersion(redis: Redis, keys: RedisKeys, version: number): Promise<void> {
  await redis.set(keys.corpusVersion, String(version), 'NX');
}
