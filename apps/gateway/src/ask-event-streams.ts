import type { Response } from 'express';
import type { Queue } from 'bullmq';
import { TERMINAL, type AskView } from '@rag/contract';
import type { Logger } from '@rag/observability';
import {
  STREAM_START,
  TERMINAL_EVENTS,
  endAskStream,
  markAskWatched,
  readStream,
  type AskEvents,
  type AskStreamEntry,
  type AskStreamReader,
  type Redis,
  type RedisKeys,
} from '@rag/queue';
import { NotFoundError } from './errors.ts';
import { SSE_KEEP_ALIVE, sseFrame, startSse } from './sse.ts';

interface AskEventStreamsDeps {
  redis: Redis;
  keys: RedisKeys;
  queue: Queue;
  reader: AskStreamReader;
  events: AskEvents;
  read: (id: string) => Promise<AskView | null>;
  logger: Logger;
  settings: {
    resultTtlS: number;
    /** Interval of `: keep-alive` comments, ms (CONTRACT.md: at least every 15 s). */
    keepAliveMs: number;
    /**
     * After the job's own completion event, how long to wait for the worker's terminal event before writing it
     * from the job (the worker died between finishing the job and appending it). @defaultValue 2000
     */
    terminalGraceMs?: number;
  };
}

/** A client that reads slower than the answer arrives is cut past this much unsent output; it resumes by id. */
const MAX_BUFFERED_BYTES = 1 << 20;
/** Asks ahead of which a queue position is not worth scanning for. */
const POSITION_SCAN = 10_000;

interface Session {
  end(): void;
}

/**
 * `GET /v1/ask/:id/events` (and `POST /v1/ask` with `Accept: text/event-stream`): the ask's Redis Stream as
 * Server-Sent Events. A synthesised `status` first (id: the resume point), then the stream's entries after the
 * resume point (replayed with XRANGE, then followed through the gateway's one reader), up to and including the
 * first terminal event, then the response ends.
 */
export class AskEventStreams {
  private readonly d: AskEventStreamsDeps;
  private readonly sessions = new Set<Session>();
  private closed = false;

  constructor(d: AskEventStreamsDeps) {
    this.d = d;
  }

  /** SSE responses open now. */
  get open(): number {
    return this.sessions.size;
  }

