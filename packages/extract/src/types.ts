export type DocumentFormat = 'pdf' | 'docx' | 'html' | 'markdown' | 'text';

export interface ExtractedPage {
  /** 1-based page number (PDF only; other formats have no pages). */
  page?: number;
  /** NFC text: paragraphs separated by a blank line; headings of DOCX/HTML as Markdown headings (`## ...`). */
  text: string;
}

export interface ExtractedDocument {
  format: DocumentFormat;
  /** PDF metadata title or first heading; DOCX/HTML/Markdown first heading (HTML: <title>/<h1>). */
  title?: string;
  /** Pages with text, in order (PDF pages without text are left out); one element for other formats. */
  pages: ExtractedPage[];
  /** Pages in the PDF, text or not. */
  pageCount?: number;
}

export interface ExtractLimits {
  /**
   * Bound on the XML a DOCX inflates to (sum of its XML parts), checked against the ZIP directory before
   * inflating anything and again while inflating.
   * @defaultValue 128 MiB
   */
  maxDecompressedBytes: number;
  /** @defaultValue 5000 */
  maxPages: number;
}

export const DEFAULT_LIMITS: ExtractLimits = {
  maxDecompressedBytes: 128 * 1024 * 1024,
  maxPages: 5000,
};
