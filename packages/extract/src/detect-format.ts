import path from 'node:path';
import { fileTypeFromBuffer } from 'file-type';
import { ExtractError } from './errors.ts';
import { isBlank } from './normalize-text.ts';
import { decodeText, looksBinary } from './text/decode-text.ts';
import type { DocumentFormat } from './types.ts';
import { isZip, readZipDirectory } from './docx/zip-directory.ts';

/**
 * What a file is, judged by its bytes (magic numbers, the ZIP directory, whether it decodes as text); the file
 * name only separates Markdown from plain text. Safe to call in any process on untrusted bytes: it inflates
 * nothing and reads at most the ZIP directory and the first 64 KiB for magic numbers.
 */
interface Sniffed {
  format: DocumentFormat;
  /** The decoded text, for the text formats. */
  text?: string;
}

const SUPPORTED = 'a PDF, Word (.docx), HTML, Markdown or UTF-8 text document';
const HTML_START = /^\s*(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*<(!doctype\s+html|html|head|body)[\s>]/iu;
const MARKDOWN_HINT = /^(#{1,6}\s+\S|```|\s{0,3}[-*+]\s+\S.*\n\s{0,3}[-*+]\s+\S|\[[^\]]+\]\([^)]+\))/mu;

function describe(ext: string, mime: string): string {
  if (['exe', 'elf', 'mach', 'dll', 'msi', 'class', 'wasm', 'dex'].includes(ext)) return `an executable (${ext})`;
  if (ext === 'cfb') return 'an old Office file (.doc/.xls); save it as .docx';
  if (mime.startsWith('image/')) return `an image (${ext}); text in images needs OCR`;
  return `a ${ext} file (${mime})`;
}

export async function sniff(bytes: Uint8Array, filename?: string): Promise<Sniffed> {
  if (bytes.length === 0) throw new ExtractError('empty', 'The file is empty.');
  // pdf.js, like Acrobat, accepts a header within the first kilobyte (some generators prepend junk).
  if (Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 1024)).includes('%PDF-')) {
    return { format: 'pdf' };
  }
  if (isZip(bytes)) {
    const names = new Set(readZipDirectory(bytes).map((e) => e.name));
    if (names.has('word/document.xml')) return { format: 'docx' };
    const what = names.has('xl/workbook.xml')
      ? 'an Excel workbook'
      : names.has('ppt/presentation.xml')
        ? 'a PowerPoint presentation'
        : 'a ZIP archive';
    throw new ExtractError('unsupported_type', `The file is ${what}, not ${SUPPORTED}.`);
  }
  const type = await fileTypeFromBuffer(bytes.subarray(0, 64 * 1024));
  if (type && type.ext !== 'xml') {
    throw new ExtractError('unsupported_type', `The file is ${describe(type.ext, type.mime)}, not ${SUPPORTED}.`);
  }
  const text = decodeText(bytes);
  if (looksBinary(text)) throw new ExtractError('unsupported_type', `The file is binary data, not ${SUPPORTED}.`);
  if (isBlank(text)) throw new ExtractError('empty', 'The file contains only whitespace.');
  const ext = path.extname(filename ?? '').toLowerCase();
  const head = text.slice(0, 4096);
  if (HTML_START.test(head) || (['.html', '.htm', '.xhtml'].includes(ext) && /<[a-z][^>]*>/iu.test(head))) {
    return { format: 'html', text };
  }
  if (['.md', '.markdown', '.mdx'].includes(ext)) return { format: 'markdown', text };
  if (ext === '.txt') return { format: 'text', text };
  return { format: MARKDOWN_HINT.test(text.slice(0, 64 * 1024)) ? 'markdown' : 'text', text };
}

/** The format of `bytes`, or an ExtractError (`unsupported_type`, `empty`, `corrupt` for a broken ZIP). */
export async function detectFormat(bytes: Uint8Array, filename?: string): Promise<DocumentFormat> {
  return (await sniff(bytes, filename)).format;
}