  /**
   * Serves one ask's events. Throws NotFoundError (before anything is sent) for an unknown or expired ask.
   * `after`: the client's Last-Event-ID. `view`: the ask as just submitted (saves reading it back). `fresh`: this
   * request just made the ask's job, flagged to stream: its worker streams the answer without being told, and its
   * stream holds nothing the reader's first read from the start would not bring (two Redis round trips saved).
   */
  async serve(
    res: Response,
    id: string,
    opts: { after?: string; view?: AskView; fresh?: boolean; headers?: Record<string, string> } = {},
  ): Promise<void> {
    const { d } = this;
    const key = d.keys.events(id);
    const after = opts.after ?? STREAM_START;
    // Listen from the start: a client may leave while the ask and its stream are read.
    let ended = false;
    let watch: { close(): void } | undefined;
    let waiter: { dispose(): void } | undefined;
    let keepAlive: NodeJS.Timeout | undefined;
    let grace: NodeJS.Timeout | undefined;
    const sessions = this.sessions;
    const session: Session = { end: () => finish() };
    /** Ends the session; `last`, the final frames, leaves with the end of the response (one socket write). */
    function finish(last?: string) {
      if (ended) return;
      ended = true;
      watch?.close();
      waiter?.dispose();
      clearInterval(keepAlive);
      clearTimeout(grace);
      sessions.delete(session);
      if (res.headersSent && !res.writableEnded) res.end(last);
    }
    res.on('close', () => finish());

    const view = opts.view ?? (await d.read(id));
    if (!view) {
      finish();
      throw new NotFoundError();
    }
    // Someone watches while the ask may still be generated: its worker streams the LLM's answer (not awaited: a
    // failed mark costs only incremental tokens; the whole answer still arrives before the terminal event).
    const fresh = opts.fresh === true && opts.after === undefined && !TERMINAL.has(view.status);
    if (!TERMINAL.has(view.status) && !fresh) {
      markAskWatched(d.redis, d.keys, id).catch((err: Error) =>
        d.logger.warn({ err: err.message, askId: id }, 'could not mark the ask watched'),
      );
    }
    // Inclusive of the resume point: that entry's attempt tells which later entries are stale (then dropped).
    let entries = fresh ? [] : await readStream(d.redis, key, after, true);
    const terminal = TERMINAL.has(view.status);
    if (terminal && !entries.some((e) => TERMINAL_EVENTS.has(e.event))) {
      // Finished, yet no terminal event: answered from the cache, or its worker died after finishing the job.
      await endAskStream(d.redis, d.keys, view, d.settings.resultTtlS);
      entries = await readStream(d.redis, key, after, true);
    }
    const opening = terminal
      ? view.status === 'completed' || entries.some((e) => e.event === 'status')
        ? 'active'
        : 'queued'
      : view.status;
    const position = opening === 'queued' && !terminal ? await this.position(id, fresh) : undefined;
    if (ended) return; // the client left meanwhile

    let lastStatus: string = opening;
    let statusJustSent = true;
    let attempt = 0;
    const write = (chunk: string) => {
      res.write(chunk);
      if (res.writableLength > MAX_BUFFERED_BYTES) finish();
    };
    const forward = (batch: AskStreamEntry[]) => {
      for (const e of batch) if (e.attempt > attempt) attempt = e.attempt;
      // Within one batch, only the last answer counts: a later `citations` restarts it (retry, fallback).
      let restart = -1;
      for (let i = batch.length - 1; i >= 0 && restart < 0; i--) if (batch[i].event === 'citations') restart = i;
      // One write per batch: a socket write per token would cost a syscall (and a packet) each.
      let out = '';
      let terminal = false;
      for (let i = 0; i < batch.length && !terminal; i++) {
        const e = batch[i];
        if (e.attempt > 0 && e.attempt < attempt) continue;
        if (i < restart && (e.event === 'token' || e.event === 'citations')) continue;
        if (e.event === 'status') {
          const status = (JSON.parse(e.data) as { status?: string }).status ?? lastStatus;
          if (statusJustSent && status === lastStatus) continue;
          lastStatus = status;
          statusJustSent = true;
        } else statusJustSent = false;
        out += sseFrame(e.id, e.event, e.data);
        terminal = TERMINAL_EVENTS.has(e.event);
      }
      if (terminal) finish(out);
      else if (out && !ended) write(out);
    };

    startSse(res, opts.headers);
    write(sseFrame(after, 'status', JSON.stringify({ id: view.id, status: opening, position })));
    // The resume point itself was sent before: it only sets the attempt.
    if (entries[0]?.id === after) attempt = entries.shift()!.attempt;
    forward(entries);
    if (ended || this.closed) return finish();

    sessions.add(session);
    keepAlive = setInterval(() => write(SSE_KEEP_ALIVE), d.settings.keepAliveMs);
    watch = d.reader.watch(key, entries.at(-1)?.id ?? after, forward);
    // The job's own completion event: if the worker's terminal event does not follow, write it from the job.
    const w = d.events.register(id);
    waiter = w;
    void w.done.then(() => {
      if (ended || this.closed) return;
      grace = setTimeout(() => void this.endFromJob(id, finish), d.settings.terminalGraceMs ?? 2000);
    });
  }

  /** Ends every open stream (gateway shutdown): clients reconnect elsewhere with Last-Event-ID. Idempotent. */
  close(): void {
    this.closed = true;
    for (const s of [...this.sessions]) s.end();
  }

  private async endFromJob(id: string, finish: () => void): Promise<void> {
    try {
      const view = await this.d.read(id);
      if (!view) return finish(); // removed: nothing will ever end it
      if (TERMINAL.has(view.status)) await endAskStream(this.d.redis, this.d.keys, view, this.d.settings.resultTtlS);
      // The reader delivers the terminal event, whoever wrote it.
    } catch (err) {
      this.d.logger.warn({ err, askId: id }, 'could not end an ask stream from its job');
    }
  }

  /**
   * 1 = next to start; undefined when not in the wait list (delayed, prioritised, just taken) or too far back.
   * `newest`: the job was just added, so it is near the list's left end (BullMQ adds on the left, workers take from
   * the right): scan from there.
   */
  private async position(id: string, newest: boolean): Promise<number | undefined> {
    try {
      const waitKey = this.d.queue.keys.wait;
      const [[, len], [, idx]] = (await this.d.redis
        .pipeline()
        .llen(waitKey)
        .lpos(waitKey, id, 'RANK', newest ? 1 : -1, 'MAXLEN', POSITION_SCAN)
        .exec()) as [unknown, number | null][];
      // Workers take from the right end: asks ahead are those to its right.
      return typeof idx === 'number' && typeof len === 'number' ? len - idx : undefined;
    } catch {
      return undefined;
    }
  }
}
