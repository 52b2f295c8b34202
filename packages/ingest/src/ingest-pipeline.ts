import type { ChunkRow } from '@rag/db';
import { chunkText, type Embedder } from '@rag/rag';
import type { ExtractedDocument } from './extract-text.ts';

export interface ChunkPiece {
  content: string;
  page?: number;
}

/** Splits each page on its own, so every chunk has the page it comes from (PDF citations carry it). */
export async function chunkDocument(
  doc: ExtractedDocument,
  opts: { chunkSize: number; chunkOverlap: number },
): Promise<ChunkPiece[]> {
  const out: ChunkPiece[] = [];
  for (const p of doc.pages) {
    for (const content of await chunkText(p.text, opts))
      out.push(p.page === undefined ? { content } : { content, page: p.page });
  }
  return out;
}

/**
 * Embeds chunks in batches (the title is embedded with each chunk, so a chunk that never names its topic is still
 * found by it). `known` supplies embeddings to reuse by chunk text; `onBatch` reports progress between batches.
 */
export async function embedChunks(
  pieces: ChunkPiece[],
  o: {
    title: string;
    embedder: Embedder;
    batchSize: number;
    known?: Map<string, number[]>;
    onBatch?: (embedded: number) => Promise<void> | void;
    signal?: AbortSignal;
  },
): Promise<{ chunks: ChunkRow[]; reused: number }> {
  const embeddings: (number[] | undefined)[] = pieces.map((p) => o.known?.get(p.content));
  const todo = pieces.map((p, i) => ({ p, i })).filter((x) => !embeddings[x.i]);
  for (let start = 0; start < todo.length; start += o.batchSize) {
    o.signal?.throwIfAborted();
    const batch = todo.slice(start, start + o.batchSize);
    const vectors = await o.embedder.embedDocuments(
      batch.map((x) => `${o.title}\n${x.p.content}`),
      o.signal,
    );
    batch.forEach((x, k) => (embeddings[x.i] = vectors[k]));
    await o.onBatch?.(start + batch.length);
  }
  const chunks: ChunkRow[] = pieces.map((p, ordinal) => ({
    ordinal,
    content: p.content,
    page: p.page ?? null,
    metadata: { chars: p.content.length },
    embedding: embeddings[ordinal]!,
  }));
  return { chunks, reused: pieces.length - todo.length };
}
