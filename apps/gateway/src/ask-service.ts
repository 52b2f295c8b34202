import { createHash, randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { Metrics } from '@rag/observability';
import { normalizeQuestion } from '@rag/rag';
import { TERMINAL, type AskRequest, type AskResult, type AskView } from '@rag/contract';
import {
  ASK_JOB,
  AnswerCache,
  SingleFlight,
  askJobOptions,
  completedView,
  endAskStream,
  jobToView,
  readAsk,
  type ReplicaAcks,
  type AskEvents,
  type AskJobData,
  type Redis,
  type RedisKeys,
  type Waiter,
  type Completion,
} from '@rag/queue';
import type { WebhookJobs } from '@rag/webhooks';
import { ConflictError, NotFoundError, TooManyError, UnavailableError } from './errors.ts';

interface AskServiceDeps {
  queue: Queue<AskJobData, AskResult>;
  redis: Redis;
  keys: RedisKeys;
  events: AskEvents;
  metrics: Metrics;
  /** With settings.waitReplicas > 0: replica acknowledgements (Redis WAIT) over a connection of their own. */
  replicaAcks?: ReplicaAcks;
  /** callbackUrl: the submission-time check (throws a 400) and the delivery jobs. */
  webhooks: { check: (callbackUrl: string) => Promise<void>; jobs: WebhookJobs };
  settings: {
    askTimeoutMs: number;
    maxQueuedAsks: number;
    resultTtlS: number;
    cacheTtlS: number;
    /** Everything besides the question that changes an answer: provider models. */
    modelTag: string;
    /** Replicas that must hold a new ask before it is acknowledged (Redis WAIT); 0 = the primary's reply suffices. */
    waitReplicas?: number;
    waitTimeoutMs?: number;
  };
}

interface Submission {
  view: AskView;
  /** How the ask was served: a new job, the answer cache, an identical ask in flight, or an Idempotency-Key replay. */
  served: 'queued' | 'cached' | 'coalesced' | 'idempotent';
  /** The requested wait already happened (the view is as fresh as it gets). */
  waited?: boolean;
}

interface SubmitOptions {
  /** The HTTP request's id, carried into the job so a worker's log lines join the request's. */
  requestId?: string;
  idempotencyKey?: string;
  /** Who the Idempotency-Key belongs to (keys of different clients never collide). */
  clientId?: string;
  /** Prefer: wait, in ms: how long to wait for the ask to finish before answering. */
  waitMs?: number;
  /** Aborted when the client goes away. */
  signal?: AbortSignal;
  /** The client reads the ask's events in the same response: a new job streams its answer from the LLM. */
  stream?: boolean;
}

/** An ask being submitted: its id and submission time, fixed at the start. */
interface NewAsk {
  id: string;
  /** Epoch ms of submission. */
  at: number;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** Accepting, reading, waiting for and cancelling asks: the gateway's logic without HTTP. */
export class AskService {
  private readonly d: AskServiceDeps;
  private readonly jobOptions;
  private readonly cache: AnswerCache;
  private readonly flights: SingleFlight;
  constructor(deps: AskServiceDeps) {
    this.d = deps;
    this.jobOptions = askJobOptions(deps.settings.resultTtlS);
    this.cache = new AnswerCache({ redis: deps.redis, keys: deps.keys, ttlS: deps.settings.cacheTtlS });
    this.flights = new SingleFlight({ redis: deps.redis, keys: deps.keys });
  }

  /** The identity of an ask's answer: normalised question, options, models. The corpus version is added per lookup. */
  answerIdentity(req: AskRequest): string {
    const docs = req.filters?.documentIds ? [...new Set(req.filters.documentIds)].sort() : [];
    return JSON.stringify([
      normalizeQuestion(req.question),
      req.mode,
      req.topK,
      req.collection,
      docs,
      this.d.settings.modelTag,
    ]);
  }

  /**
   * Accepts an ask, in steps: an Idempotency-Key replay, else the answer cache, else an identical ask in flight,
   * else (admitted) a new job, waited for when the client asked to wait.
   */
  async submit(req: AskRequest, opts: SubmitOptions): Promise<Submission> {
    const ask: NewAsk = { id: randomUUID(), at: Date.now() };
    if (req.callbackUrl !== undefined) await this.d.webhooks.check(req.callbackUrl);
    const idem = await this.replayIdempotent(req, opts, ask);
    if (idem && 'view' in idem) return idem;
    try {
      const identity = this.answerIdentity(req);
      const { version, key: cacheKey } = await this.cache.locate(identity);
      const cached = cacheKey ? await this.serveCached(cacheKey, ask) : undefined;
      if (cached) {
        if (req.callbackUrl) await this.d.webhooks.jobs.sendNow(ask.id, req.callbackUrl);
        return cached;
      }
      const flightKey = this.flights.key(identity, version);
      const timeoutMs = req.timeoutMs ?? this.d.settings.askTimeoutMs;
      // An ask with a callbackUrl gets its own job (its webhook is tied to its own id: one delivery job per ask) and
      // leaves the key to the ask holding it.
      const shared = await this.joinFlight(flightKey, ask, timeoutMs, req.callbackUrl === undefined);
      if (shared) {
        // Answered by another ask's id: a retry with this Idempotency-Key must find that one, not this unused id.
        if (idem)
          await this.d.redis.set(idem.key, JSON.stringify({ id: shared.view.id, bodyHash: idem.bodyHash }), 'KEEPTTL');
        return shared;
      }
      try {
        await this.admit();
      } catch (err) {
        // Refused: free the flight key so identical asks are not pointed at a job that will never exist.
        await this.flights.release(flightKey, ask.id);
        throw err;
      }
      return await this.enqueue(req, opts, ask, { deadline: ask.at + timeoutMs, cacheKey, flightKey });
    } catch (err) {
      // Refused before a job existed (429, Redis unavailable, a failed add): free the Idempotency-Key, so the client's
      // retry with it is a new attempt instead of a replay of an ask that was never queued. A 503 from a replica WAIT
      // comes after the add: the ask exists, and the key keeps pointing at it.
      if (idem && !(await this.exists(ask.id))) await this.d.redis.del(idem.key).catch(() => 0);
      throw err;
    }
  }

  /** Whether an ask id has a job or a stored record (a cached answer's). */
  private async exists(id: string): Promise<boolean> {
    try {
      return (await this.read(id)) !== null;
    } catch {
      return false;
    }
  }

  /**
   * The same Idempotency-Key (per client) with the same body returns the first ask; with another body, 409.
   * Otherwise this request claims the key for its own ask id, and gets the claim back (to move or free it).
   */
  private async replayIdempotent(
    req: AskRequest,
    opts: SubmitOptions,
    ask: NewAsk,
  ): Promise<Submission | { key: string; bodyHash: string } | undefined> {
    if (opts.idempotencyKey === undefined) return undefined;
    const { keys, redis, settings } = this.d;
    const idemKey = keys.idempotency(sha256(`${opts.clientId ?? ''}\n${opts.idempotencyKey}`));
    const bodyHash = sha256(JSON.stringify(req));
    const claimed = await redis.set(idemKey, JSON.stringify({ id: ask.id, bodyHash }), 'EX', settings.resultTtlS, 'NX');
    if (claimed === 'OK') return { key: idemKey, bodyHash };
    const prior = JSON.parse((await redis.get(idemKey)) ?? '{}') as { id?: string; bodyHash?: string };
    if (!prior.id) return undefined;
    if (prior.bodyHash !== bodyHash) {
      throw new ConflictError(
        'idempotency_conflict',
        'this Idempotency-Key was already used with a different request body',
      );
    }
    // The first request may still be between claiming the key and enqueuing: it is queued then, unless it is refused
    // (429/503), which frees the key; that narrow race (two requests with one key in the same instant) is not closed.
    const view = (await this.read(prior.id)) ?? {
      id: prior.id,
      status: 'queued' as const,
      createdAt: new Date(ask.at).toISOString(),
    };
    return { view, served: 'idempotent' };
  }

  /** A cached answer completes the ask at once; its record is kept like a job's, for GET /v1/ask/:id. */
  private async serveCached(cacheKey: string, ask: NewAsk): Promise<Submission | undefined> {
    const result = await this.cache.get(cacheKey);
    this.d.metrics.cacheRequests.inc({ cache: 'answer', result: result ? 'hit' : 'miss' });
    if (!result) return undefined;
    const totalMs = Date.now() - ask.at;
    const view: AskView = {
      id: ask.id,
      status: 'completed',
      createdAt: new Date(ask.at).toISOString(),
      finishedAt: new Date().toISOString(),
      result: { ...result, cached: true, timings: { queuedMs: 0, retrievalMs: 0, generationMs: 0, totalMs } },
    };
    await this.d.redis.set(this.d.keys.ask(ask.id), JSON.stringify(view), 'EX', this.d.settings.resultTtlS);
    return { view, served: 'cached' };
  }

  /**
   * Single-flight: an identical ask already queued or running answers this one too (one retrieval, one LLM call).
   * Otherwise this ask holds the flight key (claimed, or taken over from one not worth sharing).
   */
  private async joinFlight(
    flightKey: string,
    ask: NewAsk,
    timeoutMs: number,
    mayShare: boolean,
  ): Promise<Submission | undefined> {
    const held = await this.flights.claim(flightKey, ask.id, timeoutMs);
    if (!held || !mayShare) return undefined;
    if (held.holder) {
      const other = await this.d.queue.getJob(held.holder);
      // No job yet: its owner claimed the key a moment ago and is adding it now; share it all the same.
      if (!other)
        return {
          view: { id: held.holder, status: 'queued', createdAt: new Date(ask.at).toISOString() },
          served: 'coalesced',
        };
      // Running, or completed a moment ago (this request read the cache just before it was filled): share it.
      // Only a failed one is not shared: this ask deserves its own attempt.
      const view = jobToView(other);
      if (view.status !== 'failed' && view.status !== 'cancelled' && !view.result?.degraded)
        return { view, served: 'coalesced' };
    }
    await this.flights.takeOver(flightKey, ask.id, timeoutMs);
    return undefined;
  }

  /** Adds the job; with Prefer: wait, waits for it (listening before adding: it may finish before add() returns). */
  private async enqueue(
    req: AskRequest,
    opts: SubmitOptions,
    ask: NewAsk,
    job: { deadline: number; cacheKey?: string; flightKey: string },
  ): Promise<Submission> {
    const data: AskJobData = {
      question: req.question,
      mode: req.mode,
      topK: req.topK,
      collection: req.collection,
      documentIds: req.filters?.documentIds,
      createdAt: ask.at,
      deadline: job.deadline,
      requestId: opts.requestId,
      cacheKey: job.cacheKey,
      flightKey: job.flightKey,
      ...(opts.stream ? { stream: true } : {}),
    };
    // The delivery job exists before its ask does, so no end of the ask can come before it. Failing to add it
    // costs the webhook, never the ask.
    if (req.callbackUrl) data.webhook = await this.d.webhooks.jobs.hold(ask.id, req.callbackUrl, data.deadline);
    const waiter = opts.waitMs ? this.d.events.register(ask.id) : undefined;
    try {
      try {
        await this.d.queue.add(ASK_JOB, data, { ...this.jobOptions, jobId: ask.id });
      } catch (err) {
        await this.flights.release(job.flightKey, ask.id);
        if (data.webhook) await this.d.webhooks.jobs.drop(ask.id);
        throw err;
      }
      await this.replicated();
      const queued: AskView = { id: ask.id, status: 'queued', createdAt: new Date(ask.at).toISOString() };
      if (!waiter) return { view: queued, served: 'queued' };
      const done = await this.waitFor(waiter, opts.waitMs!, opts.signal);
      const view = done ? completedView(ask.id, queued.createdAt, done) : ((await this.read(ask.id)) ?? queued);
      return { view, served: 'queued', waited: true };
    } finally {
      waiter?.dispose();
    }
  }

  /**
   * With REDIS_WAIT_REPLICAS, the ask (and every write the primary acknowledged before it) must reach that many
   * replicas before the 202: a failover right after cannot then lose it unless the replica dies too. If they do not
   * confirm in time (or the WAIT fails), 503: the ask is queued and may still run; the client's retry with the same
   * Idempotency-Key finds it (a replay answers the first ask's id without a second job).
   */
  private async replicated(): Promise<void> {
    const { waitReplicas = 0, waitTimeoutMs = 500 } = this.d.settings;
    if (waitReplicas <= 0) return;
    // While replicas are missing, one WAIT a second finds out when they are back; the asks in between are refused
    // at once instead of each waiting out the timeout.
    const refuse = (acked: number) => {
      this.d.metrics.asksRefused.inc({ code: 'unavailable' });
      return new UnavailableError(
        `the ask reached ${acked} of ${waitReplicas} Redis replicas within ${waitTimeoutMs} ms; retry with the same Idempotency-Key`,
      );
    };
    if (Date.now() < this.replicasMissingUntil) throw refuse(0);
    // Not on the request-path connection (a WAIT blocks the connection it is sent on); a WAIT that fails counts 0.
    const acked = (await this.d.replicaAcks?.confirm()) ?? 0;
    if (acked < waitReplicas) {
      this.replicasMissingUntil = Date.now() + 1000;
      throw refuse(acked);
    }
  }

  private replicasMissingUntil = 0;

  private counted?: { at: number; waiting: number };

  /** Asks waiting (wait + prioritized + delayed lists): one Redis round trip. */
  private async waitingCount(): Promise<number> {
    const counts = await this.d.queue.getJobCounts('wait', 'prioritized', 'delayed');
    const waiting = (counts.wait ?? 0) + (counts.prioritized ?? 0) + (counts.delayed ?? 0);
    this.counted = { at: Date.now(), waiting };
    return waiting;
  }

  /**
   * Admission control: refuse when more asks wait than MAX_QUEUED_ASKS, with a Retry-After from the drain rate.
   * Far below the bound, a count up to 100 ms old is good enough and saves a round trip per ask on the hot path;
   * within half of the bound the count is always fresh.
   */
  private async admit(): Promise<void> {
    const max = this.d.settings.maxQueuedAsks;
    const c = this.counted;
    const waiting = c && Date.now() - c.at < 100 && c.waiting < max / 2 ? c.waiting : await this.waitingCount();
    if (waiting < max) return;
    const rate = this.d.events.drainRate();
    const retryAfter = Math.min(60, Math.max(1, Math.ceil((waiting - max + 1) / Math.max(rate, 0.5))));
    this.d.metrics.asksRefused.inc({ code: 'overloaded' });
    throw new TooManyError(
      'overloaded',
      `the queue is full (${waiting} asks waiting); retry after ${retryAfter} s`,
      retryAfter,
    );
  }

  read(id: string): Promise<AskView | null> {
    return readAsk(
      { queue: this.d.queue, redis: this.d.redis, keys: this.d.keys, resultTtlS: this.d.settings.resultTtlS },
      id,
    );
  }

  /**
   * Reads an ask, waiting up to `waitMs` for it to become terminal. The waiter is registered before the first
   * read so a completion between the read and the wait is not missed.
   */
  async readWaiting(id: string, waitMs: number, signal?: AbortSignal): Promise<AskView | null> {
    if (waitMs <= 0) return this.read(id);
    const waiter = this.d.events.register(id);
    try {
      const first = await this.read(id);
      if (!first || TERMINAL.has(first.status)) return first;
      const done = await this.waitFor(waiter, waitMs, signal);
      return done ? completedView(id, first.createdAt, done) : ((await this.read(id)) ?? first);
    } finally {
      waiter.dispose();
    }
  }

  /** Until the ask's terminal event, the end of the wait, or the client going away, whichever comes first. */
  private async waitFor(waiter: Waiter, waitMs: number, signal?: AbortSignal): Promise<Completion | undefined> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        waiter.done,
        new Promise<undefined>((resolve) => {
          timer = setTimeout(() => resolve(undefined), waitMs);
          signal?.addEventListener('abort', () => resolve(undefined), { once: true });
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Cancels an ask: a queued one is taken off the queue and recorded as cancelled; a running one is aborted by
   * the worker that runs it (the abort reaches its pg query and LLM call). A finished one cannot be cancelled.
   */
  async cancel(id: string): Promise<AskView> {
    const view = await this.read(id);
    if (!view) throw new NotFoundError();
    if (TERMINAL.has(view.status)) throw new ConflictError('already_finished', `the ask is already ${view.status}`);
    const job = await this.d.queue.getJob(id);
    if (!job) throw new NotFoundError();
    if (view.status === 'queued') {
      try {
        await job.remove();
        const cancelled: AskView = {
          id,
          status: 'cancelled',
          createdAt: view.createdAt,
          finishedAt: new Date().toISOString(),
          error: { code: 'cancelled', message: 'the ask was cancelled before it started' },
        };
        await this.d.redis.set(this.d.keys.ask(id), JSON.stringify(cancelled), 'EX', this.d.settings.resultTtlS);
        // No worker will end its event stream: this is its terminal event.
        await endAskStream(this.d.redis, this.d.keys, cancelled, this.d.settings.resultTtlS);
        this.d.events.wake(id);
        if (job.data.webhook) await this.d.webhooks.jobs.promote(id);
        return cancelled;
      } catch {
        // Locked: a worker took it between our read and the removal; cancel it as a running ask.
      }
    }
    const waiter = this.d.events.register(id);
    try {
      await this.d.redis.publish(this.d.keys.cancelChannel, id);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([waiter.done, new Promise<void>((r) => (timer = setTimeout(r, 5000)))]);
      clearTimeout(timer);
    } finally {
      waiter.dispose();
    }
    const after = await this.read(id);
    if (after?.status === 'cancelled') return after;
    if (after && TERMINAL.has(after.status))
      throw new ConflictError('already_finished', `the ask is already ${after.status}`);
    // No worker acknowledged within 5 s (e.g. its worker died): the abort is delivered when one picks it up.
    return after ?? view;
  }
}
