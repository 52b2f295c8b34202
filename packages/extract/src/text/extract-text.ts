import { firstHeading } from '../html/html-to-text.ts';
import { cleanPlainText } from '../normalize-text.ts';
import type { ExtractedDocument } from '../types.ts';

/** Markdown and plain text keep their layout, as the CLI has always ingested them; only cleaned and NFC. */
export function extractPlain(text: string, format: 'markdown' | 'text'): ExtractedDocument {
  const clean = cleanPlainText(text).trim();
  return { format, title: format === 'markdown' ? firstHeading(clean) : undefined, pages: [{ text: clean }] };
}
