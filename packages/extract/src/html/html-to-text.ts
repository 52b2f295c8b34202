import { parseHTML } from 'linkedom';
import { cleanText } from '../normalize-text.ts';

/**
 * Turns HTML (mammoth's output for DOCX, readability's article for HTML) into text that keeps the structure the
 * chunker and the answer need: headings become Markdown headings, paragraphs and list items their own lines
 * separated by blank lines, table rows one line each with ` | ` between cells.
 */

const SKIP = new Set(['script', 'style', 'noscript', 'template', 'svg', 'canvas', 'iframe', 'object', 'head', 'img']);
const BLOCK = new Set([
  'address',
  'article',
  'aside',
  'blockquote',
  'dd',
  'details',
  'div',
  'dl',
  'dt',
  'figcaption',
  'figure',
  'footer',
  'form',
  'header',
  'hr',
  'li',
  'main',
  'nav',
  'ol',
  'p',
  'pre',
  'section',
  'summary',
  'table',
  'tbody',
  'thead',
  'tfoot',
  'ul',
  'caption',
]);

interface DomNode {
  nodeType: number;
  nodeName: string;
  textContent: string | null;
  childNodes: ArrayLike<DomNode>;
}

export function htmlToText(html: string): string {
  const { document } = parseHTML(`<!DOCTYPE html><html><body>${html}</body></html>`);
  return domToText(document.body as unknown as DomNode);
}

export function domToText(root: DomNode): string {
  const blocks: string[] = [];
  let inline = '';
  const flush = (prefix = '') => {
    const text = inline.replace(/\s+/gu, ' ').trim();
    if (text) blocks.push(prefix + text);
    inline = '';
  };
  const walk = (node: DomNode) => {
    if (node.nodeType === 3) {
      inline += node.textContent ?? '';
      return;
    }
    if (node.nodeType !== 1) return;
    const tag = node.nodeName.toLowerCase();
    if (SKIP.has(tag)) return;
    if (tag === 'br') {
      inline += ' ';
      return;
    }
    const heading = /^h([1-6])$/u.exec(tag);
    if (heading) {
      flush();
      for (const child of Array.from(node.childNodes)) walk(child);
      flush(`${'#'.repeat(Number(heading[1]))} `);
      return;
    }
    if (tag === 'table') {
      // One line per row, the rows of a table together: a chunk then keeps a row's cells side by side.
      flush();
      const rows = tableRows(node).filter((r) => r.replace(/[\s|]/gu, ''));
      if (rows.length) blocks.push(rows.join('\n'));
      return;
    }
    if (tag === 'li') {
      flush();
      const text = domToText(node).replace(/\n+/gu, ' ').trim();
      if (text) blocks.push(`- ${text}`);
      return;
    }
    const block = BLOCK.has(tag);
    if (block) flush();
    for (const child of Array.from(node.childNodes)) walk(child);
    if (block) flush();
  };
  walk(root);
  flush();
  return cleanText(blocks.join('\n\n'));
}

function tableRows(node: DomNode): string[] {
  const rows: string[] = [];
  for (const child of Array.from(node.childNodes)) {
    if (child.nodeType !== 1) continue;
    const tag = child.nodeName.toLowerCase();
    if (tag === 'tr') {
      const cells = Array.from(child.childNodes)
        .filter((c) => c.nodeType === 1 && /^t[hd]$/iu.test(c.nodeName))
        .map((c) => domToText(c).replace(/\s+/gu, ' ').trim());
      rows.push(cells.join(' | '));
    } else if (tag !== 'table') rows.push(...tableRows(child)); // thead/tbody/tfoot, not nested tables
  }
  return rows;
}

/** The first Markdown heading of extracted text, without its hashes. */
export function firstHeading(text: string): string | undefined {
  const m = /^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$/mu.exec(text);
  return m ? m[1].trim() : undefined;
}
