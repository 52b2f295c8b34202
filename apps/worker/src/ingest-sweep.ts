import type { Queue } from 'bullmq';
import { failVersion, staleVersions, type Pool } from '@rag/db';
import type { Logger } from '@rag/observability';
import { INGEST_JOB, ingestJobId, ingestJobOptions, type IngestJobData } from '@rag/queue';

/**
 * Finds uploads whose ingestion job was lost and repairs them: the upload was recorded but adding its job failed
 * (Redis down at that moment), or the job ended without the processor recording an outcome (BullMQ failed it for
 * stalling too often: its workers kept dying). Re-adding is safe: one job id per version, so a job still known to
 * Redis is not added twice. Runs in every worker that ingests; the work is idempotent, so overlaps are harmless.
 */
export function startIngestSweep(d: {
  pool: Pool;
  queue: Queue<IngestJobData>;
  logger: Logger;
  /** Versions untouched for this long are examined (a working job updates its version's progress). */
  idleMs: number;
  everyMs: number;
}): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  const sweep = async () => {
    for (const v of await staleVersions(d.pool, d.idleMs)) {
      const jobId = ingestJobId(v.versionId);
      const job = await d.queue.getJob(jobId);
      const state = job ? await job.getState() : 'missing';
      if (state === 'missing' || state === 'unknown') {
        d.logger.info({ versionId: v.versionId }, 'ingest sweep: re-queueing an upload whose job was lost');
        await d.queue.add(
          INGEST_JOB,
          { versionId: v.versionId, collection: v.collection, documentId: v.documentId },
          { ...ingestJobOptions, jobId },
        );
      } else if (state === 'failed' || state === 'completed') {
        await failVersion(d.pool, v.versionId, {
          code: 'internal',
          message: `ingestion stopped without an outcome (${job?.failedReason || state}); upload the document again`,
        });
      }
    }
  };
  const tick = () => {
    running ??= sweep()
      .catch((err: unknown) => d.logger.warn({ err: (err as Error).message }, 'ingest sweep failed'))
      .finally(() => (running = undefined));
  };
  const timer = setInterval(tick, d.everyMs);
  timer.unref();
  tick();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
