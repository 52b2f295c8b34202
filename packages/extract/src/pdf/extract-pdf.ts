import { getDocumentProxy } from 'unpdf';
import { ExtractError } from '../errors.ts';
import { cleanText, isBlank } from '../normalize-text.ts';
import type { ExtractedDocument, ExtractedPage, ExtractLimits } from '../types.ts';
import { layoutPage, type TextPiece } from './pdf-layout.ts';

interface PdfTextItem {
  str?: string;
  transform?: number[];
  width?: number;
}

/** pdf.js reports failures as exceptions named by kind; map them to what a user can act on. */
function classify(err: unknown): ExtractError {
  const name = (err as { name?: string })?.name ?? '';
  if (name === 'PasswordException') {
    return new ExtractError('encrypted', 'The PDF is password-protected; upload a copy without a password.', {
      cause: err,
    });
  }
  return new ExtractError('corrupt', 'The PDF is damaged or truncated and could not be read.', { cause: err });
}

const piecesOf = (items: PdfTextItem[]): TextPiece[] =>
  items
    .filter((i): i is Required<PdfTextItem> => typeof i.str === 'string' && Array.isArray(i.transform))
    .map((i) => ({
      str: i.str,
      x: i.transform[4],
      y: i.transform[5],
      width: i.width,
      fontSize: Math.hypot(i.transform[2], i.transform[3]) || Math.hypot(i.transform[0], i.transform[1]),
    }));

/** "Microsoft Word - hsmt_v3.docx", "untitled", a file name: not titles. */
function metadataTitle(info: Record<string, unknown>): string | undefined {
  const raw = typeof info.Title === 'string' ? cleanText(info.Title) : '';
  const title = raw.replace(/^Microsoft (Word|PowerPoint|Excel) - /u, '');
  if (!title || /^untitled$/iu.test(title) || /\.(docx?|pdf|odt|rtf|txt)$/iu.test(title)) return undefined;
  return title;
}

/** The first run of the largest text on page 1, when it is clearly larger than the body. */
function headingTitle(pieces: TextPiece[]): string | undefined {
  const sizes = pieces.filter((p) => p.str.trim()).map((p) => p.fontSize);
  if (!sizes.length) return undefined;
  const body = [...sizes].sort((a, b) => a - b)[Math.floor(sizes.length / 2)];
  const top = Math.max(...sizes);
  if (top < 1.15 * body) return undefined;
  const start = pieces.findIndex((p) => p.fontSize === top && p.str.trim());
  let end = start;
  while (end + 1 < pieces.length && (pieces[end + 1].fontSize === top || !pieces[end + 1].str.trim())) end++;
  const title = cleanText(layoutPage(pieces.slice(start, end + 1)).replace(/\n+/gu, ' '));
  return title || undefined;
}

export async function extractPdf(bytes: Uint8Array, limits: ExtractLimits): Promise<ExtractedDocument> {
  let pdf: Awaited<ReturnType<typeof getDocumentProxy>>;
  try {
    // A copy: pdf.js transfers (detaches) the buffer it is given.
    pdf = await getDocumentProxy(new Uint8Array(bytes), {
      disableFontFace: true,
      useSystemFonts: false,
      stopAtErrors: true,
      verbosity: 0,
    });
  } catch (err) {
    throw classify(err);
  }
  try {
    if (pdf.numPages > limits.maxPages) {
      throw new ExtractError('too_large', `The PDF has ${pdf.numPages} pages; the limit is ${limits.maxPages}.`);
    }
    const pages: ExtractedPage[] = [];
    let title: string | undefined;
    try {
      const meta = await pdf.getMetadata();
      title = metadataTitle((meta.info ?? {}) as Record<string, unknown>);
    } catch {
      // Metadata is optional; a broken info dictionary does not make the text unreadable.
    }
    for (let n = 1; n <= pdf.numPages; n++) {
      const page = await pdf.getPage(n);
      const content = await page.getTextContent();
      const pieces = piecesOf(content.items as PdfTextItem[]);
      if (n === 1 && !title) title = headingTitle(pieces);
      const text = cleanText(layoutPage(pieces));
      if (!isBlank(text)) pages.push({ page: n, text });
      page.cleanup();
    }
    if (!pages.length) {
      throw new ExtractError(
        'no_text',
        'The PDF has no text layer (a scan or drawings only); run it through OCR and upload the result.',
      );
    }
    return { format: 'pdf', title, pages, pageCount: pdf.numPages };
  } catch (err) {
    throw err instanceof ExtractError ? err : classify(err);
  } finally {
    await pdf.loadingTask.destroy().catch(() => {});
  }
}
