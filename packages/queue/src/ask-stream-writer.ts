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
   * Token batching when no `clock` is given: a fixed period, ms, on a clock shared by the process's writers with the
   * same period. 0 = one XADD per token. @defaultValue 0
   */
  flushMs?: number;
  /** The process's flush clock (its period may stretch with the answers streaming at once). Wins over `flushMs`. */
  clock?: FlushClock;
  /** Called once with the first failed write (the stream is best effort: the ask goes on without it). */
  onError?: (err: Error) => void;
}

interface FlushClockOptions {
  /** The shortest period, ms (STREAM_FLUSH_MS); 0 = no batching, one XADD per token. */
  periodMs: number;
  /** The longest period, ms (STREAM_FLUSH_MAX_MS); rounded down to a multiple of `periodMs`. @defaultValue periodMs */
  maxPeriodMs?: number;
  /**
   * Token entries per second the process aims to stay under (STREAM_FLUSH_BUDGET): with more answers streaming at
   * once than `budgetPerS * periodMs / 1000`, the period stretches in steps of `periodMs`, up to `maxPeriodMs`.
   * 0 = a fixed period. @defaultValue 0
   */
  budgetPerS?: number;
}

/**
 * The clock token flushes are due on, shared by every answer a process streams. Tokens arriving within one period of
 * an answer's last write go out together at the next multiple of the period on the clock; a token after a quiet
 * spell of at least one period goes at once, so a slow model pays no latency for batching and a fast one does not
 * cost one XADD per token. All answers due at a tick flush in one timer callback, so their XADDs share one pipeline
 * (CommandBatch).
 *
 * Under load the period stretches: a token entry costs the worker, Redis, the gateway and the client about the same
 * whatever text it holds, so a process streaming many answers at once writes fewer, longer entries (about
 * `budgetPerS` a second at most, until the longest period) instead of spending the machine on entries. The first
 * token of an answer never waits (it is someone's time to first token), and with few answers streaming the period is
 * the shortest one.
 */
export class FlushClock {
  private readonly base: number;
  private readonly maxSteps: number;
  private readonly budget: number;
  /** Callbacks due at each tick: one timer per tick, however many answers wait for it. */
  private readonly ticks = new Map<number, { timer: NodeJS.Timeout; due: Set<() => void> }>();
  /** Answers streaming tokens now: writers between their first token and their close. */
  streaming = 0;

  constructor(o: FlushClockOptions) {
    this.base = Math.max(0, o.periodMs);
    this.maxSteps = this.base > 0 ? Math.max(1, Math.floor((o.maxPeriodMs ?? this.base) / this.base)) : 1;
    this.budget = Math.max(0, o.budgetPerS ?? 0);
  }

  /** The period now, ms: the shortest, stretched in whole steps while the answers streaming exceed the budget. */
  period(): number {
    if (this.base <= 0 || this.budget <= 0) return this.base;
    const steps = Math.ceil((this.streaming * 1000) / this.budget / this.base);
    return this.base * Math.min(this.maxSteps, Math.max(1, steps));
  }

  /** Runs `fn` at the next multiple of `periodMs`, in one timer callback with all else due then. Returns a cancel. */
  onNextTick(periodMs: number, fn: () => void): () => void {
    const now = Date.now();
    const at = now - (now % periodMs) + periodMs;
    let tick = this.ticks.get(at);
    if (!tick) {
      const due = new Set<() => void>();
      const timer = setTimeout(() => {
        this.ticks.delete(at);
        for (const f of due) {
          try {
            f();
          } catch {
            // One writer's failure must not keep the others' tokens waiting (it cannot throw today).
          }
        }
      }, at - now);
      tick = { timer, due };
      this.ticks.set(at, tick);
    }
    const t = tick;
    t.due.add(fn);
    return () => {
      t.due.delete(fn);
      if (t.due.size === 0 && this.ticks.get(at) === t) {
        clearTimeout(t.timer);
        this.ticks.delete(at);
      }
    };
  }
}

/** Fixed-period clocks for writers given only `flushMs`: one per period, shared within the process. */
const fixedClocks = new Map<number, FlushClock>();
function fixedClock(periodMs: number): FlushClock {
  let c = fixedClocks.get(periodMs);
  if (!c) {
    c = new FlushClock({ periodMs });
    fixedClocks.set(periodMs, c);
  }
  return c;
}

/**
 * Writes one attempt of an ask into its stream: `status`, `citations`, batched `token`s. Every write goes on the
 * one connection in call order, so entries land in the order they were made. The terminal event is not written
 * here: the worker writes it once the job is final (endAskStream).
 */
export class AskStreamWriter {
  private readonly o: AskStreamWriterOptions;
  private readonly clock: FlushClock;
  private readonly batch: CommandBatch;
  private pending = '';
  /** Cancels the pending token write on the flush clock. */
  private cancelFlush?: () => void;
  private lastWriteAt = 0;
  private last: Promise<unknown> = Promise.resolve();
  private started = false;
  /** Counted in the clock's `streaming` (from the first token to close). */
  private streaming = false;
  /** The next token is the first since the last `citations`: written at once. */
  private firstToken = true;
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
    this.clock = o.clock ?? fixedClock(o.flushMs ?? 0);
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
    this.firstToken = true;
    this.write('citations', this.citationsJson);
  }

  token(text: string): void {
    if (!text) return;
    this.text += text;
    this.pending += text;
    if (!this.streaming) {
      this.streaming = true;
      this.clock.streaming++;
    }
    if (this.cancelFlush) return;
    const period = this.clock.period();
    if (period <= 0 || this.firstToken || Date.now() - this.lastWriteAt >= period) this.writeTokens();
    else this.cancelFlush = this.clock.onNextTick(period, () => this.writeTokens());
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
    // The answer is no longer streaming: waiting for the writes (up to timeoutMs when Redis is slow or away) must not
    // stretch the period of the answers still streaming.
    this.writeTokens();
    this.leaveClock();
    await this.flush(timeoutMs);
    if (this.failed) {
      this.failed = false;
      this.citations(citations);
      this.token(answer);
      this.leaveClock();
      await this.flush(timeoutMs);
    }
  }

  /**
   * The attempt is over: drops pending tokens (there are none after `complete`), stops the batching timer and leaves
   * the clock's count of streaming answers. Idempotent.
   */
  close(): void {
    this.cancelFlush?.();
    this.cancelFlush = undefined;
    this.pending = '';
    this.leaveClock();
  }

  /** Leaves the clock's count of streaming answers (once; a later token would count it again). */
  private leaveClock(): void {
    if (this.streaming) {
      this.streaming = false;
      this.clock.streaming--;
    }
  }

  private writeTokens(): void {
    this.cancelFlush?.();
    this.cancelFlush = undefined;
    if (!this.pending) return;
    const text = this.pending;
    this.pending = '';
    this.firstToken = false;
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
