import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
  type CircuitBreakerPolicy,
} from 'cockatiel';
import type { Embedder } from './embeddings/embedder.ts';
import type { GenerateInput, Generation, Generator } from './generation/generator.ts';

export { BrokenCircuitError };

export interface BreakerOptions {
  /** Consecutive failures that open the circuit. */
  threshold: number;
  /** How long the circuit stays open before one trial call is let through. */
  halfOpenAfterMs: number;
  /** Called with 0 closed, 1 half-open, 2 open (for the rag_circuit_state gauge). */
  onState?: (state: 0 | 1 | 2) => void;
}

const stateCode = (s: CircuitState): 0 | 1 | 2 => (s === CircuitState.Closed ? 0 : s === CircuitState.HalfOpen ? 1 : 2);

/**
 * A breaker that counts real endpoint failures only: an ask aborted by its deadline or a cancel says nothing about
 * the endpoint's health, so AbortErrors pass through without counting.
 */
export function createBreaker(opts: BreakerOptions): CircuitBreakerPolicy {
  const isAbort = (err: Error) =>
    err.name === 'AbortError' || err.name === 'TimeoutError' || /abort/i.test(err.message);
  const policy = circuitBreaker(
    handleWhen((err) => !isAbort(err)),
    { halfOpenAfter: opts.halfOpenAfterMs, breaker: new ConsecutiveBreaker(opts.threshold) },
  );
  policy.onStateChange((s) => opts.onState?.(stateCode(s)));
  opts.onState?.(0);
  return policy;
}

/** A generator behind a circuit breaker: while open, calls fail at once with BrokenCircuitError. */
export class BreakerGenerator implements Generator {
  readonly model: string;
  private readonly inner: Generator;
  private readonly policy: CircuitBreakerPolicy;
  constructor(inner: Generator, policy: CircuitBreakerPolicy) {
    this.inner = inner;
    this.model = inner.model;
    this.policy = policy;
  }
  generate(input: GenerateInput): Promise<Generation> {
    return this.policy.execute(() => this.inner.generate(input), input.signal);
  }
}

/** An embedder behind a circuit breaker. */
export class BreakerEmbedder implements Embedder {
  readonly model: string;
  readonly dim: number;
  private readonly inner: Embedder;
  private readonly policy: CircuitBreakerPolicy;
  constructor(inner: Embedder, policy: CircuitBreakerPolicy) {
    this.inner = inner;
    this.model = inner.model;
    this.dim = inner.dim;
    this.policy = policy;
  }
  embedQuery(text: string, signal?: AbortSignal): Promise<number[]> {
    return this.policy.execute(() => this.inner.embedQuery(text, signal), signal);
  }
  embedDocuments(texts: string[], signal?: AbortSignal): Promise<number[][]> {
    return this.policy.execute(() => this.inner.embedDocuments(texts, signal), signal);
  }
}
