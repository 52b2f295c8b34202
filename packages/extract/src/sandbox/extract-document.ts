import { type ChildProcess, fork } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ExtractError } from '../errors.ts';
import type { ExtractedDocument, ExtractLimits } from '../types.ts';
import type { ChildReply, ChildRequest } from './protocol.ts';

export interface ExtractOptions extends Partial<ExtractLimits> {
  /** Separates Markdown (.md) from plain text; the format itself is judged by content. */
  filename?: string;
  /**
   * Wall-clock bound for one document, process start included; past it the child is killed (`timeout`).
   * @defaultValue 60000
   */
  timeoutMs?: number;
  /**
   * Resident memory the parsing process may reach; past it the child is killed (`too_large`). Its V8 heap is
   * capped below this, so a heap blow-up ends it first; the watchdog catches buffers outside the heap.
   * @defaultValue 1 GiB
   */
  maxMemoryBytes?: number;
  /** Aborting kills the child; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface ExtractStats {
  /** Wall-clock time, process start included. */
  ms: number;
  /** Peak resident memory of the child that parsed the document (what the document cost; the caller's is untouched). */
  peakRssBytes: number;
}

export type ExtractResult = ExtractedDocument & { stats: ExtractStats };

const CHILD = fileURLToPath(new URL('./child-main.ts', import.meta.url));
const WATCH_MS = 50;
const PAGE_SIZE = 4096;

/** Resident bytes of a process from /proc (Linux); undefined elsewhere or once it has exited. */
function residentBytes(pid: number): number | undefined {
  try {
    return Number(fs.readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * PAGE_SIZE;
  } catch {
    return undefined;
  }
}

/**
 * Extracts the text of an untrusted document in a child process of its own, so a hang, a memory blow-up or a
 * crash in a parser ends that document with a typed ExtractError (`timeout`, `too_large`, `corrupt`, ...) and
 * never the caller. A process rather than a worker thread: worker `resourceLimits` bound only the V8 heap,
 * while pdf.js and zlib allocate outside it, and a process's memory can be measured and reclaimed whole.
 */
export function extractDocument(bytes: Uint8Array, opts: ExtractOptions = {}): Promise<ExtractResult> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const maxMemory = opts.maxMemoryBytes ?? 1024 * 1024 * 1024;
  const heapMb = Math.max(64, Math.floor((maxMemory * 0.75) / 1024 / 1024));
  const started = performance.now();
  if (opts.signal?.aborted) return Promise.reject(opts.signal.reason);

  return new Promise<ExtractResult>((resolve, reject) => {
    let peak = 0;
    let settled = false;
    let stderr = '';
    const child: ChildProcess = fork(CHILD, [], {
      serialization: 'advanced',
      execArgv: [`--max-old-space-size=${heapMb}`, '--disable-warning=ExperimentalWarning'],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    const finish = (err: unknown, doc?: ExtractedDocument) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearInterval(watch);
      opts.signal?.removeEventListener('abort', onAbort);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      if (err) reject(err);
      else resolve({ ...doc!, stats: { ms: Math.round(performance.now() - started), peakRssBytes: peak } });
    };
    const onAbort = () => finish(opts.signal!.reason);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(
      () =>
        finish(new ExtractError('timeout', `Reading the document took longer than ${Math.round(timeoutMs / 1000)} s.`)),
      timeoutMs,
    );
    const overMemory = () =>
      new ExtractError(
        'too_large',
        `Reading the document needed more than ${Math.round(maxMemory / 1024 / 1024)} MiB of memory.`,
      );
    const watch = setInterval(() => {
      const rss = child.pid ? residentBytes(child.pid) : undefined;
      if (rss === undefined) return;
      peak = Math.max(peak, rss);
      if (rss > maxMemory) finish(overMemory());
    }, WATCH_MS);
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    child.on('message', (reply: ChildReply) => {
      peak = Math.max(peak, reply.maxRssBytes);
      // The child may finish between two watchdog samples; its own peak still counts against the bound.
      if (peak > maxMemory) finish(overMemory());
      else if (reply.ok) finish(undefined, reply.doc);
      else finish(new ExtractError(reply.code, reply.message));
    });
    child.on('error', (err) =>
      finish(new ExtractError('corrupt', 'The document parser could not start.', { cause: err })),
    );
    // 'close', not 'exit': it comes after the IPC channel has delivered every message.
    child.on('close', (code, signal) => {
      // Exited without answering: the V8 heap limit (abort) or another crash inside a parser.
      if (/heap out of memory|Allocation failed/u.test(stderr) || signal === 'SIGABRT' || code === 134) {
        finish(overMemory());
      } else {
        finish(new ExtractError('corrupt', `The document parser stopped unexpectedly (${signal ?? `exit ${code}`}).`));
      }
    });
    const request: ChildRequest = {
      bytes,
      options: { filename: opts.filename, maxDecompressedBytes: opts.maxDecompressedBytes, maxPages: opts.maxPages },
    };
    child.send(request, (err) => {
      if (err) finish(new ExtractError('corrupt', 'The document could not be handed to its parser.', { cause: err }));
    });
  });
}
