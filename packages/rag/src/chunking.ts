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
