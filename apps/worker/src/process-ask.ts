import { UnrecoverableError, WaitingError, type Job } from 'bullmq';
import type { Logger, Metrics, StatsWindow } from '@rag/observability';
import { answerQuestion, UpstreamError, type RagDeps } from '@rag/rag';
import type { AskResult } from '@rag/contract';
import { askJobSchema, formatFailure, type AnswerCache, type AskJobData } from '@rag/queue';
import { answerWatched, completeAnswerStream, openAnswerStream, type AnswerStreamDeps } from './answer-stream.ts';
import type { ReplicaFreshness } from './replica-freshness.ts';

interface ProcessAskDeps {
  rag: RagDeps;
  logger: Logger;
  metrics: Metrics;
  /** Recent per-stage durations and outcomes for the heartbeat (/monitoring/*). */
  stats: StatsWindow;
  /** Stores each successful result under the key the gateway located. Failures to store are logged, not fatal. */
  cache: AnswerCache;
  /** Backoff base of the job options, to know whether a retry could still finish before the deadline. */
  backoffMs: number;
  /** Where each attempt streams its status, citations and tokens (the ask's event stream). */
  stream: AnswerStreamDeps;
  /**
   * With a read replica (DATABASE_READ_URL): picks, per ask, the replica or (while it lags behind the corpus
   * version) the primary for retrieval, instead of `rag.pool`.
   */
  replica?: ReplicaFreshness;
}

/** Reason given to cancelJob when the worker shuts down: the ask is handed back to the queue, not failed. */
export const SHUTDOWN_REASON = 'shutdown';

/**
 * The processor of one ask. Fails `expired` without any retrieval or LLM call when the deadline passed in the
 * queue; otherwise runs under one AbortSignal that fires at the deadline, on cancel, or on shutdown, and reaches
 * the embedding call, the pg query and the LLM request, so the slot is free the moment the ask ends.
 */
export function createAskProcessor(d: ProcessAskDeps) {
  return async function processAsk(
    job: Job<AskJobData, AskResult>,
    token?: string,
    signal?: AbortSignal,
  ): Promise<AskResult> {
    const parsed = askJobSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(formatFailure('internal', 'malformed ask payload'));
    const data = parsed.data;
    const log = d.logger.child({ askId: job.id, requestId: data.requestId, attempt: job.attemptsMade + 1 });
    const startedAt = Date.now();
    const queuedMs = startedAt - data.createdAt;
    if (startedAt >= data.deadline) {
      log.info({ queuedMs }, 'ask expired in the queue');
      throw new UnrecoverableError(
        formatFailure(
          'expired',
          `the deadline passed ${startedAt - data.deadline} ms before a worker could start the ask`,
        ),
      );
    }
    const observe = (stage: string, ms: number) => {
      d.metrics.stageDuration.observe({ stage }, ms / 1000);
      d.stats.record(stage, ms);
    };
    observe('queue_wait', queuedMs);

    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new Error('deadline reached')), data.deadline - startedAt);
    const combined = signal ? AbortSignal.any([signal, deadline.signal]) : deadline.signal;
    const stream = openAnswerStream(d.stream, job, log);
    /** With a read replica: which server this attempt's retrieval reads (replica or primary). */
    let readFrom: string | undefined;
    try {
      let rag = d.rag;
      if (d.replica) {
        const read = await d.replica.poolFor({ deadline: data.deadline, signal: combined });
        rag = { ...d.rag, pool: read.pool };
        readFrom = read.server;
        if (read.waitedMs > 0) observe('replica_wait', read.waitedMs);
      }
      const out = await answerQuestion(
        {
          question: data.question,
          mode: data.mode,
          topK: data.topK,
          collection: data.collection,
          documentIds: data.documentIds,
          deadline: data.deadline,
          signal: combined,
          onCitations: (citations) => stream.citations(citations),
          onToken: (text) => stream.token(text),
          watched: answerWatched(d.stream, job),
        },
        rag,
      );
      const totalMs = Date.now() - data.createdAt;
      observe('embedding', out.timings.embeddingMs);
      observe('pool_wait', out.timings.poolWaitMs);
      observe('retrieval', out.timings.retrievalMs - out.timings.embeddingMs);
      observe('generation', out.timings.generationMs);
      observe('total', totalMs);
      if (out.usage) {
        d.metrics.llmTokens.inc({ kind: 'prompt' }, out.usage.promptTokens);
        d.metrics.llmTokens.inc({ kind: 'completion' }, out.usage.completionTokens);
      }
      const result: AskResult = {
        answer: out.answer,
        answerable: out.answerable,
        citations: out.citations,
        mode: data.mode,
        model: out.model,
        cached: false,
        ...(out.degraded ? { degraded: true } : {}),
        timings: { queuedMs, ...out.timings, totalMs },
      };
      await completeAnswerStream(stream, result);
      await d.cache
        .store(data.cacheKey, result)
        .catch((err: unknown) => log.warn({ err }, 'storing the result in the cache failed'));
      log.info({ totalMs, queuedMs, model: out.model, degraded: out.degraded, readFrom }, 'ask completed');
      return result;
    } catch (err) {
      if (deadline.signal.aborted) {
        log.info({ elapsedMs: Date.now() - startedAt }, 'ask aborted at its deadline');
        throw new UnrecoverableError(
          formatFailure(
            'timeout',
            `the ask did not finish within its deadline (${data.deadline - data.createdAt} ms from submission)`,
          ),
        );
      }
      if (signal?.aborted) {
        if (signal.reason === SHUTDOWN_REASON && token) {
          // Hand the ask back without spending an attempt: another worker (or this one, restarted) runs it.
          log.info('worker shutting down: ask handed back to the queue');
          await job.moveToWait(token);
          throw new WaitingError();
        }
        log.info('ask cancelled');
        throw new UnrecoverableError(formatFailure('cancelled', 'the ask was cancelled'));
      }
      if (err instanceof UpstreamError) {
        if (readFrom === 'replica' && err.code === 'retrieval_failed' && err.retryable) d.replica?.readFailed();
        const reason = formatFailure(err.code, err.message);
        const attemptsLeft = (job.opts.attempts ?? 1) - job.attemptsMade - 1;
        const nextDelay = d.backoffMs * 2 ** job.attemptsMade;
        const retry = err.retryable && attemptsLeft > 0 && Date.now() + nextDelay < data.deadline;
        log.warn({ err: err.message, retry }, 'ask attempt failed');
        throw retry ? new Error(reason) : new UnrecoverableError(reason);
      }
      log.error({ err }, 'ask failed unexpectedly');
      throw new UnrecoverableError(formatFailure('internal', 'an unexpected error occurred while answering'));
    } finally {
      clearTimeout(timer);
      stream.close();
    }
  };
}
