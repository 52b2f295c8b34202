import { createHash } from 'node:crypto';
import type { Request } from 'express';
import busboy from 'busboy';
import { appendContent, createContent, dropContent, type Pool } from '@rag/db';
import { HttpError, ValidationError } from './errors.ts';
import { SNIFF_BYTES, unreadableReason } from './upload-sniff.ts';

/** What an upload left in the database (a large object not yet referenced) and its form fields. */
export interface ReceivedUpload {
  contentOid: number;
  byteSize: number;
  sha256: string;
  fileName: string;
  fields: Record<string, string>;
}

// Bytes gathered before each write to the large object: a few round trips per MiB, and at most this much of an
// upload in the gateway's memory. The first write waits for this much too, so the type is judged on a real sample.
const FLUSH_BYTES = 1024 * 1024;
const FIELDS = new Set(['collection', 'documentId', 'title']);

class PayloadTooLargeError extends HttpError {
  constructor(max: number) {
    super(413, 'payload_too_large', `the file is larger than the upload limit of ${max} bytes (MAX_UPLOAD_BYTES)`);
  }
}

/**
 * Streams a multipart upload (field `file`, plus `collection`, `documentId`, `title`) into a PostgreSQL large
 * object as it arrives, so neither memory nor local disk holds the whole file and every worker can read it after
 * a crash. Rejects as soon as the file passes `maxBytes` (413) or its first bytes show a type no extractor reads
 * (415), without reading the rest. `onField` sees each field as it arrives (scope checks before the bytes).
 * On any failure the large object is removed; on success the caller must reference it (or drop it).
 */
export function receiveUpload(
  req: Request,
  o: { pool: Pool; maxBytes: number; onField?: (name: string, value: string) => void },
): Promise<ReceivedUpload> {
  let bb: busboy.Busboy;
  try {
    bb = busboy({
      headers: req.headers,
      limits: { fileSize: o.maxBytes, files: 1, fields: 10, fieldSize: 4096, parts: 20 },
    });
  } catch {
    return Promise.reject(
      new HttpError(415, 'unsupported_media_type', 'the upload must be multipart/form-data with a "file" part'),
    );
  }
  return new Promise<ReceivedUpload>((resolve, reject) => {
    const fields: Record<string, string> = {};
    let oid: number | undefined;
    let fileSeen = false;
    let failed = false;
    let written = 0;
    let fileName = '';
    const hash = createHash('sha256');
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let writes = Promise.resolve();
    let fileDone: Promise<void> | undefined;

    const fail = (err: unknown) => {
      if (failed) return;
      failed = true;
      req.unpipe(bb);
      // The rest of the body is neither read nor buffered: the error handler closes the connection after replying.
      bb.removeAllListeners('file');
      writes.then(
        () => (oid !== undefined ? dropContent(o.pool, oid).catch(() => {}) : undefined),
        () => (oid !== undefined ? dropContent(o.pool, oid).catch(() => {}) : undefined),
      );
      reject(err);
    };
    const flush = (bytes: Buffer) => {
      const offset = written;
      written += bytes.length;
      writes = writes.then(async () => {
        if (oid === undefined) oid = await createContent(o.pool, bytes);
        else await appendContent(o.pool, oid, offset, bytes);
      });
      return writes;
    };

    bb.on('field', (name, value, info) => {
      if (!FIELDS.has(name))
        return fail(new ValidationError(`unknown form field "${name}"`, [{ field: name, message: 'unknown field' }]));
      if (info.valueTruncated)
        return fail(new ValidationError(`form field "${name}" is too long`, [{ field: name, message: 'too long' }]));
      fields[name] = value;
      try {
        o.onField?.(name, value);
      } catch (err) {
        fail(err);
      }
    });
    bb.on('file', (name, stream, info) => {
      if (name !== 'file' || fileSeen) {
        stream.resume();
        return fail(
          new ValidationError('the upload takes one file, in the part named "file"', [
            { field: name, message: 'unexpected file part' },
          ]),
        );
      }
      fileSeen = true;
      fileName = info.filename ?? '';
      stream.on('limit', () => fail(new PayloadTooLargeError(o.maxBytes)));
      fileDone = (async () => {
        let sniffed = false;
        for await (const chunk of stream as AsyncIterable<Buffer>) {
          if (failed) return;
          hash.update(chunk);
          pending.push(chunk);
          pendingBytes += chunk.length;
          if (!sniffed && pendingBytes >= SNIFF_BYTES) {
            sniffed = true;
            const reason = await unreadableReason(Buffer.concat(pending).subarray(0, SNIFF_BYTES), fileName);
            if (reason) return fail(new HttpError(415, 'unsupported_media_type', reason));
          }
          if (pendingBytes >= FLUSH_BYTES) {
            const bytes = Buffer.concat(pending);
            pending = [];
            pendingBytes = 0;
            // Backpressure: the next chunk is read only once this one is stored.
            await flush(bytes);
          }
        }
        if (failed) return;
        const rest = Buffer.concat(pending);
        if (!sniffed) {
          const reason = await unreadableReason(rest.subarray(0, SNIFF_BYTES), fileName);
          if (reason) return fail(new HttpError(415, 'unsupported_media_type', reason));
        }
        if (rest.length || oid === undefined) await flush(rest);
      })().catch(fail);
    });
    bb.on('error', (err) =>
      fail(new ValidationError(`the multipart body could not be read: ${(err as Error).message}`)),
    );
    bb.on('filesLimit', () => fail(new ValidationError('the upload takes one file')));
    bb.on('fieldsLimit', () => fail(new ValidationError('too many form fields')));
    bb.on('partsLimit', () => fail(new ValidationError('too many parts')));
    bb.on('close', async () => {
      if (failed) return;
      if (!fileSeen || !fileDone)
        return fail(new ValidationError('the "file" part is missing', [{ field: 'file', message: 'required' }]));
      try {
        await fileDone;
        await writes;
      } catch (err) {
        return fail(err);
      }
      if (failed) return;
      resolve({ contentOid: oid!, byteSize: written, sha256: hash.digest('hex'), fileName, fields });
    });
    req.on('close', () => {
      if (!req.complete) fail(new HttpError(400, 'invalid_request', 'the upload was interrupted'));
    });
    req.pipe(bb);
  });
}
