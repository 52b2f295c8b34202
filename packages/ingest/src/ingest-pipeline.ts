import type { ChunkRow } from '@rag/db';
import type { ExtractedDocument } from '@rag/extract';
import { chunkPages, type Embedder, type PageChunk } from '@rag/rag';

/** Page-aware chunks of an extracted document: a chunk never spans pages, so PDF citations carry an exact page. */
export function chunkDocument(
  doc: ExtractedDocument,
  opts: { chunkSize: number; chunkOverlap: number },
): Promise<PageChunk[]> {
  return chunkPages(doc.pages, opts);
}

/**
 * Embeds chunks in batches (the title is embedded with each chunk, so a chunk that never names its topic is still
 * found by it). `known` supplies embeddings to reuse by chunk text; `onBatch` reports progress between batches.
 */
export async function embedChunks(
  pieces: PageChunk[],
  o: {
    title: string;
    embedder: Embedder;
    batchSize: number;
    known?: Map<string, number[]>;
    onBatch?: (embedded: number) => Promise<void> | void;
    signal?: AbortSignal;
  },
): Promise<{ chunks: ChunkRow[]; reused: number }> {
  const embeddings: (number[] | undefined)[] = pieces.map((p) => o.known?.get(p.text));
  const todo = pieces.map((p, i) => ({ p, i })).filter((x) => !embeddings[x.i]);
  for (let start = 0; start < todo.length; start += o.batchSize) {
    o.signal?.throwIfAborted();
    const batch = todo.slice(start, start + o.batchSize);
    const vectors = await o.embedder.embedDocuments(
      batch.map((x) => `${o.title}\n${x.p.text}`),
      o.signal,
    );
    batch.forEach((x, k) => {
      embeddings[x.i] = vectors[k];
    });
    await o.onBatch?.(start + batch.length);
  }
  const chunks: ChunkRow[] = pieces.map((p, ordinal) => ({
    ordinal,
    content: p.text,
    page: p.page ?? null,
    metadata: { chars: p.text.length },
    embedding: embeddings[ordinal]!,
  }));
  return { chunks, reused: pieces.length - todo.length };
}
