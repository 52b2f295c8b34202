import { ExtractError } from '../errors.ts';

/**
 * Decodes bytes that should be text. UTF-8 (with or without BOM) is the norm; UTF-16 is accepted when it
 * announces itself with a BOM (Windows Notepad's "Unicode"), because refusing it would only push users to
 * re-save a file we can read unambiguously. Anything else (a legacy code page, binary) is refused rather than
 * guessed: a wrong guess turns Vietnamese into mojibake that is then indexed silently.
 */
export function decodeText(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  const hasBom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(hasBom ? bytes.subarray(3) : bytes);
  } catch {
    throw new ExtractError(
      'unsupported_type',
      'The file is neither a PDF, Word, HTML document nor UTF-8 text (save text files as UTF-8).',
    );
  }
}

/** Binary data that happens to decode: NUL bytes or many control characters. */
export function looksBinary(text: string): boolean {
  const sample = text.slice(0, 64 * 1024);
  if (sample.includes('\u0000')) return true;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: counting control characters is the point
  const controls = sample.match(/[\u0001-\u0008\u000E-\u001F]/gu)?.length ?? 0;
  return controls > sample.length / 100;
}
