import { detectFormat, ExtractError, extractDocument, type ExtractedDocument, type ExtractorPool } from '@rag/extract';
import { titleOf } from './collect-files.ts';

/**
 * Turns a stored file into pages of clean text, the one step the CLI and the ingestion job share. The format is
 * judged by content (`detectFormat`, safe in this process). PDF, DOCX and HTML are parsed in a child process with
 * time and memory bounds: a warm one of `o.extractors` (an ExtractorPool, which a worker or a CLI run keeps for all
 * its documents), else one started for this document (`extractDocument`, ~0.65 s of start-up measured). Markdown
 * and plain text need no parser to be guarded against, so they are decoded here. Failures are `ExtractError`s whose
 * code and message go to the document's `error`.
 */
export async function extractFile(
  bytes: Uint8Array,
  fileName: string,
  o: { timeoutMs: number; signal?: AbortSignal; extractors?: Pick<ExtractorPool, 'extract'> },
): Promise<ExtractedDocument> {
  const format = await detectFormat(bytes, fileName);
  if (format !== 'markdown' && format !== 'text') {
    const opts = { filename: fileName, timeoutMs: o.timeoutMs, signal: o.signal };
    return o.extractors ? o.extractors.extract(bytes, opts) : extractDocument(bytes, opts);
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
