import type { Redis } from 'ioredis';
import { compareStreamIds, parseEntries, type AskStreamEntry } from './ask-stream.ts';

interface StreamWatch {
  /** Stops delivering to this watcher; the reader drops the stream from its reads when no one else watches it. */
  close(): void;
}

interface Watcher {
  after: string;
  deliver: (entries: AskStreamEntry[]) => void;
}

interface AskStreamReaderOptions {
  /** A connection of its own: it spends its time blocked in XREAD. The reader closes it. */
  connection: Redis;
  /** A command connection, to wake the blocked read (an entry on `wakeKey`) when a stream is added. Not closed here. */
  control: Redis;
  /**
   * A stream key of this reader's own (unique per reader, under the deployment's prefix, so on a Redis Cluster it
   * shares the slot of the streams it reads): every read includes it, and an entry added to it wakes the read.
   */
  wakeKey: string;
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
  /**
   * Wake-ups for new streams are at most one per this many ms: a blocked read re-issued for every stream added
   * (each new SSE client) names every watched stream again, so with hundreds of clients arriving a second the
   * re-reads cost more than the entries. A stream added within this long of the last wake-up waits for the next
   * one (or for the read to return with entries), so its first entries can be late by up to this long; with fewer new
   * streams than one per this long, none waits. @defaultValue 20
   */
  wakeGapMs?: number;
  onError?: (err: Error) => void;
}

/**
 * One reader per gateway for every SSE client: a single connection doing `XREAD BLOCK` over all the ask streams
 * its clients watch, re-issued as clients come and go, instead of a blocking connection per client. Each stream
 * is read from the earliest position any of its watchers needs; each watcher gets only the entries after its own.
 *
 * A new stream must be in the next read at once (its first token is someone's time to first token), so adding one
 * interrupts the blocked read: every read also names the reader's own wake stream, and the control connection adds
 * an entry to it. (It used to be CLIENT UNBLOCK with the read's client id: on a Redis Cluster that keyless command,
 * and CLIENT ID too, went to whichever node the cluster client picked, often not the one holding the blocked read,
 * so a new stream waited up to `blockMs`.) An XADD is routed by its key like the XREAD, to the node that serves the
 * read, on a single Redis and on a cluster, across failovers; and it cannot be lost in the gap between building a
 * read and Redis blocking on it, because the read asks for the wake entries after the last one it has seen, and
 * one added meanwhile makes it return at once.
 */
export class AskStreamReader {
  private readonly o: Required<Omit<AskStreamReaderOptions, 'onError'>> & Pick<AskStreamReaderOptions, 'onError'>;
  private readonly streams = new Map<string, Set<Watcher>>();
  /** Bumped whenever a read must be re-issued to include a stream (or an earlier position). */
  private generation = 0;
  private inFlight?: number;
  /** The generation a wake entry was sent for (one per read in flight is enough). */
  private wokenFor?: number;
  /** The last wake entry seen: the next read asks for the ones after it. */
  private wakeAfter = '0-0';
  /** When the last wake entry was sent, and the timer of the next one when it had to wait (wakeGapMs). */
  private lastWakeAt = Number.NEGATIVE_INFINITY;
  private wakeTimer?: NodeJS.Timeout;
  /** Wake entries sent (tests check that new streams arriving fast share them). */
  wakes = 0;
  private wake?: () => void;
  private closed = false;
  private readonly loop: Promise<void>;

  constructor(o: AskStreamReaderOptions) {
    this.o = { blockMs: 5000, count: 500, coalesceMs: 10, wakeGapMs: 20, ...o };
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
      clearTimeout(this.wakeTimer);
      this.wake?.();
      // disconnect() rejects the blocked XREAD at once (QUIT would wait behind it).
      this.o.connection.disconnect();
      await this.loop;
      // The wake stream expires by itself too (a gateway that crashed cannot delete it).
      if (this.wokenFor !== undefined) await this.o.control.del(this.o.wakeKey).catch(() => undefined);
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
    if (this.wakeTimer) return; // the next wake-up, already due, will cover this stream too
    const wait = this.lastWakeAt + this.o.wakeGapMs - performance.now();
    if (wait <= 0) {
      void this.unblock();
      return;
    }
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = undefined;
      if (!this.closed) void this.unblock();
    }, wait);
  }

  /**
   * Adds an entry to the wake stream if the read in flight predates the latest change (once per read). If the read
   * has not reached Redis yet, it finds the entry and returns at once.
   */
  private async unblock(): Promise<void> {
    const generation = this.generation;
    if (this.inFlight === undefined || this.inFlight >= generation || this.wokenFor === this.inFlight) return;
    this.wokenFor = this.inFlight;
    this.lastWakeAt = performance.now();
    this.wakes++;
    await this.o.control
      .multi()
      .xadd(this.o.wakeKey, 'MAXLEN', '~', '16', '*', 'w', '1')
      .pexpire(this.o.wakeKey, Math.max(60_000, 4 * this.o.blockMs))
      .exec()
      // Redis unreachable: the read fails or times out by itself, and the next one includes the stream.
      .catch((err: Error) => this.o.onError?.(err));
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
        const keys: string[] = [this.o.wakeKey];
        const ids: string[] = [this.wakeAfter];
        const readFrom = new Map<string, string>();
        for (const [key, set] of this.streams) {
          let from: string | undefined;
          for (const w of set) if (from === undefined || compareStreamIds(w.after, from) < 0) from = w.after;
          keys.push(key);
          ids.push(from!);
          readFrom.set(key, from!);
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
        for (const [key, raw] of reply ?? []) {
          if (key === this.o.wakeKey) this.wakeAfter = raw.at(-1)?.[0] ?? this.wakeAfter;
          else this.dispatch(key, parseEntries(raw), raw.at(-1)?.[0], readFrom.get(key));
        }
        const data = reply?.some(([key]) => key !== this.o.wakeKey);
        if (data && this.o.coalesceMs > 0 && !this.closed) await this.pause(this.o.coalesceMs);
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

  /**
   * Hands each watcher the entries after its position, then moves every watcher to `lastId` (the last entry read,
   * parsed or not: an entry that is not an ask event must not be read again and again). A watcher that joined while
   * the read was in flight, with a position before the one the read started from (a second client of the ask,
   * resuming from an earlier id), is left as it is: this read does not hold the entries between the two, and the
   * next read starts from its position.
   */
  private dispatch(key: string, entries: AskStreamEntry[], lastId: string | undefined, from: string | undefined): void {
    const set = this.streams.get(key);
    if (!set) return;
    for (const w of [...set]) {
      if (from !== undefined && compareStreamIds(w.after, from) < 0) continue;
      const fresh = entries.filter((e) => compareStreamIds(e.id, w.after) > 0);
      if (lastId !== undefined && compareStreamIds(lastId, w.after) > 0) w.after = lastId;
      if (fresh.length > 0) w.deliver(fresh);
    }
  }
}
