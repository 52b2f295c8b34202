import { type ChildProcess, fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { sniff } from '../detect-format.ts';
import { ExtractError } from '../errors.ts';
import { extractPlain } from '../text/extract-text.ts';
import type { ExtractedDocument, ExtractLimits } from '../types.ts';
import type { ChildReply, ChildRequest } from './protocol.ts';

export interface ExtractorPoolOptions {
  /**
   * Child processes, hence documents parsed at once; more callers wait their turn (FIFO).
   * @defaultValue 1
   */
  processes?: number;
  /**
   * Documents one child parses before it is replaced: warm processes skip the start-up cost (process + pdf.js,
   * mammoth, ... loading) while a fresh one now and then returns whatever a parser leaked.
   * @defaultValue 50
   */
  documentsPerProcess?: number;
  /**
   * Resident memory a child may reach; past it the child is killed and its document fails `too_large`. Its V8
   * heap is capped below this, so a heap blow-up ends it first; the watchdog catches buffers outside the heap.
   * @defaultValue 1 GiB
   */
  maxMemoryBytes?: number;
  /**
   * Resident memory past which a child that finished its document is replaced before the next one (parsers and
   * V8 rarely give memory back, so a warm child only grows); below maxMemoryBytes, which kills mid-document.
   * @defaultValue half of maxMemoryBytes
   */
  recycleRssBytes?: number;
  /** Default per-document time limit. @defaultValue 60000 */
  timeoutMs?: number;
}

export interface ExtractOptions extends Partial<ExtractLimits> {
  /** Separates Markdown (.md) from plain text; the format itself is judged by content. */
  filename?: string;
  /**
   * Wall-clock bound for this document from the moment a child takes it (a child's start included, the wait
   * for a free child not); past it the child is killed (`timeout`).
   */
  timeoutMs?: number;
  /** Aborting kills the child parsing it (or drops it from the wait); the promise rejects with the reason. */
  signal?: AbortSignal;
}

interface ExtractStats {
  /** Wall-clock time in the child, its start included when it was started for this document. */
  ms: number;
  /**
   * Peak resident memory of the child seen while it parsed this document (the caller's own is untouched); 0 for
   * Markdown and text, which are decoded in the caller's process.
   */
  peakRssBytes: number;
}

export type ExtractResult = ExtractedDocument & { stats: ExtractStats };

const CHILD = fileURLToPath(new URL('./child-main.ts', import.meta.url));
const WATCH_MS = 50;
/** Parsing is batch work: children run at this niceness (asks first). */
const CHILD_NICE = 10;
const PAGE_SIZE = 4096;
const MiB = 1024 * 1024;

/** Resident bytes of a process from /proc (Linux); undefined elsewhere or once it has exited. */
function residentBytes(pid: number): number | undefined {
  try {
    return Number(fs.readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * PAGE_SIZE;
  } catch {
    return undefined;
  }
}

interface Slot {
  child?: ChildProcess;
  stderr: string;
  documents: number;
  /** The child's resident bytes when it answered its last document. */
  rssBytes: number;
}

/** What a pool has done since it was made, for logs and tests. */
interface ExtractorPoolStats {
  /** Child processes started. */
  spawned: number;
  /** Children replaced because they had parsed `documentsPerProcess` documents. */
  recycledAfterDocuments: number;
  /** Children replaced because their resident memory passed `recycleRssBytes` after a document. */
  recycledForMemory: number;
  /** Children killed mid-document (timeout, memory bound, abort) or found dead (crash). */
  lost: number;
}

/**
 * Parses untrusted documents (PDF, DOCX, HTML) in child processes, one document per child at a time, so a hang, a memory blow-up
 * or a crash in a parser ends that document with a typed ExtractError (`timeout`, `too_large`, `corrupt`) and
 * never the caller. Processes rather than worker threads: worker `resourceLimits` bound only the V8 heap while
 * pdf.js and zlib allocate outside it, and a process's memory can be measured and reclaimed whole.
 */
export class ExtractorPool {
  readonly #opts: Required<ExtractorPoolOptions>;
  readonly #slots: Slot[];
  readonly #idle: Slot[];
  readonly #waiting: { take: (slot: Slot) => void; fail: (err: unknown) => void }[] = [];
  #nextId = 0;
  #closed?: Promise<void>;
  readonly #stats: ExtractorPoolStats = { spawned: 0, recycledAfterDocuments: 0, recycledForMemory: 0, lost: 0 };

  /** Counts since the pool was made (a copy). */
  get stats(): ExtractorPoolStats {
    return { ...this.#stats };
  }

  /** Child processes alive now (idle or parsing). */
  get children(): number {
    return this.#slots.filter((s) => s.child && s.child.exitCode === null && s.child.signalCode === null).length;
  }

  constructor(opts: ExtractorPoolOptions = {}) {
    this.#opts = {
      processes: Math.max(1, opts.processes ?? 1),
      documentsPerProcess: Math.max(1, opts.documentsPerProcess ?? 50),
      maxMemoryBytes: opts.maxMemoryBytes ?? 1024 * MiB,
      recycleRssBytes: opts.recycleRssBytes ?? Math.floor((opts.maxMemoryBytes ?? 1024 * MiB) / 2),
      timeoutMs: opts.timeoutMs ?? 60_000,
    };
    this.#slots = Array.from({ length: this.#opts.processes }, () => ({ stderr: '', documents: 0, rssBytes: 0 }));
    this.#idle = [...this.#slots];
  }

  async extract(bytes: Uint8Array, opts: ExtractOptions = {}): Promise<ExtractResult> {
    if (this.#closed) throw new Error('ExtractorPool is closed');
    opts.signal?.throwIfAborted();
    // Sniffing is safe here (it inflates nothing), and Markdown and text need no parser to be guarded against:
    // decoding them in this process spares a child's start, which would dominate a corpus of small notes.
    const started = performance.now();
    const sniffed = await sniff(bytes, opts.filename);
    if (sniffed.format === 'markdown' || sniffed.format === 'text') {
      const doc = extractPlain(sniffed.text!, sniffed.format);
      return { ...doc, stats: { ms: Math.round(performance.now() - started), peakRssBytes: 0 } };
    }
    const slot = await this.#acquire(opts.signal);
    try {
      return await this.#run(slot, bytes, opts);
    } finally {
      this.#release(slot);
    }
  }

  /** Kills every child and fails waiting callers; idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      for (const w of this.#waiting.splice(0)) w.fail(new Error('ExtractorPool closed'));
      await Promise.all(this.#slots.map((s) => this.#retire(s)));
    })();
    return this.#closed;
  }

  #acquire(signal?: AbortSignal): Promise<Slot> {
    const free = this.#idle.shift();
    if (free) return Promise.resolve(free);
    return new Promise<Slot>((resolve, reject) => {
      const waiter = {
        take: (slot: Slot) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(slot);
        },
        fail: (err: unknown) => {
          signal?.removeEventListener('abort', onAbort);
          reject(err);
        },
      };
      const onAbort = () => {
        this.#waiting.splice(this.#waiting.indexOf(waiter), 1);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(waiter);
    });
  }

  #release(slot: Slot): void {
    if (slot.child && slot.documents >= this.#opts.documentsPerProcess) {
      this.#stats.recycledAfterDocuments++;
      void this.#retire(slot);
    } else if (slot.child && slot.rssBytes > this.#opts.recycleRssBytes) {
      this.#stats.recycledForMemory++;
      void this.#retire(slot);
    }
    // An idle child must not keep the caller's process alive.
    slot.child?.unref();
    slot.child?.channel?.unref();
    const next = this.#waiting.shift();
    if (next) next.take(slot);
    else this.#idle.push(slot);
  }

  #spawn(slot: Slot): ChildProcess {
    const heapMb = Math.max(64, Math.floor((this.#opts.maxMemoryBytes * 0.75) / MiB));
    const child = fork(CHILD, [], {
      serialization: 'advanced',
      execArgv: [`--max-old-space-size=${heapMb}`, '--disable-warning=ExperimentalWarning'],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: { ...process.env, RAG_EXTRACT_NICE: String(CHILD_NICE) },
    });
    // Parsing is batch work: at a lower CPU priority it takes what asks leave, so asks do not starve while documents
    // are ingested on the same cores (npm run bench -- --scenario ingestion measures both).
    if (child.pid) {
      try {
        os.setPriority(child.pid, CHILD_NICE);
      } catch {
        // not permitted here: parse at normal priority
      }
    }
    this.#stats.spawned++;
    slot.child = child;
    slot.stderr = '';
    slot.documents = 0;
    slot.rssBytes = 0;
    child.stderr?.on('data', (d: Buffer) => {
      slot.stderr = (slot.stderr + d.toString()).slice(-4000);
    });
    // The stderr pipe is a handle of its own: unreferenced, so an idle child never keeps the caller alive.
    (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();
    child.on('error', () => {}); // reported through 'close' to the document in flight
    child.once('close', () => {
      if (slot.child === child) slot.child = undefined; // died while idle: the next document starts a new one
    });
    return child;
  }

  /** Kills the slot's child (if any) and waits until it is gone. */
  async #retire(slot: Slot): Promise<void> {
    const child = slot.child;
    slot.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('close', () => resolve()));
    // Referenced again so the caller's process waits for the exit it is awaiting.
    child.ref();
    (child.stderr as unknown as { ref?: () => void } | null)?.ref?.();
    child.kill('SIGKILL');
    await gone;
  }

  #run(slot: Slot, bytes: Uint8Array, opts: ExtractOptions): Promise<ExtractResult> {
    const timeoutMs = opts.timeoutMs ?? this.#opts.timeoutMs;
    const maxMemory = this.#opts.maxMemoryBytes;
    const started = performance.now();
    const alive = slot.child && slot.child.exitCode === null && slot.child.signalCode === null;
    const child = alive ? slot.child! : this.#spawn(slot);
    child.ref();
    child.channel?.ref();
    slot.documents++;
    const id = ++this.#nextId;

    return new Promise<ExtractResult>((resolve, reject) => {
      let peak = 0;
      let settled = false;
      const overMemory = () =>
        new ExtractError(
          'too_large',
          `Reading the document needed more than ${Math.round(maxMemory / MiB)} MiB of memory.`,
        );
      /** Settles once; a failure other than a typed answer from the child abandons (kills) the child. */
      const finish = (err: unknown, doc?: ExtractedDocument, keepChild = false) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearInterval(watch);
        opts.signal?.removeEventListener('abort', onAbort);
        child.off('message', onMessage);
        child.off('close', onClose);
        if (doc) resolve({ ...doc, stats: { ms: Math.round(performance.now() - started), peakRssBytes: peak } });
        else if (keepChild) reject(err);
        else {
          this.#stats.lost++;
          void this.#retire(slot).then(() => reject(err));
        }
      };
      const onAbort = () => finish(opts.signal!.reason);
      const onMessage = (reply: ChildReply) => {
        if (reply.id !== id) return;
        peak = Math.max(peak, reply.rssBytes);
        slot.rssBytes = reply.rssBytes;
        // The child may finish between two watchdog samples; its memory at the end still counts.
        if (peak > maxMemory) finish(overMemory());
        else if (reply.ok) finish(undefined, reply.doc);
        else finish(new ExtractError(reply.code, reply.message), undefined, true); // a typed answer: the child is fine
      };
      // 'close', not 'exit': it comes after the IPC channel has delivered every message.
      const onClose = (code: number | null, signal: NodeJS.Signals | null) => {
        if (slot.child === child) slot.child = undefined;
        if (this.#closed) return finish(new Error('ExtractorPool closed'));
        // Exited without answering: the V8 heap limit (abort) or another crash inside a parser.
        if (/heap out of memory|Allocation failed/u.test(slot.stderr) || signal === 'SIGABRT' || code === 134) {
          finish(overMemory());
        } else {
          finish(
            new ExtractError('corrupt', `The document parser stopped unexpectedly (${signal ?? `exit ${code}`}).`),
          );
        }
      };
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      const timer = setTimeout(
        () =>
          finish(
            new ExtractError('timeout', `Reading the document took longer than ${Math.round(timeoutMs / 1000)} s.`),
          ),
        timeoutMs,
      );
      const watch = setInterval(() => {
        const rss = child.pid ? residentBytes(child.pid) : undefined;
        if (rss === undefined) return;
        peak = Math.max(peak, rss);
        if (rss > maxMemory) finish(overMemory());
      }, WATCH_MS);
      child.on('message', onMessage);
      child.once('close', onClose);
      if (opts.signal?.aborted) return onAbort();
      const request: ChildRequest = {
        id,
        bytes,
        options: { filename: opts.filename, maxDecompressedBytes: opts.maxDecompressedBytes, maxPages: opts.maxPages },
      };
      child.send(request, (err) => {
        if (err) finish(new ExtractError('corrupt', 'The document could not be handed to its parser.', { cause: err }));
      });
    });
  }
}
