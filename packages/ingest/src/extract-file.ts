import { detectFormat, ExtractError, extractDocument, type ExtractedDocument } from '@rag/extract';
import { titleOf } from './collect-files.ts';

/**
 * Turns a stored file into pages of clean text, the one step the CLI and the ingestion job share. The format is
 * judged by content (`detectFormat`, safe in this process). PDF, DOCX and HTML are parsed by `extractDocument` in
 * a child process per document with time and memory bounds; Markdown and plain text need no parser to be guarded
 * against, and the child's start (~0.65 s measured per document) would dominate a corpus of small notes, so they
 * are decoded here. Failures are `ExtractError`s whose code and message go to the document's `error`.
 */
export async function extractFile(
  bytes: Uint8Array,
  fileName: string,
  o: { timeoutMs: number; signal?: AbortSignal },
): Promise<ExtractedDocument> {
  const format = await detectFormat(bytes, fileName);
  if (format !== 'markdown' && format !== 'text') {
    return extractDocument(bytes, { filename: fileName, timeoutMs: o.timeoutMs, signal: o.signal });
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ExtractError('unsupported_type', 'The file is not UTF-8 text.');
  }
  text = text.replace(/^\uFEFF/, '').normalize('NFC');
  if (!text.trim()) throw new ExtractError('empty', 'The file contains only whitespace.');
  return { format, title: titleOf(text, fileName), pages: [{ text }] };
}
