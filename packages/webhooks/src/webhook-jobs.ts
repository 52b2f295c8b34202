import type { Queue } from 'bullmq';
import { WEBHOOK_FALLBACK_GRACE_MS, WEBHOOK_JOB, webhookJobOptions, type WebhookJobData } from '@rag/queue';
import type { WebhookJobResult } from './webhook-processor.ts';

type WebhookQueue = Queue<WebhookJobData, WebhookJobResult>;

/**
 * Creating and waking delivery jobs (gateway and worker). A delivery job is created with its ask and held until
 * the ask's deadline plus a grace period; whoever sees the ask end promotes it so it runs at once. If that
 * moment is lost (a process killed between ending the ask and promoting, a job failed by BullMQ's stalled
 * checker) the held job still runs, and waits for the ask's end itself. Either way, one job per ask (its id is
 * the ask's), and so one delivery.
 */
export class WebhookJobs {
  private readonly queue: WebhookQueue;
  private readonly backoffMs: number;
  private readonly keepS: number;
  private readonly graceMs: number;
  constructor(o: { queue: WebhookQueue; backoffMs: number; keepS: number; graceMs?: number }) {
    this.queue = o.queue;
    this.backoffMs = o.backoffMs;
    this.keepS = o.keepS;
    this.graceMs = o.graceMs ?? WEBHOOK_FALLBACK_GRACE_MS;
  }

  /**
   * The delivery job of an ask that is about to be queued: held until `deadline` + grace. Adding it twice (an
   * id already present) is a no-op. Resolves false instead of throwing: a webhook never fails its ask.
   */
  async hold(askId: string, callbackUrl: string, deadline: number): Promise<boolean> {
    return this.add(askId, callbackUrl, Math.max(0, deadline - Date.now()) + this.graceMs);
  }

  /** The delivery job of an ask that has already ended (served from the cache): runs at once. */
  async sendNow(askId: string, callbackUrl: string): Promise<boolean> {
    return this.add(askId, callbackUrl, 0);
  }

  private async add(askId: string, callbackUrl: string, delayMs: number): Promise<boolean> {
    try {
      await this.queue.add(
        WEBHOOK_JOB,
        { askId, callbackUrl, webhookId: webhookIdOf(askId) },
        { ...webhookJobOptions({ backoffMs: this.backoffMs, keepS: this.keepS, delayMs }), jobId: askId },
      );
      return true;
    } catch {
      return false;
    }
  }

  /** The ask ended: run its held delivery job now. A job already running or done is left alone. Never throws. */
  async promote(askId: string): Promise<void> {
    try {
      await (await this.queue.getJob(askId))?.promote();
    } catch {
      // Not delayed any more (a race with the fallback timer, or another promoter): it runs anyway.
    }
  }

  /** Best effort: the ask it was held for was never queued. */
  async drop(askId: string): Promise<void> {
    await this.queue.remove(askId).catch(() => 0);
  }
}

/** The webhook-id of an ask's delivery: derived from the ask, so it is the same on every attempt and every path. */
function webhookIdOf(askId: string): string {
  return `msg_${askId}`;
}
