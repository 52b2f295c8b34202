/**
 * Entry point of a child process that parses untrusted documents for an ExtractorPool (extractor-pool.ts), one
 * at a time: it receives the bytes and options over IPC and answers with the extracted document or a typed
 * error. The parent kills it when a document hangs or grows past the memory bound; it ends by itself when the
 * parent goes away (the IPC channel closes and nothing else keeps it alive).
 */
import fs from 'node:fs';
import os from 'node:os';
import { ExtractError } from '../errors.ts';
import { parseDocument } from '../parse-document.ts';
import type { ChildReply, ChildRequest } from './protocol.ts';

// The parent lowers this process's priority right after starting it, but threads Node started before that (V8's
// platform workers) keep the old one: lower every thread's now; threads started later inherit it.
const nice = Number(process.env.RAG_EXTRACT_NICE);
if (Number.isInteger(nice)) {
  try {
    for (const tid of fs.readdirSync('/proc/self/task')) os.setPriority(Number(tid), nice);
  } catch {
    // no /proc (not Linux) or not permitted: the parent's setting for the main thread stands
  }
}

process.on('message', async (request: ChildRequest) => {
  let reply: ChildReply;
  try {
    const doc = await parseDocument(request.bytes, request.options);
    reply = { id: request.id, ok: true, doc, rssBytes: process.memoryUsage.rss() };
  } catch (err) {
    const e =
      err instanceof ExtractError
        ? err
        : new ExtractError('corrupt', 'The document could not be read (the parser failed on it).');
    reply = { id: request.id, ok: false, code: e.code, message: e.message, rssBytes: process.memoryUsage.rss() };
  }
  process.send?.(reply);
});
