import { Readability } from '@mozilla/readability';
import { parseHTML } from 'linkedom';
import { ExtractError } from '../errors.ts';
import { cleanText, isBlank } from '../normalize-text.ts';
import type { ExtractedDocument } from '../types.ts';
import { domToText, firstHeading, htmlToText } from './html-to-text.ts';

// Page furniture, removed before readability runs: it keeps a <nav> on pages too short to score otherwise.
const FURNITURE =
  'script, style, noscript, template, nav, aside, form, [role=navigation], [role=banner], [role=contentinfo], [aria-hidden=true]';

interface QueryRoot {
  querySelectorAll(selector: string): ArrayLike<{ remove(): void; closest(selector: string): unknown }>;
}

function removeFurniture(root: QueryRoot): void {
  for (const el of Array.from(root.querySelectorAll(FURNITURE))) el.remove();
  // A page's header and footer go; an article's own <header> (holding its <h1>) stays.
  for (const el of Array.from(root.querySelectorAll('header, footer'))) {
    if (!el.closest('article, main')) el.remove();
  }
}

/**
 * The main content of an HTML page (readability's article: no navigation, footers, scripts or styles); pages
 * too short for readability to score fall back to the body without the usual furniture.
 */
export function extractHtml(html: string): ExtractedDocument {
  const { document } = parseHTML(html);
  removeFurniture(document as unknown as QueryRoot);
  // After the furniture is gone: a site header's logo is often an <h1> too.
  const pageTitle = cleanText(document.querySelector('title')?.textContent ?? '');
  const h1 = cleanText(document.querySelector('h1')?.textContent ?? '');
  let text = '';
  try {
    // Readability mutates the document it is given: hand it a copy, keep this one for the fallback.
    const copy = parseHTML(document.toString()).document;
    const article = new Readability(copy as unknown as ConstructorParameters<typeof Readability>[0], {
      charThreshold: 200,
    }).parse();
    if (article?.content) text = htmlToText(article.content);
  } catch {
    // Readability can throw on odd markup; the fallback below still yields the text.
  }
  if (isBlank(text) && document.body) text = domToText(document.body as never);
  if (isBlank(text)) throw new ExtractError('no_text', 'The HTML page contains no readable text.');
  // <h1> names the document; <title> often appends the site name ("... | Cổng thông tin").
  const title = h1 || firstHeading(text) || pageTitle || undefined;
  return { format: 'html', title, pages: [{ text }] };
}
