import type { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { AskResult, AskView } from '@rag/contract';
import type { AskJobData } from './ask-job.ts';
import { parseFailure } from './ask-failure.ts';
import type { Completion } from './ask-events.ts';
import type { RedisKeys } from './keys.ts';

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The client's view of a job, from its hash alone (no getState(), which scans the state lists):
 * a return value means completed; finishedOn without one means failed (or cancelled, by its code);
 * an attempt started and not yet ended means active; anything else is waiting its turn.
 */
export function jobToView(job: Job<AskJobData, AskResult>): AskView {
  const createdAt = iso(job.data?.createdAt ?? job.timestamp);
  if (job.finishedOn && job.returnvalue != null) {
    return { id: job.id!, status: 'completed', createdAt, finishedAt: iso(job.finishedOn), result: job.returnvalue };
  }
  if (job.finishedOn) {
    const error = parseFailure(job.failedReason);
    return {
      id: job.id!,
      status: error.code === 'cancelled' ? 'cancelled' : 'failed',
      createdAt,
      finishedAt: iso(job.finishedOn),
      error,
    };
  }
  const running = job.processedOn !== undefined && (job.attemptsStarted ?? 0) > (job.attemptsMade ?? 0);
  return { id: job.id!, status: running ? 'active' : 'queued', createdAt };
}

/** The view of an ask whose completion event was just received (the same as reading its job back then). */
export function completedView(id: string, createdAt: string, c: Completion): AskView {
  return { id, status: 'completed', createdAt, finishedAt: iso(c.finishedAt), result: c.result };
}

const ASK_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Reads an ask: its job, else its stand-alone record (cache-served or cancelled while queued).
 * Finished asks older than RESULT_TTL_S read as gone even if BullMQ has not trimmed them yet.
 */
export async function readAsk(
  deps: { queue: Queue<AskJobData, AskResult>; redis: Redis; keys: RedisKeys; resultTtlS: number },
  id: string,
): Promise<AskView | null> {
  if (!ASK_ID.test(id)) return null;
  const job = await deps.queue.getJob(id);
  if (job) {
    if (job.finishedOn && Date.now() - job.finishedOn > deps.resultTtlS * 1000) return null;
    return jobToView(job);
  }
  const raw = await deps.redis.get(deps.keys.ask(id));
  return raw ? (JSON.parse(raw) as AskView) : null;
}
