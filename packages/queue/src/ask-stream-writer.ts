import type { Redis } from 'ioredis';
import { appendArgs, type AskEventName } from './ask-stream.ts';

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
   * Token batching: at most one token write per this many ms per ask; tokens arriving meanwhile go out together
   * in one entry. A token arriving after a quiet spell of at least this long is written at once, so a slow model
   * pays no latency for batching and a fast one does not cost one XADD per token. 0 = one XADD per token.
   * @defaultValue 0
   */
  flushMs?: number;
  /** Called once with the first failed write (the stream is best effort: the ask goes on without it). */
  onError?: (err: Error) => void;
}

/**
 * Writes one attempt of an ask into its stream: `status`, `citations`, batched `token`s. Every write goes on the
 * one connection in call order, so entries land in the order they were made. The terminal event is not written
 * here: the worker writes it once the job is final (endAskStream).
 */
export class AskStreamWriter {
  private readonly o: AskStreamWriterOptions;
  private readonly flushMs: number;
  private pending = '';
  private timer?: NodeJS.Timeout;
  private lastWriteAt = 0;
  private last: Promise<unknown> = Promise.resolve();
  private started = false;
  private failed = false;
  /** Answer text since the last `citations` (written or pending): what a reader concatenates. */
  text = '';
  /** JSON of the last `citations` written. */
  citationsJson?: string;
  /** Entries written (for the benchmark's writes-per-ask figure). */
  writes = 0;

  constructor(o: AskStreamWriterOptions) {
    this.o = o;
    this.flushMs = o.flushMs ?? 0;
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
    if (this.timer) return;
    const wait = this.lastWriteAt + this.flushMs - Date.now();
    if (this.flushMs <= 0 || wait <= 0) this.writeTokens();
    else this.timer = setTimeout(() => this.writeTokens(), wait);
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

  /** Drops pending tokens and stops the batching timer (the attempt ended without an answer). */
  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = '';
  }

  private writeTokens(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.pending) return;
    const text = this.pending;
    this.pending = '';
    this.write('token', JSON.stringify({ text }));
  }

  private write(event: AskEventName, data: string): void {
    const { redis, key, attempt, ttlMs } = this.o;
    this.lastWriteAt = Date.now();
    this.writes++;
    let p: Promise<unknown> = redis.call('XADD', key, ...appendArgs(event, data, attempt));
    if (!this.started) {
      this.started = true;
      p = Promise.all([p, redis.pexpire(key, ttlMs)]);
    }
    this.last = p.catch((err: Error) => {
      if (!this.failed) this.o.onError?.(err);
      this.failed = true;
    });
  }
}
