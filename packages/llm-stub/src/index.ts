export { startLlmStub } from './llm-stub.ts';
export type { LlmStub, LlmStubOptions, LlmStubStats } from './llm-stub.ts';
export { defaultLatency, answerTimeMs, mergeLatency, streamPieces } from './latency.ts';
export type { LatencyModel } from './latency.ts';
export { answerFor, passagesIn, embeddingFor, NO_PASSAGES_ANSWER } from './answer.ts';
export { mulberry32 } from './random.ts';
