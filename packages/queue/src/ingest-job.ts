import { z } from 'zod';

/**
 * The ingestion queue: one job per uploaded document version, on a queue of its own so that ingestion runs under
 * its own concurrency (INGEST_CONCURRENCY) and never takes an ask's slot. Keys live under `${QUEUE_PREFIX}:ingest:*`.
 */
export const INGEST_QUEUE = 'ingest';
export const INGEST_JOB = 'ingest';

export const ingestJobSchema = z.object({
  /** document_versions.id: the upload to ingest. Everything else is read from the database. */
  versionId: z.string().regex(/^\d+$/),
  /** For logs and Bull Board. */
  collection: z.string(),
  documentId: z.string(),
});
export type IngestJobData = z.infer<typeof ingestJobSchema>;

export interface IngestJobResult {
  outcome: 'applied' | 'already_finished' | 'superseded' | 'deleted' | 'failed';
  pages?: number;
  chunks?: number;
}

/** One job per version: adding the same version twice (upload, then the sweep) is a no-op. */
export const ingestJobId = (versionId: string) => `v${versionId}`;

/**
 * Retries with backoff for transient failures (database, embedding endpoint); a document that cannot be read
 * fails at once (UnrecoverableError). Finished jobs stay a day for Bull Board; the document's state lives in
 * PostgreSQL, not in the job.
 */
export const ingestJobOptions = {
  attempts: 4,
  backoff: { type: 'exponential' as const, delay: 2000 },
  removeOnComplete: { age: 86400, count: 1000 },
  removeOnFail: { age: 7 * 86400 },
};
