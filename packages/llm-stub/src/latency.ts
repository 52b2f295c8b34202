/** How the stand-in behaves: timing, failures, and capacity like a model server's. */
export interface LatencyModel {
  /** Time to first token, ms (default 50). */
  ttftMs: number;
  /** Streaming speed after the first token (default 200); completion tokens / this = the rest of the answer's time. */
  tokensPerSecond: number;
  /** Uniform ± jitter added to the time to first token, ms (default 0). */
  jitterMs: number;
  /** Probability of answering HTTP 500 with an OpenAI-style error body (chat and embeddings; default 0). */
  errorRate: number;
  /** Probability of stalling: a stream stops after its first chunk, a plain answer never comes (until the client gives up). */
  stallRate: number;
  /** When set, the whole answer takes this long (at or below capacity), instead of ttft + tokens. */
  fixedLatencyMs?: number;
  /** Answer length in tokens (≈ words) for timing, capped by the request's max_tokens (default 40). */
  completionTokens: number;
  /** Time to answer an embeddings request, ms (default 5). */
  embeddingLatencyMs: number;
  /**
   * How many content chunks a streamed answer is cut into (default 8): the first at the time to first token, the
   * last at the answer's total time. A real model sends one chunk per token: set it to the token count (40 tokens
   * about 25 ms apart: completionTokens 40, tokensPerSecond 40, streamChunks 40). Fewer words than chunks: words
   * are cut.
   */
  streamChunks: number;
  /**
   * Answers generated at full speed at once; beyond that every answer slows down in proportion (processor
   * sharing, like a GPU server past its batch size). 0 = unlimited (default).
   */
  capacity: number;
}

export const defaultLatency: Readonly<LatencyModel> = Object.freeze({
  ttftMs: 50,
  tokensPerSecond: 200,
  jitterMs: 0,
  errorRate: 0,
  stallRate: 0,
  completionTokens: 40,
  embeddingLatencyMs: 5,
  streamChunks: 8,
  capacity: 0,
});

const MAX_MS = 600_000;
/** Accepted range of every field: [min, max, min exclusive]. */
const latencyLimits: Record<keyof LatencyModel, [number, number, boolean?]> = {
  ttftMs: [0, MAX_MS],
  tokensPerSecond: [0, 1_000_000, true],
  jitterMs: [0, MAX_MS],
  errorRate: [0, 1],
  stallRate: [0, 1],
  fixedLatencyMs: [0, MAX_MS],
  completionTokens: [1, 1_000_000],
  embeddingLatencyMs: [0, MAX_MS],
  streamChunks: [1, 100_000],
  capacity: [0, 1_000_000],
};

/** The problem with one field's value, or undefined when it is acceptable. */
export function latencyProblem(key: keyof LatencyModel, value: unknown): string | undefined {
  const [min, max, exclusive] = latencyLimits[key];
  if (typeof value !== 'number' || !Number.isFinite(value) || value > max || (exclusive ? value <= min : value < min)) {
    return `must be a number ${exclusive ? 'above' : 'from'} ${min} ${exclusive ? 'up ' : ''}to ${max}`;
  }
  return undefined;
}

/**
 * Applies a partial update. A field set to undefined (or null, from JSON) goes back to its default, so
 * `{ fixedLatencyMs: undefined }` or `{"fixedLatencyMs": null}` turns the fixed latency off. Throws a RangeError
 * naming the field for an unknown field or a bad value, before changing anything.
 */
export function mergeLatency(
  current: LatencyModel,
  patch: Partial<LatencyModel> | Record<string, unknown>,
): LatencyModel {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch))
    throw new RangeError('latency: expected an object');
  const next: LatencyModel = { ...current };
  for (const [k, value] of Object.entries(patch)) {
    if (!Object.hasOwn(latencyLimits, k)) throw new RangeError(`latency: unknown field ${k}`);
    const key = k as keyof LatencyModel;
    if (value === undefined || value === null) {
      if (key === 'fixedLatencyMs') delete next.fixedLatencyMs;
      else (next as unknown as Record<string, number>)[key] = defaultLatency[key] as number;
      continue;
    }
    const problem = latencyProblem(key, value);
    if (problem) throw new RangeError(`latency: ${key} ${problem} (got ${JSON.stringify(value)})`);
    (next as unknown as Record<string, number>)[key] = value as number;
  }
  return next;
}

/**
 * Cuts an answer into at most `n` non-empty pieces that concatenate to it: whole words (with the space before
 * them) when there are at least `n` words, else characters, as evenly as the text allows.
 */
export function streamPieces(answer: string, n: number): string[] {
  const words = answer.split(/(?= )/u);
  const units = words.length >= n ? words : Array.from(answer);
  const count = Math.max(1, Math.min(n, units.length));
  const pieces: string[] = [];
  for (let i = 0; i < count; i++) {
    const piece = units.slice(Math.floor((i * units.length) / count), Math.floor(((i + 1) * units.length) / count));
    if (piece.length) pieces.push(piece.join(''));
  }
  return pieces;
}

/**
 * Answer timing for one request: time to the first token and in total, given how many answers are being
 * generated now (this one included) and the answer's length in tokens.
 */
export function answerTimeMs(
  m: LatencyModel,
  inFlight: number,
  rand: () => number,
  tokens = m.completionTokens,
): { ttft: number; total: number } {
  const slowdown = m.capacity > 0 ? Math.max(1, inFlight / m.capacity) : 1;
  const jitter = m.jitterMs ? (rand() * 2 - 1) * m.jitterMs : 0;
  if (m.fixedLatencyMs !== undefined) {
    const total = Math.max(0, m.fixedLatencyMs * slowdown + jitter);
    return { ttft: Math.min(total, m.ttftMs * slowdown), total };
  }
  const ttft = Math.max(0, (m.ttftMs + jitter) * slowdown);
  return { ttft, total: ttft + (tokens / m.tokensPerSecond) * 1000 * slowdown };
}
