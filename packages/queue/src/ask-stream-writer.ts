import type { Redis } from 'ioredis';
import { appendArgs, type AskEventName } from './ask-stream.ts';
import { commandBatch, type CommandBatch } from './command-batch.ts';

interface AskStreamWriterOptions {
  redis: Redis;
  /** The ask's stream key (`keys.events(id)`). */
  key: string;
  askId: string;
  /** The attempt writing (BullMQ's attemptsStarted): readers drop entries of attempts older than one they saw. */
  attempt: number;
  /** TTL set with the first entry, ms: long enough to outlive the ask; the terminal event sets the final one. */
  ttlMs: number;
  /**
   * Token batching: tokens arriving within this many ms of the ask's last write go out together in one entry, at
   * the next multiple of this interval on the clock. A token arriving after a quiet spell of at least this long is
   * written at once, so a slow model pays no latency for batching and a fast one does not cost one XADD per token;
   * and the answers streaming at the same time flush at the same moments, so their entries share one pipeline
   * (CommandBatch). 0 = one XADD per token.
   * @defaultValue 0
   */
  flushMs?: number;
  /** Called once with the first failed write (the stream is best effort: the ask goes on without it). */
  onError?: (err: Error) => void;
}

/** Callbacks due at each tick of the flush clock: one timer per tick, however many answers wait for it. */
const ticks = new Map<number, { timer: NodeJS.Timeout; due: Set<() => void> }>();

/**
 * Runs `fn` at the next multiple of `periodMs` on the clock, in one timer callback with everything else due then:
 * the answers streaming in this process flush their tokens at the same moments, so their XADDs share a pipeline.
 * Returns a cancel function.
 */
function onNextTick(periodMs: number, fn: () => void): () => void {
  const now = Date.now();
  const at = now - (now % periodMs) + periodMs;
  let tick = ticks.get(at);
  if (!tick) {
    const due = new Set<() => void>();
    const timer = setTimeout(() => {
      ticks.delete(at);
      for (const f of due) {
        try {
          f();
        } catch {
          // One writer's failure must not keep the others' tokens waiting (it cannot throw today).
        }
      }
    }, at - now);
    tick = { timer, due };
    ticks.set(at, tick);
  }
  const t = tick;
  t.due.add(fn);
  return () => {
    t.due.delete(fn);
    if (t.due.size === 0 && ticks.get(at) === t) {
      clearTimeout(t.timer);
      ticks.delete(at);
    }
  };
}

/**
 * Writes one attempt of an ask into its stream: `status`, `citations`, batched `token`s. Every write goes on the
 * one connection in call order, so entries land in the order they were made. The terminal event is not written
 * here: the worker writes it once the job is final (endAskStream).
 */
export class AskStreamWriter {
  private readonly o: AskStreamWriterOptions;
  private readonly flushMs: number;
  private readonly batch: CommandBatch;
  private pending = '';
  /** Cancels the pending token write on the flush clock. */
  private cancelFlush?: () => void;
  private lastWriteAt = 0;
  private last: Promise<unknown> = Promise.resolve();
  private started = false;
  /** A write failed (Redis unreachable, a pipeline cut by a dropped connection): the stream may miss entries. */
  failed = false;
  /** Answer text since the last `citations` (written or pending): what a reader concatenates. */
  text = '';
  /** JSON of the last `citations` written. */
  citationsJson?: string;
  /** Entries written (for the benchmark's writes-per-ask figure). */
  writes = 0;

  constructor(o: AskStreamWriterOptions) {
    this.o = o;
    this.flushMs = o.flushMs ?? 0;
    this.batch = commandBatch(o.redis);
  }

  /** The attempt started (`status` active). */
  status(): void {
    this.write('status', JSON.stringify({ id: this.o.askId, status: 'active', attempt: this.o.attempt }));
  }

  /** The passages the answer will cite; (re)starts the answer: tokens before it no longer count. */
  citations(citations: unknown[]): void {
    this.writeTokens();
    this.citationsJson = JSON.stringify(citations);
    this.text = '';
    this.write('citations', this.citationsJson);
  }

  token(text: string): void {
    if (!text) return;
    this.text += text;
    this.pending += text;
    if (this.cancelFlush) return;
    if (this.flushMs <= 0 || Date.now() - this.lastWriteAt >= this.flushMs) this.writeTokens();
    else this.cancelFlush = onNextTick(this.flushMs, () => this.writeTokens());
  }

  /**
   * Writes pending tokens now; resolves when every entry written so far is stored (or failed), or after
   * `timeoutMs` (Redis unreachable: its commands wait for the reconnection, the ask need not).
   */
  async flush(timeoutMs = 2000): Promise<void> {
    this.writeTokens();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.last, new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
  }

  /**
   * Makes the stream hold exactly these citations and this answer, then waits until everything is written: when what
   * was streamed differs (a generator that does not stream, an answer rewritten after generation), or a write
   * failed (a connection dropped mid-pipeline rejects the replies it had not read while later writes still land, so
   * the stream may have a hole in the answer), the answer starts over with the citations and the whole answer as one
   * token.
   */
  async complete(citations: unknown[], answer: string, timeoutMs?: number): Promise<void> {
    if (this.citationsJson !== JSON.stringify(citations) || this.text !== answer) {
      this.citations(citations);
      this.token(answer);
    }
    await this.flush(timeoutMs);
    if (this.failed) {
      this.failed = false;
      this.citations(citations);
      this.token(answer);
      await this.flush(timeoutMs);
    }
  }

  /** Drops pending tokens and stops the batching timer (the attempt ended without an answer). */
  close(): void {
    this.cancelFlush?.();
    this.cancelFlush = undefined;
    this.pending = '';
  }

  private writeTokens(): void {
    this.cancelFlush?.();
    this.cancelFlush = undefined;
    if (!this.pending) return;
    const text = this.pending;
    this.pending = '';
    this.write('token', JSON.stringify({ text }));
  }

  private write(event: AskEventName, data: string): void {
    const { key, attempt, ttlMs } = this.o;
    this.lastWriteAt = Date.now();
    this.writes++;
    let p = this.batch.send('XADD', key, ...appendArgs(event, data, attempt));
    if (!this.started) {
      this.started = true;
      p = Promise.all([p, this.batch.send('PEXPIRE', key, ttlMs)]);
    }
    this.last = p.catch((err: Error) => {
      if (!this.failed) this.o.onError?.(err);
      this.failed = true;
    });
  }
}
