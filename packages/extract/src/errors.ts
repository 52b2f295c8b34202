/**
 * Why a document could not be turned into text. Callers classify by `code` (never by message text); the message
 * is written for the person who uploaded the file.
 */
export type ExtractErrorCode =
  /** Not PDF, DOCX, HTML, Markdown or text (an executable, an image, a spreadsheet, text that is not UTF-8/16). */
  | 'unsupported_type'
  /** Needs a password to open. */
  | 'encrypted'
  /** Damaged or truncated, or the parser failed on it. */
  | 'corrupt'
  /** No bytes, or only whitespace. */
  | 'empty'
  /** Parsed, but holds no text (a scanned PDF without a text layer, a PDF of drawings). */
  | 'no_text'
  /** Beyond a limit: decompressed size, pages, or the memory its parsing needed. */
  | 'too_large'
  /** Parsing took longer than the per-document time limit. */
  | 'timeout';

export class ExtractError extends Error {
  readonly code: ExtractErrorCode;
  constructor(code: ExtractErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ExtractError';
    this.code = code;
  }
}

export function isExtractError(err: unknown): err is ExtractError {
  return err instanceof ExtractError;
}
