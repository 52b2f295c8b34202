import { titleOf } from './collect-files.ts';

/**
 * Stand-in for `@rag/extract` until it lands: Markdown and plain text only, decoded as UTF-8 and NFC-normalised.
 * Same shape as the extractor's result so the pipeline does not change when it is swapped in.
 */

export interface ExtractedPage {
  /** 1-based page number for paged formats (PDF); absent otherwise. */
  page?: number;
  text: string;
}

export interface ExtractedDocument {
  format: string;
  title?: string;
  pages: ExtractedPage[];
}

/** A document that cannot be ingested: `code` goes to the document's `error.code`. */
export class ExtractionError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'ExtractionError';
    this.code = code;
  }
}

export async function extractText(bytes: Buffer, fileName: string): Promise<ExtractedDocument> {
  if (bytes.includes(0))
    throw new ExtractionError('unsupported_format', 'the file is not text (it contains NUL bytes)');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ExtractionError('unsupported_format', 'the file is not valid UTF-8 text');
  }
  text = text.replace(/^\uFEFF/, '').normalize('NFC');
  if (!text.trim()) throw new ExtractionError('empty_document', 'the file contains no text');
  const markdown = /\.(md|markdown)$/i.test(fileName);
  return { format: markdown ? 'markdown' : 'text', title: titleOf(text, fileName), pages: [{ text }] };
}
