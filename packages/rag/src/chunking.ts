import { RecursiveCharacterTextSplitter } from '@langchain/textsplitters';

/**
 * Splits a document into overlapping chunks, preferring paragraph, then line, then sentence boundaries,
 * so a chunk rarely starts mid-sentence.
 */
export async function chunkText(text: string, opts: { chunkSize: number; chunkOverlap: number }): Promise<string[]> {
  const splitter = new RecursiveCharacterTextSplitter({
    chunkSize: opts.chunkSize,
    chunkOverlap: opts.chunkOverlap,
    separators: ['\n\n', '\n', '. ', '; ', ', ', ' ', ''],
  });
  const chunks = await splitter.splitText(text.normalize('NFC'));
  return chunks.map((c) => c.trim()).filter((c) => c.length > 0);
}

interface PageText {
  /** 1-based page number, for paged formats (PDF); absent for Markdown, text, DOCX, HTML. */
  page?: number;
  text: string;
}

export interface PageChunk {
  text: string;
  /** The page the whole chunk comes from (citations carry it). */
  page?: number;
}

/**
 * Chunks a document given as pages. A chunk never spans two pages, so its `page` is exact for a citation; the
 * price is that a paragraph running over a page break becomes two chunks (each still large enough to be
 * found). A document without page numbers (one page, Markdown/text) is chunked exactly as `chunkText` does.
 */
export async function chunkPages(
  pages: PageText[],
  opts: { chunkSize: number; chunkOverlap: number },
): Promise<PageChunk[]> {
  const out: PageChunk[] = [];
  for (const p of pages) {
    for (const text of await chunkText(p.text, opts))
      out.push(p.page === undefined ? { text } : { text, page: p.page });
  }
  return out;
}
