/** How the stand-in behaves: timing, failures, and capacity like a model server's. */
export interface LatencyModel {
  /** Time to first token, ms. */
  ttftMs: number;
  /** Streaming speed after the first token; completion tokens / this = the rest of the answer's time. */
  tokensPerSecond: number;
  /** Uniform ± jitter added to the time to first token, ms. */
  jitterMs: number;
  /** Probability of answering HTTP 500. */
  errorRate: number;
  /** Probability of stalling: a stream stops after its first chunk, a plain answer never comes (until the client gives up). */
  stallRate: number;
  /** When set, the whole answer takes exactly this long (at or below capacity). */
  fixedLatencyMs?: number;
  /** Answer length in tokens (≈ words). */
  completionTokens: number;
  embeddingLatencyMs: number;
  /**
   * Answers generated at full speed at once; beyond that every answer slows down in proportion (processor
   * sharing, like a GPU server past its batch size). 0 = unlimited.
   */
  capacity: number;
}

export const defaultLatency: LatencyModel = {
  ttftMs: 50,
  tokensPerSecond: 200,
  jitterMs: 0,
  errorRate: 0,
  stallRate: 0,
  completionTokens: 40,
  embeddingLatencyMs: 5,
  capacity: 0,
};

/** Total answer time for one request, given how many are being generated now (this one included). */
export function answerTimeMs(m: LatencyModel, inFlight: number, rand: () => number): { ttft: number; total: number } {
  const slowdown = m.capacity > 0 ? Math.max(1, inFlight / m.capacity) : 1;
  const jitter = m.jitterMs ? (rand() * 2 - 1) * m.jitterMs : 0;
  if (m.fixedLatencyMs !== undefined) {
    const total = Math.max(0, m.fixedLatencyMs * slowdown + jitter);
    return { ttft: Math.min(total, m.ttftMs * slowdown), total };
  }
  const ttft = Math.max(0, (m.ttftMs + jitter) * slowdown);
  return { ttft, total: ttft + ((m.completionTokens / Math.max(1, m.tokensPerSecond)) * 1000) * slowdown };
}
