import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import type { Logger } from '@rag/observability';
import { TERMINAL, type AskView } from '@rag/contract';
import { webhookJobSchema, type WebhookJobData } from '@rag/queue';
import type { DeliveryOutcome, WebhookMessage } from './deliver-webhook.ts';

interface WebhookProcessorDeps {
  /** The ask's view exactly as GET /v1/ask/:id answers it, or null when unknown or expired. */
  readAsk: (id: string) => Promise<AskView | null>;
  /** One attempt (deliverWebhook with its options bound); absent when WEBHOOK_SECRET is not set here. */
  deliver?: (msg: WebhookMessage) => Promise<DeliveryOutcome>;
  logger: Logger;
  /** How long to wait before looking again at an ask that has not ended yet (the fallback ran early). */
  recheckMs: number;
  /** Called with each attempt's outcome (metrics). */
  onAttempt?: (outcome: DeliveryOutcome) => void;
}

export interface WebhookJobResult {
  delivered: boolean;
  status?: number;
  attempts: number;
  /** Why nothing was sent (the ask is unknown: it was never queued, or expired before its end was seen). */
  skipped?: string;
}

/**
 * The processor of one delivery job. The first attempt reads the ask's final view and keeps it in the job, so
 * every attempt sends the same bytes under the same webhook-id; an attempt that gets no 2xx throws and BullMQ
 * retries it with the queue's backoff, a refused target throws UnrecoverableError (no attempt would pass).
 */
export function createWebhookProcessor(d: WebhookProcessorDeps) {
  return async function processWebhook(
    job: Job<WebhookJobData, WebhookJobResult>,
    token?: string,
  ): Promise<WebhookJobResult> {
    const parsed = webhookJobSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError('malformed webhook job payload');
    const data = parsed.data;
    const log = d.logger.child({ askId: data.askId, webhookId: data.webhookId, attempt: job.attemptsMade + 1 });
    let body = data.body;
    if (body === undefined) {
      const view = await d.readAsk(data.askId);
      if (!view) {
        log.warn('webhook not sent: the ask is unknown or expired');
        return { delivered: false, attempts: job.attemptsMade, skipped: 'ask_not_found' };
      }
      if (!TERMINAL.has(view.status)) {
        // Only the fallback timer brings a job here before its ask ended; wait without spending an attempt.
        if (!token) throw new Error('the ask has not ended yet');
        await job.moveToDelayed(Date.now() + d.recheckMs, token);
        throw new DelayedError();
      }
      body = JSON.stringify(view);
      await job.updateData({ ...data, body });
    }
    if (!d.deliver)
      throw new UnrecoverableError('WEBHOOK_SECRET is not set on this worker: deliveries cannot be signed');
    const out = await d.deliver({ id: data.webhookId, url: data.callbackUrl, body });
    d.onAttempt?.(out);
    if (out.ok) {
      log.info({ status: out.status }, 'webhook delivered');
      return { delivered: true, status: out.status, attempts: job.attemptsMade + 1 };
    }
    const reason = `${out.kind}: ${out.error ?? `status ${out.status}`}`;
    log.warn(
      { kind: out.kind, status: out.status, retry: out.retryable, response: out.responseSnippet },
      'webhook attempt failed',
    );
    throw out.retryable ? new Error(reason) : new UnrecoverableError(reason);
  };
}
