export { startLlmStub } from './llm-stub.ts';
export type { LlmStub, LlmStubStats } from './llm-stub.ts';
export { defaultLatency, answerTimeMs } from './latency.ts';
export type { LatencyModel } from './latency.ts';
export { mulberry32 } from './random.ts';
