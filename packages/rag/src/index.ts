export {
  stripDiacritics,
  tokenize,
  normalizeQuestion,
  splitSentences,
  lexicalQuery,
  questionTerms,
  COMMON_WORDS,
} from './text.ts';
export type { Embedder } from './embeddings/embedder.ts';
export { HashEmbeddings, hashEmbed, hashFeatures } from './embeddings/hash-embeddings.ts';
export { OpenAIEmbedder } from './embeddings/openai-embeddings.ts';
export type { Generator, Generation, GenerateInput, Passage } from './generation/generator.ts';
export { DECLINE_ANSWERS, declineAnswer, questionLanguage, isLlmDecline, LLM_DECLINE_MARKER } from './decline.ts';
export { ExtractiveGenerator } from './generation/extractive-generator.ts';
export { OpenAIGenerator } from './generation/openai-generator.ts';
export { requestFetch } from './generation/request-fetch.ts';
export type { RequestFetchBody, RequestFetchOptions } from './generation/request-fetch.ts';
export { chunkText, chunkPages } from './chunking.ts';
export type { PageChunk } from './chunking.ts';
export { answerQuestion } from './answer-question.ts';
export type { RagDeps } from './answer-question.ts';
export { UpstreamError } from './errors.ts';
export { createEmbedder, createGenerators } from './providers.ts';
export { createBreaker, BreakerGenerator, BreakerEmbedder, BrokenCircuitError } from './circuit.ts';
export { CachedEmbedder } from './embeddings/cached-embedder.ts';
