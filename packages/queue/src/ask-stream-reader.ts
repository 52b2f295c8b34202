import type { Redis } from 'ioredis';
import { compareStreamIds, parseEntries, type AskStreamEntry } from './ask-stream.ts';

export interface StreamWatch {
  /** Stops delivering to this watcher; the reader drops the stream from its reads when no one else watches it. */
  close(): void;
}

interface Watcher {
  after: string;
  deliver: (entries: AskStreamEntry[]) => void;
}

export interface AskStreamReaderOptions {
  /** A connection of its own: it spends its time blocked in XREAD. The reader closes it. */
  connection: Redis;
  /** A command connection, to wake the blocked read (CLIENT UNBLOCK) when a stream is added. Not closed here. */
  control: Redis;
  /** Longest single XREAD block, ms. @defaultValue 5000 */
  blockMs?: number;
  /** Entries per stream per read. @defaultValue 500 */
  count?: number;
  /**
   * After a read that returned entries, wait this long before the next one, so that one read carries what arrived
   * meanwhile for all streams (each read names every watched stream: with hundreds of them, reading after every
   * single entry costs Redis and this process far more than the entries). A new stream still wakes the reader at
   * once. @defaultValue 10
   */
  coalesceMs?: number;
  onError?: (err: Error) => void;
}

/**
 * One reader per gateway for every SSE client: a single connection doing `XREAD BLOCK` over all the ask streams
 * its clients watch, re-issued as clients come and go, instead of a blocking connection per client. Each stream
 * is read from the earliest position any of its watchers needs; each watcher gets only the entries after its own.
 *
 * A new stream must be in the next read at once (its first token is someone's time to first token), so adding one
 * interrupts the blocked read with CLIENT UNBLOCK from the control connection. Between building a read and Redis
 * blocking on it, an UNBLOCK finds nothing to unblock: it is repeated until the read in flight is a fresh one.
 */
export class AskStreamReader {
  private readonly o: Required<Omit<AskStreamReaderOptions, 'onError'>> & Pick<AskStreamReaderOptions, 'onError'>;
  private readonly streams = new Map<string, Set<Watcher>>();
  /** Bumped whenever a read must be re-issued to include a stream (or an earlier position). */
  private generation = 0;
  private inFlight?: number;
  private clientId?: number;
  private wake?: () => void;
  private unblocking = false;
  private closed = false;
  private readonly loop: Promise<void>;

  constructor(o: AskStreamReaderOptions) {
    this.o = { blockMs: 5000, count: 500, coalesceMs: 10, ...o };
    o.connection.on('close', () => {
      this.clientId = undefined;
    });
    this.loop = this.run();
  }

  /** Streams watched now (tests check that clients who leave free theirs). */
  get streamCount(): number {
    return this.streams.size;
  }

  /** Watchers registered now. */
  get watcherCount(): number {
    let n = 0;
    for (const s of this.streams.values()) n += s.size;
    return n;
  }

  /** Delivers the entries of `key` after `after` (exclusive) as they arrive, in order, until closed. */
  watch(key: string, after: string, deliver: (entries: AskStreamEntry[]) => void): StreamWatch {
    const w: Watcher = { after, deliver };
    let set = this.streams.get(key);
    if (!set) {
      set = new Set();
      this.streams.set(key, set);
    }
    set.add(w);
    if (!this.closed) this.refresh();
    return {
      close: () => {
        set!.delete(w);
        if (set!.size === 0 && this.streams.get(key) === set) this.streams.delete(key);
      },
    };
  }

  /** Stops reading and closes the connection. Watchers get nothing more. Idempotent. */
  private closing?: Promise<void>;
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      this.streams.clear();
      this.wake?.();
      // disconnect() rejects the blocked XREAD at once (QUIT would wait behind it).
      this.o.connection.disconnect();
      await this.loop;
    })();
    return this.closing;
  }

  /** A read must start over (new stream or earlier position): wake the idle loop or unblock the read in flight. */
  private refresh(): void {
    this.generation++;
    if (this.wake) {
      this.wake();
      return;
    }
    void this.unblock();
  }

  private async unblock(): Promise<void> {
    if (this.unblocking) return;
    this.unblocking = true;
    try {
      for (let tries = 0; tries < 50 && !this.closed; tries++) {
        if (this.inFlight === undefined || this.inFlight >= this.generation) return;
        if (this.clientId !== undefined) {
          const n = await this.o.control.call('CLIENT', 'UNBLOCK', this.clientId).catch(() => 0);
          if (n === 1) return;
        }
        // Not blocked yet (the read is on its way) or no client id: try again in a moment.
        await new Promise((r) => setTimeout(r, 2));
      }
    } finally {
      this.unblocking = false;
    }
  }

  private async run(): Promise<void> {
    const conn = this.o.connection;
    while (!this.closed) {
      if (this.streams.size === 0) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      try {
        if (this.clientId === undefined) this.clientId = Number(await conn.call('CLIENT', 'ID'));
        const keys: string[] = [];
        const ids: string[] = [];
        for (const [key, set] of this.streams) {
          let from: string | undefined;
          for (const w of set) if (from === undefined || compareStreamIds(w.after, from) < 0) from = w.after;
          keys.push(key);
          ids.push(from!);
        }
        this.inFlight = this.generation;
        const reply = (await conn.call(
          'XREAD',
          'COUNT',
          this.o.count,
          'BLOCK',
          this.o.blockMs,
          'STREAMS',
          ...keys,
          ...ids,
        )) as [string, [string, string[]][]][] | null;
        this.inFlight = undefined;
        for (const [key, raw] of reply ?? []) this.dispatch(key, parseEntries(raw));
        if (reply && this.o.coalesceMs > 0 && !this.closed) await this.pause(this.o.coalesceMs);
      } catch (err) {
        this.inFlight = undefined;
        if (this.closed) break;
        this.o.onError?.(err as Error);
        // Redis down or restarting: the connection reconnects by itself; do not spin meanwhile.
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  /** Waits `ms`, or less when a stream is added meanwhile (its first entries should not wait). */
  private pause(ms: number): Promise<void> {
    const generation = this.generation;
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        if (this.generation !== generation || this.closed) done();
      };
    }).finally(() => {
      this.wake = undefined;
    });
  }

  private dispatch(key: string, entries: AskStreamEntry[]): void {
    const set = this.streams.get(key);
    if (!set || entries.length === 0) return;
    for (const w of [...set]) {
      const fresh = entries.filter((e) => compareStreamIds(e.id, w.after) > 0);
      if (fresh.length === 0) continue;
      w.after = fresh[fresh.length - 1].id;
      w.deliver(fresh);
    }
  }
}
