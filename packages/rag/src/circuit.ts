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

interface BreakerOptions {
  /** Consecutive failures that open the circuit. */
  threshold: number;
  /** How long the circuit stays open before one trial call is let through. */
  halfOpenAfterMs: number;
  /** Called with 0 closed, 1 half-open, 2 open (for the rag_circuit_state gauge). */
  onState?: (state: 0 | 1 | 2) => void;
}

const stateCode = (s: CircuitState): 0 | 1 | 2 => (s === CircuitState.Closed ? 0 : s === CircuitState.HalfOpen ? 1 : 2);

/** The caller's signal fired during the call: whatever the call threw, it says nothing about the endpoint. */
class CallerAborted extends Error {
  readonly original: unknown;
  constructor(original: unknown) {
    super('aborted by the caller');
    this.original = original;
  }
}

/** Runs `call` under the breaker, without counting failures that happen because the caller aborted. */
async function guarded<T>(policy: CircuitBreakerPolicy, call: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  try {
    return await policy.execute(async () => {
      try {
        return await call();
      } catch (err) {
        throw signal?.aborted ? new CallerAborted(err) : err;
      }
    }, signal);
  } catch (err) {
    throw err instanceof CallerAborted ? err.original : err;
  }
}

/**
 * A breaker that counts real endpoint failures only: an ask aborted by its deadline or a cancel says nothing about
 * the endpoint's health, so failures while the caller's signal is aborted, and the SDKs' AbortError and
 * TimeoutError (by name, as LangChain re-types them), pass through without counting.
 */
export function createBreaker(opts: BreakerOptions): CircuitBreakerPolicy {
  const isAbort = (err: Error) =>
    err instanceof CallerAborted || err.name === 'AbortError' || err.name === 'TimeoutError';
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
    return guarded(this.policy, () => this.inner.generate(input), input.signal);
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
    return guarded(this.policy, () => this.inner.embedQuery(text, signal), signal);
  }
  embedDocuments(texts: string[], signal?: AbortSignal): Promise<number[][]> {
    return guarded(this.policy, () => this.inner.embedDocuments(texts, signal), signal);
  }
}
