import { QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import type { AskResult } from '@rag/contract';
import { ASK_QUEUE } from './ask-job.ts';

/** A completed ask as its event tells it: enough to answer a waiting client without reading the job back. */
export interface Completion {
  result: AskResult;
  /** Epoch ms the completion was recorded (the event's stream id). */
  finishedAt: number;
}

export interface Waiter {
  /**
   * Resolves when the ask reaches a terminal state, or when the events listener closes: with its result when it
   * completed, else with nothing (failed, cancelled, removed, closing: the caller reads the ask).
   */
  done: Promise<Completion | undefined>;
  dispose(): void;
}

const RATE_WINDOW_MS = 10_000;

/**
 * One subscription to the queue's event stream per gateway process, fanned out to every waiting request: no Redis
 * connection or poll loop per long-poll. Callers register *before* reading the ask's status, so an ask that
 * finishes between the read and the wait still wakes them. Also measures the drain rate (finished asks per
 * second) that Retry-After is computed from.
 */
export class AskEvents {
  private readonly events: QueueEvents;
  private readonly waiters = new Map<string, Set<(c?: Completion) => void>>();
  private finishedAt: number[] = [];
  private closing?: Promise<void>;

  constructor(opts: { connection: Redis; prefix: string }) {
    this.events = new QueueEvents(ASK_QUEUE, { connection: opts.connection, prefix: opts.prefix, autorun: true });
    // BullMQ has already parsed the return value of every completed event (each gateway gets them all); handing it
    // to the waiter saves reading the job back (a round trip and a second parse) on the Prefer: wait hot path.
    this.events.on('completed', ({ jobId, returnvalue }, id) => {
      this.finishedAt.push(Date.now());
      const result = returnvalue as unknown as AskResult | null;
      const at = Number(String(id).split('-')[0]);
      this.wake(
        jobId,
        result && typeof result === 'object'
          ? { result, finishedAt: Number.isFinite(at) && at > 0 ? at : Date.now() }
          : undefined,
      );
    });
    this.events.on('failed', ({ jobId }) => {
      this.finishedAt.push(Date.now());
      this.wake(jobId);
    });
    this.events.on('removed', ({ jobId }) => this.wake(jobId));
    // Errors (e.g. Redis restarting) are retried by the connection; without a listener they would crash us.
    this.events.on('error', () => {});
  }

  /** Resolves when the stream reader is connected (tests wait for it before racing events). */
  waitUntilReady(): Promise<void> {
    return this.events.waitUntilReady().then(() => undefined);
  }

  register(id: string): Waiter {
    let wake!: (c?: Completion) => void;
    const done = new Promise<Completion | undefined>((resolve) => (wake = resolve));
    if (this.closing) wake();
    let set = this.waiters.get(id);
    if (!set) {
      set = new Set();
      this.waiters.set(id, set);
    }
    set.add(wake);
    return {
      done,
      dispose: () => {
        set!.delete(wake);
        if (set!.size === 0 && this.waiters.get(id) === set) this.waiters.delete(id);
      },
    };
  }

  /** Wakes the waiters of one ask (also used by the gateway for asks that end without a job event). */
  wake(id: string, completion?: Completion): void {
    const set = this.waiters.get(id);
    if (!set) return;
    this.waiters.delete(id);
    for (const w of set) w(completion);
  }

  get waiting(): number {
    let n = 0;
    for (const s of this.waiters.values()) n += s.size;
    return n;
  }

  /** Asks finished per second over the last 10 s, across all workers. */
  drainRate(): number {
    const cutoff = Date.now() - RATE_WINDOW_MS;
    let i = 0;
    while (i < this.finishedAt.length && this.finishedAt[i] < cutoff) i++;
    if (i > 0) this.finishedAt = this.finishedAt.slice(i);
    return this.finishedAt.length / (RATE_WINDOW_MS / 1000);
  }

  /** Stops listening and releases every waiter (they then answer with the ask's current status). Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const set of this.waiters.values()) for (const w of set) w();
      this.waiters.clear();
      await this.events.close().catch(() => {});
    })();
    return this.closing;
  }
}
