import { OpenAIEmbeddings } from '@langchain/openai';
import type { Embedder } from './embedder.ts';

interface OpenAIEmbedderOptions {
  model: string;
  dim: number;
  apiKey?: string;
  baseURL?: string;
  batchSize: number;
  /** The queue owns retries (with backoff, within the deadline); the client retries at most once. */
  maxRetries?: number;
}

/** Any OpenAI-compatible embeddings endpoint (OpenAI, Azure, vLLM, Ollama, llama.cpp) through LangChain. */
export class OpenAIEmbedder implements Embedder {
  readonly model: string;
  readonly dim: number;
  private readonly client: OpenAIEmbeddings;
  constructor(opts: OpenAIEmbedderOptions) {
    this.model = opts.model;
    this.dim = opts.dim;
    this.client = new OpenAIEmbeddings({
      model: opts.model,
      dimensions: opts.dim,
      apiKey: opts.apiKey ?? 'not-needed',
      batchSize: opts.batchSize,
      maxRetries: opts.maxRetries ?? 1,
      configuration: opts.baseURL ? { baseURL: opts.baseURL } : undefined,
    });
  }
  async embedQuery(text: string, signal?: AbortSignal): Promise<number[]> {
    signal?.throwIfAborted();
    // LangChain's embeddings take no per-call signal; racing it frees the ask at its deadline all the same.
    return raceAbort(this.client.embedQuery(text), signal);
  }
  async embedDocuments(texts: string[], signal?: AbortSignal): Promise<number[][]> {
    signal?.throwIfAborted();
    return raceAbort(this.client.embedDocuments(texts), signal);
  }
}

function raceAbort<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
