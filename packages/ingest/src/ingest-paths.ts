import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { changeCorpus, documentKey, getCorpusVersion, getDocumentHashes, replaceDocument, type Pool } from '@rag/db';
import { buildHnswIndex, dropHnswIndex, settleAfterBulkLoad } from '@rag/db';
import { DEFAULT_COLLECTION } from '@rag/contract';
import { ExtractorPool } from '@rag/extract';
import type { Embedder } from '@rag/rag';
import { collectFiles, type SourceFile } from './collect-files.ts';
import { extractFile } from './extract-file.ts';
import { chunkDocument, embedChunks } from './ingest-pipeline.ts';

interface IngestOptions {
  pool: Pool;
  embedder: Embedder;
  chunkSize: number;
  chunkOverlap: number;
  /** The collection the documents go to (default "default"). */
  collection?: string;
  /** Per-document extraction time limit (PDF, DOCX, HTML parse in a child process). */
  timeoutMs?: number;
  /** Texts per embedding request. */
  batchSize: number;
  /** Documents processed at once (embedding of one overlaps the database writes of another). */
  concurrency?: number;
  /**
   * Drop the HNSW index before writing and rebuild it once after: far faster for bulk loads than maintaining
   * the graph row by row. Searches during the load fall back to exact scans.
   */
  deferIndex?: boolean;
  onProgress?: (p: { done: number; total: number; chunks: number }) => void;
}

export interface IngestSummary {
  files: number;
  documents: number;
  unchanged: number;
  chunks: number;
  /** Chunks of changed documents whose stored embedding was reused (unchanged text). */
  reusedEmbeddings: number;
  seconds: number;
  indexSeconds?: number;
  corpusVersion: number;
}

async function prepare(file: SourceFile) {
  const bytes = await fs.readFile(file.absPath);
  // The hash of the bytes as stored: the same file uploaded over HTTP has the same hash.
  const contentHash = createHash('sha256').update(bytes).digest('hex');
  return { file, bytes, contentHash };
}

/**
 * Embeddings of a changed document's chunks that did not change (same text, same title, same model), read back
 * from the database so an edit to one paragraph does not pay for re-embedding the whole document.
 */
export async function reusableEmbeddings(
  pool: Pool,
  key: string,
  title: string,
  model: string,
): Promise<Map<string, number[]>> {
  const r = await pool.query<{ content: string; embedding: number[] }>(
    `SELECT c.content, c.embedding FROM chunks c JOIN documents d ON d.id = c.document_id
     WHERE c.document_id = $1 AND d.title = $2 AND d.metadata->>'embeddingModel' = $3`,
    [key, title, model],
  );
  return new Map(r.rows.map((row) => [row.content, row.embedding]));
}

async function writeDocument(
  p: Awaited<ReturnType<typeof prepare>>,
  o: IngestOptions,
  existed: boolean,
  extractors: ExtractorPool,
): Promise<{ chunks: number; reused: number }> {
  const collection = o.collection ?? DEFAULT_COLLECTION;
  const doc = await extractFile(p.bytes, p.file.absPath, { timeoutMs: o.timeoutMs ?? 300_000, extractors });
  const title = doc.title ?? path.basename(p.file.absPath);
  const pieces = await chunkDocument(doc, { chunkSize: o.chunkSize, chunkOverlap: o.chunkOverlap });
  const known = existed
    ? await reusableEmbeddings(o.pool, documentKey(collection, p.file.documentId), title, o.embedder.model)
    : undefined;
  const { chunks, reused } = await embedChunks(pieces, { title, embedder: o.embedder, batchSize: o.batchSize, known });
  await changeCorpus(o.pool, (client) =>
    replaceDocument(
      client,
      {
        documentId: p.file.documentId,
        collection,
        title,
        source: p.file.absPath.split(path.sep).join('/'),
        metadata: { bytes: p.bytes.length, format: doc.format, embeddingModel: o.embedder.model },
        contentHash: p.contentHash,
        pageCount: doc.pageCount ?? null,
      },
      chunks,
    ),
  );
  return { chunks: chunks.length, reused };
}

/**
 * Ingests files and folders: new or changed documents are chunked, embedded in batches and written in one
 * transaction each (old chunks replaced atomically); unchanged ones (same content hash) are skipped. PDF, DOCX and
 * HTML are parsed by one ExtractorPool of `concurrency` warm children for the whole run, closed at its end.
 */
export async function ingestPaths(inputs: string[], o: IngestOptions): Promise<IngestSummary> {
  const started = performance.now();
  const files = await collectFiles(inputs);
  const stored = await getDocumentHashes(
    o.pool,
    files.map((f) => f.documentId),
    o.collection ?? DEFAULT_COLLECTION,
  );
  let documents = 0;
  let unchanged = 0;
  let chunks = 0;
  let reused = 0;
  let done = 0;
  if (o.deferIndex) await dropHnswIndex(o.pool);
  const concurrency = Math.max(1, o.concurrency ?? 4);
  const queue = [...files];
  const runOne = async () => {
    for (let f = queue.shift(); f; f = queue.shift()) {
      const p = await prepare(f);
      if (stored.get(f.documentId) === p.contentHash) unchanged++;
      else {
        // Not `chunks += await ...`: that reads `chunks` before the await and loses the other runners' counts.
        const written = await writeDocument(p, o, stored.has(f.documentId), extractors);
        chunks += written.chunks;
        reused += written.reused;
        documents++;
      }
      done++;
      o.onProgress?.({ done, total: files.length, chunks });
    }
  };
  // Started lazily by the pool: a run of Markdown files only never starts a child.
  const extractors = new ExtractorPool({ processes: concurrency, timeoutMs: o.timeoutMs ?? 300_000 });
  try {
    await Promise.all(Array.from({ length: concurrency }, runOne));
  } finally {
    await extractors.close();
  }
  let indexSeconds: number | undefined;
  if (o.deferIndex) {
    const t = performance.now();
    await buildHnswIndex(o.pool);
    indexSeconds = (performance.now() - t) / 1000;
    await settleAfterBulkLoad(o.pool);
  }
  return {
    files: files.length,
    documents,
    unchanged,
    chunks,
    reusedEmbeddings: reused,
    seconds: (performance.now() - started) / 1000,
    indexSeconds,
    corpusVersion: await getCorpusVersion(o.pool),
  };
}
