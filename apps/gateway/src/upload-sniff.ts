/**
 * Refuses at upload what no extractor can read, by content (magic bytes), not by name: an executable named
 * `.pdf` gets 415 at once instead of a queued job that fails later. Whatever passes here may still end `failed`
 * with a reason (a corrupt PDF, a ZIP that is not DOCX, ...): that needs the whole file and a sandbox.
 */

const SIGNATURES: [bytes: number[], what: string][] = [
  [[0x7f, 0x45, 0x4c, 0x46], 'an ELF executable'],
  [[0x4d, 0x5a], 'a Windows executable'],
  [[0xcf, 0xfa, 0xed, 0xfe], 'a Mach-O executable'],
  [[0xca, 0xfe, 0xba, 0xbe], 'a Java class or Mach-O binary'],
  [[0x89, 0x50, 0x4e, 0x47], 'a PNG image'],
  [[0xff, 0xd8, 0xff], 'a JPEG image'],
  [[0x47, 0x49, 0x46, 0x38], 'a GIF image'],
  [[0x1f, 0x8b], 'a gzip archive'],
  [[0x42, 0x5a, 0x68], 'a bzip2 archive'],
  [[0xfd, 0x37, 0x7a, 0x58, 0x5a], 'an xz archive'],
  [[0x37, 0x7a, 0xbc, 0xaf], 'a 7-Zip archive'],
  [[0x52, 0x61, 0x72, 0x21], 'a RAR archive'],
  [[0xd0, 0xcf, 0x11, 0xe0], 'a legacy Office file (.doc/.xls); save it as .docx or PDF'],
  [[0x00, 0x61, 0x73, 0x6d], 'a WebAssembly module'],
];

const startsWith = (head: Buffer, sig: number[]) => head.length >= sig.length && sig.every((b, i) => head[i] === b);

/** Valid UTF-8, allowing a multi-byte sequence cut at the end of the sample. */
function isUtf8Text(head: Buffer): boolean {
  if (head.includes(0)) return false;
  for (let cut = 0; cut < 4 && cut < head.length; cut++) {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, head.length - cut));
      return true;
    } catch {
      // try without a possibly cut last character
    }
  }
  return false;
}

/** The first bytes of an upload; returns why it cannot be read, or null when it may be. */
export function unreadableReason(head: Buffer): string | null {
  if (head.length === 0) return null; // empty: the document fails as empty, with that reason
  if (startsWith(head, [0x25, 0x50, 0x44, 0x46, 0x2d])) return null; // %PDF-
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04])) return null; // ZIP: DOCX is checked when extracted
  for (const [sig, what] of SIGNATURES) if (startsWith(head, sig)) return `the file is ${what}`;
  if (isUtf8Text(head)) return null; // HTML, Markdown, plain text
  return 'the file is neither PDF, DOCX, nor UTF-8 text (HTML, Markdown, plain text)';
}
