import type { Queue } from 'bullmq';
import { dropUnreferencedContent, failVersion, staleVersions, unreferencedContents, type Pool } from '@rag/db';
import type { Logger } from '@rag/observability';
import { INGEST_JOB, ingestJobId, ingestJobOptions, type IngestJobData } from '@rag/queue';

/**
 * Finds uploads whose ingestion job was lost and repairs them: the upload was recorded but adding its job failed
 * (Redis down at that moment), or the job ended without the processor recording an outcome (BullMQ failed it for
 * stalling too often: its workers kept dying). Re-adding is safe: one job id per version, so a job still known to
 * Redis is not added twice. Also removes the bytes of uploads that never got a version row (their gateway died while
 * they streamed in; see sweepAbandonedUploads). Runs in every worker that ingests; the work is idempotent, so
 * overlaps are harmless.
 */
export function startIngestSweep(d: {
  pool: Pool;
  queue: Queue<IngestJobData>;
  logger: Logger;
  /** Versions untouched for this long are examined (a working job updates its version's progress). */
  idleMs: number;
  everyMs: number;
  /** An upload's bytes no version points at for this long are abandoned (far past the gateway's request timeout). */
  abandonedAfterMs: number;
}): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  const unreferenced = new Map<number, number>();
  const sweep = async () => {
    await sweepAbandonedUploads(d.pool, unreferenced, { abandonedAfterMs: d.abandonedAfterMs, logger: d.logger }).catch(
      (err: unknown) => d.logger.warn({ err: (err as Error).message }, 'ingest sweep: abandoned uploads not examined'),
    );
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

/**
 * One pass over the large objects no version points at. An upload streams into its large object before its version
 * row exists, so being unreferenced is normal for the length of an upload; one seen unreferenced in passes at least
 * `abandonedAfterMs` apart (remembered in `seen`: oid -> first seen, ms) was left by a gateway that died mid-upload,
 * and is removed (only if still unreferenced at that moment). Returns the oids removed.
 */
export async function sweepAbandonedUploads(
  pool: Pool,
  seen: Map<number, number>,
  o: { abandonedAfterMs: number; logger: Logger; now?: number },
): Promise<number[]> {
  const now = o.now ?? Date.now();
  const current = new Set(await unreferencedContents(pool));
  for (const oid of seen.keys()) if (!current.has(oid)) seen.delete(oid);
  const removed: number[] = [];
  for (const oid of current) {
    const first = seen.get(oid);
    if (first === undefined) seen.set(oid, now);
    else if (now - first >= o.abandonedAfterMs) {
      if (await dropUnreferencedContent(pool, oid)) removed.push(oid);
      seen.delete(oid);
    }
  }
  if (removed.length)
    o.logger.info({ removed: removed.length }, 'ingest sweep: removed the bytes of abandoned uploads');
  return removed;
}
