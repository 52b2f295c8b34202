import type { Config } from '@rag/config';
import type { Metrics, Logger } from '@rag/observability';
import type { Redis, RedisKeys } from '@rag/queue';
import {
  BreakerEmbedder,
  BreakerGenerator,
  CachedEmbedder,
  createBreaker,
  createEmbedder,
  createGenerators,
  type Embedder,
  type Generator,
} from '@rag/rag';

/**
 * The worker's embedder and generators: those given (tests, benchmarks) or those the configuration names. Network
 * providers sit behind circuit breakers (when an endpoint keeps failing, asks fail fast or degrade), and network
 * embeddings behind a Redis cache.
 */
export function workerProviders(
  config: Config,
  given: { embedder?: Embedder; generator?: Generator },
  d: { redis: Redis; keys: RedisKeys; metrics: Metrics; logger: Logger },
): { embedder: Embedder; generator: Generator; fallbackGenerator?: Generator } {
  const breaker = (name: string) =>
    createBreaker({
      threshold: config.CIRCUIT_THRESHOLD,
      halfOpenAfterMs: config.CIRCUIT_HALF_OPEN_MS,
      onState: (state) => {
        d.metrics.circuitState.set({ name }, state);
        if (state === 2) d.logger.warn({ dependency: name }, 'circuit open: failing fast');
      },
    });
  let embedder = given.embedder ?? createEmbedder(config);
  if (!given.embedder && config.EMBEDDINGS_PROVIDER === 'openai') {
    // A paid embedding call per question is worth a Redis GET to avoid; hashing locally is cheaper than the GET.
    embedder = new CachedEmbedder(new BreakerEmbedder(embedder, breaker('embeddings')), {
      kv: d.redis,
      key: d.keys.embedding,
      ttlS: Math.max(config.CACHE_TTL_S, 86400),
      onLookup: (hit) => d.metrics.cacheRequests.inc({ cache: 'embedding', result: hit ? 'hit' : 'miss' }),
    });
  }
  const generators = given.generator ? { generator: given.generator } : createGenerators(config);
  if (!given.generator && config.LLM_PROVIDER === 'openai')
    generators.generator = new BreakerGenerator(generators.generator, breaker('llm'));
  return { embedder, ...generators };
}
