import { sniff } from './detect-format.ts';
import { ExtractError } from './errors.ts';
import { isBlank } from './normalize-text.ts';
import { DEFAULT_LIMITS, type ExtractedDocument, type ExtractLimits } from './types.ts';

/**
 * Detects the format and extracts, in this thread, with no time or memory bound: the sandboxed
 * `extractDocument` runs this in a child process. Call it directly only on trusted input (tests, generators).
 */
export async function parseDocument(
  bytes: Uint8Array,
  opts: { filename?: string } & Partial<ExtractLimits> = {},
): Promise<ExtractedDocument> {
  const limits: ExtractLimits = { ...DEFAULT_LIMITS, ...withoutUndefined(opts) };
  const sniffed = await sniff(bytes, opts.filename);
  let doc: ExtractedDocument;
  // Parsers are imported on demand: a child process that reads a text file never loads pdf.js.
  switch (sniffed.format) {
    case 'pdf':
      doc = await (await import('./pdf/extract-pdf.ts')).extractPdf(bytes, limits);
      break;
    case 'docx':
      doc = await (await import('./docx/extract-docx.ts')).extractDocx(bytes, limits);
      break;
    case 'html':
      doc = (await import('./html/extract-html.ts')).extractHtml(sniffed.text!);
      break;
    default:
      doc = (await import('./text/extract-text.ts')).extractPlain(sniffed.text!, sniffed.format);
  }
  if (doc.pages.every((p) => isBlank(p.text))) throw new ExtractError('no_text', 'The document contains no text.');
  return doc;
}

function withoutUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
