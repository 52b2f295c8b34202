import type { Job } from 'bullmq';
import type { AskResult } from '@rag/contract';
import type { Logger } from '@rag/observability';
import {
  AskStreamWriter,
  type FlushClock,
  endAskStream,
  isAskWatched,
  jobToView,
  type AskJobData,
  type Redis,
  type RedisKeys,
} from '@rag/queue';

export interface AnswerStreamDeps {
  redis: Redis;
  keys: RedisKeys;
  resultTtlS: number;
  /** Token batching: the process's flush clock (STREAM_FLUSH_MS, STREAM_FLUSH_MAX_MS, STREAM_FLUSH_BUDGET). */
  clock: FlushClock;
}

/** Opens the ask's event stream for this attempt and announces it (`status` active). */
export function openAnswerStream(d: AnswerStreamDeps, job: Job<AskJobData, AskResult>, log: Logger): AskStreamWriter {
  const w = new AskStreamWriter({
    redis: d.redis,
    key: d.keys.events(job.id!),
    askId: job.id!,
    attempt: job.attemptsStarted || job.attemptsMade + 1,
    // Outlives the ask: the terminal event sets the final TTL (RESULT_TTL_S from the end).
    ttlMs: Math.max(0, job.data.deadline - Date.now()) + d.resultTtlS * 1000,
    clock: d.clock,
    onError: (err) => log.warn({ err: err.message }, 'writing the ask stream failed; the ask goes on without it'),
  });
  w.status();
  return w;
}

/**
 * Whether anyone may watch the ask's answer as it is generated: submitted to be streamed, or marked by a gateway
 * serving its events. Asked when generation starts (the latest moment that still lets the LLM stream), so a reader
 * that came while the ask was queued or retrieving counts. A failed check counts as watched: streaming is correct,
 * only dearer.
 */
export function answerWatched(d: AnswerStreamDeps, job: Job<AskJobData, AskResult>): () => Promise<boolean> {
  return async () => job.data.stream === true || (await isAskWatched(d.redis, d.keys, job.id!).catch(() => true));
}

/** Makes the stream hold exactly the result's citations and answer before the job completes (AskStreamWriter.complete). */
export async function completeAnswerStream(w: AskStreamWriter, result: AskResult): Promise<void> {
  await w.complete(result.citations, result.answer);
}

/**
 * Appends the terminal event of a job that just reached its final state (the same JSON as GET /v1/ask/:id), once:
 * a gateway that finds the job final without it writes the same event, and only the first one counts.
 */
export function endJobStream(d: AnswerStreamDeps, job: Job<AskJobData, AskResult>, log: Logger): void {
  endAskStream(d.redis, d.keys, jobToView(job), d.resultTtlS).catch((err: Error) =>
    log.warn({ err: err.message, askId: job.id }, 'could not end the ask stream (a gateway will, from the job)'),
  );
}
