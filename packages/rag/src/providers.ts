import type { Embedder } from './embeddings/embedder.ts';
import { HashEmbeddings } from './embeddings/hash-embeddings.ts';
import { OpenAIEmbedder } from './embeddings/openai-embeddings.ts';
import { ExtractiveGenerator } from './generation/extractive-generator.ts';
import type { Generator } from './generation/generator.ts';
import { OpenAIGenerator } from './generation/openai-generator.ts';

/** The configuration fields the providers read (a subset of @rag/config's Config). */
interface ProviderConfig {
  EMBEDDINGS_PROVIDER: 'hash' | 'openai';
  EMBEDDING_DIM: number;
  EMBEDDING_MODEL: string;
  EMBEDDING_BATCH_SIZE: number;
  LLM_PROVIDER: 'extractive' | 'openai';
  LLM_MODEL: string;
  LLM_MAX_TOKENS: number;
  LLM_TEMPERATURE: number;
  LLM_FALLBACK: 'none' | 'extractive';
  DECLINE_THRESHOLD: number;
  LLM_STREAMING: boolean;
  OPENAI_API_KEY?: string;
  OPENAI_BASE_URL?: string;
}

export function createEmbedder(c: ProviderConfig): Embedder {
  if (c.EMBEDDINGS_PROVIDER === 'openai') {
    return new OpenAIEmbedder({
      model: c.EMBEDDING_MODEL,
      dim: c.EMBEDDING_DIM,
      apiKey: c.OPENAI_API_KEY,
      baseURL: c.OPENAI_BASE_URL,
      batchSize: c.EMBEDDING_BATCH_SIZE,
    });
  }
  return new HashEmbeddings(c.EMBEDDING_DIM);
}

export function createGenerators(c: ProviderConfig): { generator: Generator; fallbackGenerator?: Generator } {
  if (c.LLM_PROVIDER === 'openai') {
    const generator = new OpenAIGenerator({
      model: c.LLM_MODEL,
      apiKey: c.OPENAI_API_KEY,
      baseURL: c.OPENAI_BASE_URL,
      maxTokens: c.LLM_MAX_TOKENS,
      temperature: c.LLM_TEMPERATURE,
      streaming: c.LLM_STREAMING,
    });
    return {
      generator,
      fallbackGenerator:
        c.LLM_FALLBACK === 'extractive' ? new ExtractiveGenerator({ declineBelow: c.DECLINE_THRESHOLD }) : undefined,
    };
  }
  return { generator: new ExtractiveGenerator({ declineBelow: c.DECLINE_THRESHOLD }) };
}
