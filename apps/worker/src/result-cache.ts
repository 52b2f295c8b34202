import type { Metrics } from '@rag/observability';
import type { AskJobData, AskResult, Redis } from '@rag/queue';

/** Stores successful answers under the cache key the gateway computed for the ask (absent: caching off). */
export function createResultCache(d: { redis: Redis; ttlS: number; metrics: Metrics }) {
  return {
    async store(data: AskJobData, result: AskResult): Promise<void> {
      // Degraded answers are not cached: once the LLM is back, the question deserves a real answer.
      if (!data.cacheKey || d.ttlS <= 0 || result.degraded) return;
      await d.redis.set(data.cacheKey, JSON.stringify(result), 'EX', d.ttlS);
    },
  };
}
