/**
 * Entry point of the child process that parses one untrusted document (forked by extract-document.ts). It
 * receives the bytes and options over IPC, answers with the extracted document or a typed error, and
 * disconnects; the parent kills it if it hangs or grows past its memory bound.
 */
import { ExtractError } from '../errors.ts';
import { parseDocument } from '../parse-document.ts';
import type { ChildReply, ChildRequest } from './protocol.ts';

const reply = (message: ChildReply) =>
  new Promise<void>((resolve) => {
    if (!process.send) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });

process.once('message', async (request: ChildRequest) => {
  let message: ChildReply;
  try {
    const doc = await parseDocument(request.bytes, request.options);
    message = { ok: true, doc, maxRssBytes: process.resourceUsage().maxRSS * 1024 };
  } catch (err) {
    const e =
      err instanceof ExtractError
        ? err
        : new ExtractError('corrupt', 'The document could not be read (the parser failed on it).');
    message = { ok: false, code: e.code, message: e.message, maxRssBytes: process.resourceUsage().maxRSS * 1024 };
  }
  await reply(message);
  process.disconnect?.();
});
