/** What retrieval and ingestion need of an embedding model. */
export interface Embedder {
  /** Model name recorded with cached answers and results. */
  readonly model: string;
  readonly dim: number;
  embedQuery(text: string, signal?: AbortSignal): Promise<number[]>;
  embedDocuments(texts: string[], signal?: AbortSignal): Promise<number[][]>;
}
