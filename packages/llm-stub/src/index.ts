export { startLlmStub } from './llm-stub.ts';
export type { LlmStub } from './llm-stub.ts';
export { defaultLatency, answerTimeMs, mergeLatency, streamPieces } from './latency.ts';
export type { LatencyModel } from './latency.ts';
export { answerFor, passagesIn, embeddingFor } from './answer.ts';
export { mulberry32 } from './random.ts';
