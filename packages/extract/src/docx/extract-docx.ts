import mammoth from 'mammoth';
import { ExtractError } from '../errors.ts';
import { firstHeading, htmlToText } from '../html/html-to-text.ts';
import { isBlank } from '../normalize-text.ts';
import type { ExtractedDocument, ExtractLimits } from '../types.ts';
import { inflateEntry, readZipDirectory, tooLarge } from './zip-directory.ts';

// The parts mammoth reads; media (images) are never inflated, so they do not count against the bound.
const isXmlPart = (name: string) => /\.(xml|rels)$/iu.test(name);

/**
 * Bounds the XML a DOCX inflates to twice: by the sizes its ZIP directory declares (before inflating anything)
 * and by inflating each part with a hard output cap (a directory can lie). Only then does mammoth see it.
 */
function checkDocxSize(bytes: Uint8Array, maxBytes: number): void {
  const parts = readZipDirectory(bytes).filter((e) => isXmlPart(e.name));
  const declared = parts.reduce((n, e) => n + e.uncompressedSize, 0);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  let budget = maxBytes;
  for (const part of parts) budget -= inflateEntry(bytes, part, budget).length;
}

export async function extractDocx(bytes: Uint8Array, limits: ExtractLimits): Promise<ExtractedDocument> {
  checkDocxSize(bytes, limits.maxDecompressedBytes);
  let html: string;
  try {
    const result = await mammoth.convertToHtml(
      { buffer: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) },
      {
        styleMap: ["p[style-name='Title'] => h1:fresh", "p[style-name='Subtitle'] => h2:fresh"],
        // Images carry no text; never read (inflate) them.
        convertImage: mammoth.images.imgElement(async () => ({ src: '' })),
      },
    );
    html = result.value;
  } catch (err) {
    throw new ExtractError('corrupt', 'The Word file could not be read (damaged or not a .docx document).', {
      cause: err,
    });
  }
  const text = htmlToText(html);
  if (isBlank(text)) throw new ExtractError('no_text', 'The Word document contains no text.');
  return { format: 'docx', title: firstHeading(text), pages: [{ text }] };
}
