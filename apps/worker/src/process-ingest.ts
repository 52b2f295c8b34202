import { UnrecoverableError, WaitingError, type Job } from 'bullmq';
import type { IngestProgress } from '@rag/contract';
import {
  applyVersion,
  changeCorpus,
  claimVersion,
  failVersion,
  readContent,
  setVersionProgress,
  type Pool,
} from '@rag/db';
import { ExtractError, isExtractError, type ExtractorPool } from '@rag/extract';
import { chunkDocument, embedChunks, extractFile, reusableEmbeddings } from '@rag/ingest';
import type { Logger } from '@rag/observability';
import {
  ingestJobSchema,
  publishCorpusVersion,
  type IngestJobData,
  type IngestJobResult,
  type Redis,
  type RedisKeys,
} from '@rag/queue';
import type { Embedder } from '@rag/rag';
import { SHUTDOWN_REASON } from './process-ask.ts';

interface ProcessIngestDeps {
  /** A pool on the primary (DATABASE_URL): ingestion writes. */
  pool: Pool;
  embedder: Embedder;
  redis: Redis;
  keys: RedisKeys;
  logger: Logger;
  chunkSize: number;
  chunkOverlap: number;
  batchSize: number;
  /** Per-document time limit (INGEST_TIMEOUT_MS). */
  timeoutMs: number;
  /** Warm child processes that parse PDF, DOCX and HTML (one pool per worker process). */
  extractors: Pick<ExtractorPool, 'extract'>;
}

class IngestTimeoutError extends Error {}

/**
 * The processor of one uploaded document version: read the stored bytes, extract pages, chunk, embed (progress in
 * the document's record and the job's, for Bull Board), then apply the new chunks in one transaction that also
 * bumps the corpus version. A job re-run after its worker died starts over from the stored bytes; applying is
 * guarded so a version becomes `ready` once. A document that cannot be read ends `failed` with the reason at once;
 * transient failures (database, embedding endpoint) are retried with backoff, and fail the document on the last try.
 */
export function createIngestProcessor(d: ProcessIngestDeps) {
  return async function processIngest(
    job: Job<IngestJobData, IngestJobResult>,
    token?: string,
    signal?: AbortSignal,
  ): Promise<IngestJobResult> {
    const parsed = ingestJobSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError('malformed ingest payload');
    const { versionId } = parsed.data;
    const log = d.logger.child({ versionId, jobId: job.id, attempt: job.attemptsMade + 1 });
    const v = await claimVersion(d.pool, versionId);
    if (!v) {
      log.info('nothing to ingest: the version is finished or its document was deleted');
      return { outcome: 'already_finished' };
    }
    const startedAt = Date.now();
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new IngestTimeoutError()), d.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, deadline.signal]) : deadline.signal;
    const progress = async (p: IngestProgress) => {
      await setVersionProgress(d.pool, versionId, p);
      await job.updateProgress({ ...p }).catch(() => {});
    };
    try {
      await progress({ stage: 'extracting' });
      const bytes = await readContent(d.pool, v.contentOid, v.byteSize);
      combined.throwIfAborted();
      const doc = await extractFile(bytes, v.fileName, {
        timeoutMs: Math.max(1000, startedAt + d.timeoutMs - Date.now()),
        signal: combined,
        extractors: d.extractors,
      });
      const pieces = await chunkDocument(doc, { chunkSize: d.chunkSize, chunkOverlap: d.chunkOverlap });
      if (pieces.length === 0) throw new ExtractError('no_text', 'No text was found in the document.');
      const pages = doc.pageCount;
      const title = v.title ?? doc.title ?? v.fileName;
      await progress({ stage: 'embedding', pages, chunks: pieces.length, embedded: 0 });
      const known = await reusableEmbeddings(d.pool, v.key, title, d.embedder.model);
      const { chunks } = await embedChunks(pieces, {
        title,
        embedder: d.embedder,
        batchSize: d.batchSize,
        known,
        signal: combined,
        onBatch: (embedded) => progress({ stage: 'embedding', pages, chunks: pieces.length, embedded }),
      });
      await progress({ stage: 'storing', pages, chunks: pieces.length, embedded: pieces.length });
      combined.throwIfAborted();
      const { result: outcome, version } = await changeCorpus(
        d.pool,
        (client) =>
          applyVersion(
            client,
            v,
            {
              title,
              source: `upload:${v.fileName}`,
              metadata: { bytes: v.byteSize, format: doc.format, embeddingModel: d.embedder.model, versionId },
              contentHash: v.sha256,
              pageCount: pages ?? null,
            },
            chunks,
          ),
        (outcome) => outcome === 'applied',
      );
      if (version !== undefined) {
        // Best effort: if Redis is unreachable now, cached answers may cite the old version until CACHE_TTL_S.
        await publishCorpusVersion(d.redis, d.keys, version).catch((err: unknown) =>
          log.warn({ err: (err as Error).message }, 'publishing the corpus version failed'),
        );
      }
      log.info({ outcome, pages, chunks: chunks.length, documentId: v.documentId }, 'document ingested');
      return { outcome, pages, chunks: chunks.length };
    } catch (err) {
      if (deadline.signal.aborted) {
        await failVersion(d.pool, versionId, {
          code: 'timeout',
          message: `ingestion did not finish within ${d.timeoutMs} ms (INGEST_TIMEOUT_MS)`,
        });
        throw new UnrecoverableError('timeout: ingestion time limit reached');
      }
      if (signal?.aborted && signal.reason === SHUTDOWN_REASON && token) {
        // Hand the document back without spending an attempt; the version stays `processing` until retaken.
        log.info('worker shutting down: ingestion handed back to the queue');
        await job.moveToWait(token);
        throw new WaitingError();
      }
      if (isExtractError(err)) {
        await failVersion(d.pool, versionId, { code: err.code, message: err.message });
        log.info({ code: err.code, reason: err.message }, 'document cannot be ingested');
        throw new UnrecoverableError(`${err.code}: ${err.message}`);
      }
      const lastTry = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      log.warn({ err: (err as Error).message, lastTry }, 'ingestion attempt failed');
      if (lastTry)
        await failVersion(d.pool, versionId, {
          code: 'internal',
          message: `ingestion failed: ${(err as Error).message}`,
        }).catch(() => {});
      throw err;
    } finally {
      clearTimeout(timer);
    }
  };
}
