import { z } from 'zod';

/**
 * The webhooks queue: one delivery job per ask that carries a callbackUrl, its id the ask's id, so that however
 * many times an ask's end is reported (worker retries, two gateways, the fallback below) there is one job and
 * so one delivery. Keys live under `${QUEUE_PREFIX}:webhooks:*`.
 */
export const WEBHOOK_QUEUE = 'webhooks';
export const WEBHOOK_JOB = 'deliver';

export const webhookJobSchema = z.object({
  askId: z.string().min(1),
  callbackUrl: z.string().min(1),
  /** The webhook-id header: the same on every attempt so receivers can drop duplicates. */
  webhookId: z.string().min(1),
  /** The final view as first sent, kept so every attempt sends the same bytes (and the ask may expire meanwhile). */
  body: z.string().optional(),
});
export type WebhookJobData = z.infer<typeof webhookJobSchema>;

/** Attempts per delivery (the first and 7 retries). */
const WEBHOOK_ATTEMPTS = 8;
/** Spread of each retry delay (BullMQ's exponential backoff jitter): receivers back up are not hit in lockstep. */
const WEBHOOK_BACKOFF_JITTER = 0.2;
/**
 * How long after the ask's deadline its delivery job runs on its own when no one reported the ask's end (a worker
 * killed between finishing the ask and promoting the job, a job failed by BullMQ's stalled checker). Asks end
 * within their deadline plus lock recovery, normally well before this.
 */
export const WEBHOOK_FALLBACK_GRACE_MS = 60_000;

/**
 * Job options for a delivery: BullMQ's exponential backoff, `backoffMs` x 2^(n-1) before retry n (minus up to
 * 20% jitter); with the default 20 s that is 20 s, 40 s, 80 s ... 21 min, about 42 min from the first attempt to
 * the last (at least 34 min with the jitter). `delayMs` holds the job until the ask's fallback time; the end of
 * the ask promotes it at once.
 */
export function webhookJobOptions(o: { backoffMs: number; keepS: number; delayMs?: number }) {
  return {
    attempts: WEBHOOK_ATTEMPTS,
    backoff: { type: 'exponential' as const, delay: o.backoffMs, jitter: WEBHOOK_BACKOFF_JITTER },
    ...(o.delayMs ? { delay: o.delayMs } : {}),
    removeOnComplete: { age: o.keepS },
    // A delivery that never got through stays visible in Bull Board for a day at least.
    removeOnFail: { age: Math.max(o.keepS, 86_400) },
  };
}

/** The least and most time from the first attempt to the last, from the same options (tests, docs). */
export function webhookRetrySpan(backoffMs: number): { minMs: number; maxMs: number; attempts: number } {
  let maxMs = 0;
  for (let retry = 1; retry < WEBHOOK_ATTEMPTS; retry++) maxMs += Math.round(2 ** (retry - 1) * backoffMs);
  return { minMs: Math.floor(maxMs * (1 - WEBHOOK_BACKOFF_JITTER)), maxMs, attempts: WEBHOOK_ATTEMPTS };
}
