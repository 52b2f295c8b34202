import { z } from 'zod';
import { askModeSchema, topKSchema } from '@rag/contract';

/** The one queue of the project and its one job name. Keys live under `${QUEUE_PREFIX}:asks:*`. */
export const ASK_QUEUE = 'asks';
export const ASK_JOB = 'ask';

/** Payload of an ask job: everything a worker needs, nothing it must look up. */
export const askJobSchema = z.object({
  question: z.string().min(1),
  mode: askModeSchema,
  topK: topKSchema,
  /** The collection retrieved from (absent in jobs queued before collections existed: "default"). */
  collection: z.string().default('default'),
  documentIds: z.array(z.string()).optional(),
  /** Epoch ms of submission. */
  createdAt: z.number().int(),
  /** Epoch ms after which the ask is abandoned: submission + timeoutMs. */
  deadline: z.number().int(),
  /** The gateway's request id, so a worker's log lines join the request's. */
  requestId: z.string().optional(),
  /** Answer-cache key the worker fills on success (absent when caching is off or the corpus version unknown). */
  cacheKey: z.string().optional(),
  /** Single-flight key the worker clears when the ask ends. */
  flightKey: z.string().optional(),
  /**
   * Submitted by a client reading its events (`POST` with `Accept: text/event-stream`): stream the LLM's answer.
   * Without it the worker streams only when a gateway marked the ask watched (GET /v1/ask/:id/events).
   */
  stream: z.boolean().optional(),
  /** A delivery job (id = the ask's) waits on the webhooks queue for this ask's end: the worker wakes it then. */
  webhook: z.boolean().optional(),
});
export type AskJobData = z.infer<typeof askJobSchema>;

/**
 * Job options: retries with exponential backoff for transient failures (the worker turns permanent ones and
 * those that could not finish before the deadline into UnrecoverableError), and finished jobs kept readable
 * for RESULT_TTL_S.
 */
export function askJobOptions(resultTtlS: number) {
  return {
    attempts: 3,
    backoff: { type: 'exponential' as const, delay: 200 },
    removeOnComplete: { age: resultTtlS },
    removeOnFail: { age: resultTtlS },
  };
}
