/**
 * Makers of PDF, DOCX and hostile files, shared by the sample-corpus generator (scripts/gen-documents.ts) and the
 * tests that need large or hostile inputs (generated at test time so nothing big is committed).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import zlib from 'node:zlib';
import fontkit from '@pdf-lib/fontkit';
import { PDFDocument, type PDFFont, type PDFPage, rgb, StandardFonts } from 'pdf-lib';

/** Has Vietnamese glyphs; Debian's fonts-dejavu-core. Only the sample generator needs it (Helvetica otherwise). */
export const DEJAVU_SANS = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';
const DEJAVU_SANS_BOLD = '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf';

export interface PdfBlock {
  /** `heading` is bold, larger and centred; `paragraph` is wrapped to the page width and justified left. */
  kind: 'heading' | 'paragraph';
  text: string;
}

interface WrappedPdfOptions {
  title?: string;
  author?: string;
  /** Blocks flow from page to page; `pageBreak` starts a new page. */
  blocks: (PdfBlock | 'pageBreak')[];
  /** `dejavu` embeds DejaVu Sans (Vietnamese glyphs); `helvetica` needs no font file (Latin-1 text only). */
  font?: 'dejavu' | 'helvetica';
  fontSize?: number;
  /** Break long words at the line end with a hyphen, as typesetters do (exercises de-hyphenation). */
  hyphenate?: boolean;
  /** A "Trang N" footer on every page (running text a reader should not mistake for the body). */
  footer?: (page: number) => string;
}

const A4: [number, number] = [595.28, 841.89];
const MARGIN = 72;

function wrapLine(words: string[], font: PDFFont, size: number, width: number, hyphenate: boolean): string[] {
  const lines: string[] = [];
  let line = '';
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    const candidate = line ? `${line} ${word}` : word;
    if (font.widthOfTextAtSize(candidate, size) <= width) {
      line = candidate;
      continue;
    }
    // Hyphenate a long word: as much as fits on this line, a hyphen, the rest on the next.
    if (hyphenate && word.length >= 8 && /^\p{Ll}+[.,;]?$/u.test(word)) {
      const prefix = line ? `${line} ` : '';
      let cut = word.length - 3;
      while (cut >= 3 && font.widthOfTextAtSize(`${prefix}${word.slice(0, cut)}-`, size) > width) cut--;
      if (cut >= 3) {
        lines.push(`${prefix}${word.slice(0, cut)}-`);
        line = word.slice(cut);
        continue;
      }
    }
    if (line) lines.push(line);
    line = word;
  }
  if (line) lines.push(line);
  return lines;
}

/** A text PDF whose paragraphs are wrapped into lines the way a word processor lays them out. */
export async function makeWrappedPdf(o: WrappedPdfOptions): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  let regular: PDFFont;
  let bold: PDFFont;
  if ((o.font ?? 'dejavu') === 'dejavu') {
    doc.registerFontkit(fontkit);
    regular = await doc.embedFont(fs.readFileSync(DEJAVU_SANS), { subset: true });
    bold = await doc.embedFont(fs.readFileSync(DEJAVU_SANS_BOLD), { subset: true });
  } else {
    regular = await doc.embedFont(StandardFonts.Helvetica);
    bold = await doc.embedFont(StandardFonts.HelveticaBold);
  }
  if (o.title) doc.setTitle(o.title);
  if (o.author) doc.setAuthor(o.author);
  doc.setProducer('rag-queue sample generator');
  doc.setCreationDate(new Date('2025-03-14T08:00:00Z'));
  doc.setModificationDate(new Date('2025-03-14T08:00:00Z'));

  const size = o.fontSize ?? 11;
  const width = A4[0] - 2 * MARGIN;
  let page: PDFPage | undefined;
  let y = 0;
  let pageNo = 0;
  const newPage = () => {
    page = doc.addPage(A4);
    pageNo++;
    y = A4[1] - MARGIN;
    if (o.footer) page.drawText(o.footer(pageNo), { x: A4[0] / 2 - 20, y: 36, size: 9, font: regular });
  };
  newPage();
  for (const block of o.blocks) {
    if (block === 'pageBreak') {
      newPage();
      continue;
    }
    const heading = block.kind === 'heading';
    const font = heading ? bold : regular;
    const fs_ = heading ? size + 2 : size;
    const lines = wrapLine(block.text.split(/\s+/u), font, fs_, width, !heading && (o.hyphenate ?? false));
    const leading = fs_ * 1.45;
    for (const line of lines) {
      if (y - leading < MARGIN) newPage();
      y -= leading;
      const x = heading ? (A4[0] - font.widthOfTextAtSize(line, fs_)) / 2 : MARGIN;
      page!.drawText(line, { x, y, size: fs_, font });
    }
    y -= leading * 0.6; // paragraph spacing
  }
  return doc.save({ useObjectStreams: false });
}

/** `pages` pages of generated English text (Helvetica), each with a few wrapped paragraphs naming its page. */
export async function makeManyPagesPdf(pages: number): Promise<Uint8Array> {
  const blocks: (PdfBlock | 'pageBreak')[] = [];
  for (let p = 1; p <= pages; p++) {
    if (p > 1) blocks.push('pageBreak');
    blocks.push({ kind: 'heading', text: `Section ${p}: tender lot ${p}` });
    for (let k = 0; k < 4; k++) {
      blocks.push({
        kind: 'paragraph',
        text:
          `Paragraph ${k + 1} of page ${p}. The procuring entity evaluates bids for lot ${p} against the ` +
          'criteria stated in the bidding documents, checks the validity of each bid security, and records the ' +
          'result of the technical and financial evaluation in the minutes signed by every member of the expert team.',
      });
    }
  }
  return makeWrappedPdf({ title: `${pages}-page test document`, blocks, font: 'helvetica' });
}

/** A PDF with only drawn shapes on its pages: no text layer (like a scan without OCR). */
export async function makeTextlessPdf(pages = 2): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  for (let p = 0; p < pages; p++) {
    const page = doc.addPage(A4);
    page.drawRectangle({ x: 80, y: 500, width: 300, height: 200, color: rgb(0.2, 0.4, 0.8) });
    page.drawLine({ start: { x: 80, y: 400 }, end: { x: 500, y: 420 }, thickness: 3 });
    page.drawCircle({ x: 300, y: 250, size: 60, borderColor: rgb(0, 0, 0), borderWidth: 2 });
  }
  return doc.save();
}

// --- An encrypted PDF: standard security handler, revision 2 (RC4, 40-bit), with a user password. ---

const PAD = Buffer.from('28bf4e5e4e758a4164004e56fffa01082e2e00b6d0683e802f0ca9fe6453697a', 'hex');

function rc4(key: Buffer, data: Buffer): Buffer {
  const s = Array.from({ length: 256 }, (_, i) => i);
  for (let i = 0, j = 0; i < 256; i++) {
    j = (j + s[i] + key[i % key.length]) & 255;
    [s[i], s[j]] = [s[j], s[i]];
  }
  const out = Buffer.alloc(data.length);
  for (let n = 0, i = 0, j = 0; n < data.length; n++) {
    i = (i + 1) & 255;
    j = (j + s[i]) & 255;
    [s[i], s[j]] = [s[j], s[i]];
    out[n] = data[n] ^ s[(s[i] + s[j]) & 255];
  }
  return out;
}

const md5 = (...parts: Buffer[]) => createHash('md5').update(Buffer.concat(parts)).digest();
const padded = (password: string) => Buffer.concat([Buffer.from(password, 'latin1'), PAD]).subarray(0, 32);

/** A one-page PDF readable only with `userPassword` (its content stream is RC4-encrypted, as the spec says). */
export function makeEncryptedPdf(userPassword = 'secret', ownerPassword = 'owner'): Uint8Array {
  const id = createHash('md5').update('rag-queue encrypted fixture').digest();
  const permissions = -44;
  const o = rc4(md5(padded(ownerPassword)).subarray(0, 5), padded(userPassword));
  const p = Buffer.alloc(4);
  p.writeInt32LE(permissions);
  const key = md5(padded(userPassword), o, p, id).subarray(0, 5);
  const u = rc4(key, PAD);
  const objectKey = (num: number) =>
    md5(key, Buffer.from([num & 255, (num >> 8) & 255, (num >> 16) & 255, 0, 0])).subarray(0, 10);
  const content = rc4(objectKey(4), Buffer.from('BT /F1 18 Tf 72 720 Td (Confidential tender prices) Tj ET'));
  const objects: Buffer[] = [
    Buffer.from('<< /Type /Catalog /Pages 2 0 R >>'),
    Buffer.from('<< /Type /Pages /Kids [3 0 R] /Count 1 >>'),
    Buffer.from(
      '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    ),
    Buffer.concat([Buffer.from(`<< /Length ${content.length} >>\nstream\n`), content, Buffer.from('\nendstream')]),
    Buffer.from('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>'),
    Buffer.from(
      `<< /Filter /Standard /V 1 /R 2 /O <${o.toString('hex')}> /U <${u.toString('hex')}> /P ${permissions} >>`,
    ),
  ];
  const hex = id.toString('hex');
  return assemblePdf(objects, `/Root 1 0 R /Encrypt 6 0 R /ID [<${hex}> <${hex}>]`);
}

/** Serialises numbered objects (1..n) with a classic cross-reference table. */
function assemblePdf(objects: Buffer[], trailer: string): Uint8Array {
  const parts: Buffer[] = [Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  let offset = parts[0].length;
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(offset);
    const chunk = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`), body, Buffer.from('\nendobj\n')]);
    parts.push(chunk);
    offset += chunk.length;
  });
  const xref = [`xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`]
    .concat(offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`))
    .join('');
  parts.push(
    Buffer.from(`${xref}trailer\n<< /Size ${objects.length + 1} ${trailer} >>\nstartxref\n${offset}\n%%EOF\n`),
  );
  return new Uint8Array(Buffer.concat(parts));
}

/** The first `bytes` of this machine's node binary: a real executable, to be renamed `.pdf` by a test. */
export function makeExecutable(bytes = 64 * 1024): Uint8Array {
  const fd = fs.openSync(process.execPath, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const n = fs.readSync(fd, buf, 0, bytes, 0);
    return new Uint8Array(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
}

// --- ZIP (for DOCX fixtures): stored or deflated entries, sizes as declared by the caller when lying. ---

interface ZipEntry {
  name: string;
  /** Raw deflate data (method 8), or the stored bytes when `stored`. */
  data: Buffer;
  stored?: boolean;
  crc32: number;
  uncompressedSize: number;
}

export function deflatedEntry(name: string, content: string | Buffer): ZipEntry {
  const raw = typeof content === 'string' ? Buffer.from(content) : content;
  return { name, data: zlib.deflateRawSync(raw), crc32: zlib.crc32(raw), uncompressedSize: raw.length };
}

export function makeZip(entries: ZipEntry[]): Uint8Array {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name);
    const method = e.stored ? 0 : 8;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(e.crc32 >>> 0, 14);
    local.writeUInt32LE(e.data.length, 18);
    local.writeUInt32LE(e.uncompressedSize, 22);
    local.writeUInt16LE(name.length, 26);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(20, 4);
    cd.writeUInt16LE(20, 6);
    cd.writeUInt16LE(0x0800, 8);
    cd.writeUInt16LE(method, 10);
    cd.writeUInt32LE(e.crc32 >>> 0, 16);
    cd.writeUInt32LE(e.data.length, 20);
    cd.writeUInt32LE(e.uncompressedSize, 24);
    cd.writeUInt16LE(name.length, 28);
    cd.writeUInt32LE(offset, 42);
    locals.push(local, name, e.data);
    central.push(cd, name);
    offset += local.length + name.length + e.data.length;
  }
  const cdSize = central.reduce((n, b) => n + b.length, 0);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(entries.length, 8);
  eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(cdSize, 12);
  eocd.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...locals, ...central, eocd]));
}

const CONTENT_TYPES =
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
  '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
  '<Default Extension="xml" ContentType="application/xml"/>' +
  '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>';
const ROOT_RELS =
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
  '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>';
const W_NS = 'http://schemas.openxmlformats.org/wordprocessingml/2006/main';

/** The smallest DOCX mammoth reads: one paragraph per string. */
export function makeMinimalDocx(paragraphs: string[]): Uint8Array {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const body = paragraphs.map((p) => `<w:p><w:r><w:t xml:space="preserve">${esc(p)}</w:t></w:r></w:p>`).join('');
  return makeZip([
    deflatedEntry('[Content_Types].xml', CONTENT_TYPES),
    deflatedEntry('_rels/.rels', ROOT_RELS),
    deflatedEntry(
      'word/document.xml',
      `<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="${W_NS}"><w:body>${body}</w:body></w:document>`,
    ),
  ]);
}

/**
 * Raw deflate data that inflates to `totalBytes` of spaces while being about 1/1000 of that: one compressed block
 * of 16 MiB ending in a sync flush (byte-aligned, not final) repeated, then an empty final block. Cheap to make
 * even for gigabytes, unlike compressing the gigabytes themselves.
 */
function repeatedDeflate(totalBytes: number): { data: Buffer; crc32: number } {
  const unit = Buffer.alloc(16 * 1024 * 1024, 0x20);
  const block = zlib.deflateRawSync(unit, { level: 9, finishFlush: zlib.constants.Z_SYNC_FLUSH });
  const copies = Math.ceil(totalBytes / unit.length);
  let crc = 0;
  for (let i = 0; i < copies; i++) crc = zlib.crc32(unit, crc);
  return { data: Buffer.concat([...Array(copies).fill(block), Buffer.from([0x03, 0x00])]), crc32: crc };
}

/**
 * A DOCX whose word/document.xml inflates to `inflatedBytes` (default 2 GiB) of whitespace inside the body.
 * `declare: 'honest'` states the real size in the ZIP directory; `'lying'` claims 1 KiB, so only a bound
 * enforced while inflating stops it.
 */
export function makeZipBombDocx(opts: { inflatedBytes?: number; declare?: 'honest' | 'lying' } = {}): Uint8Array {
  const total = opts.inflatedBytes ?? 2 * 1024 * 1024 * 1024;
  const { data, crc32 } = repeatedDeflate(total);
  const size = Math.ceil(total / (16 * 1024 * 1024)) * 16 * 1024 * 1024;
  return makeZip([
    deflatedEntry('[Content_Types].xml', CONTENT_TYPES),
    deflatedEntry('_rels/.rels', ROOT_RELS),
    {
      name: 'word/document.xml',
      data,
      crc32,
      uncompressedSize: opts.declare === 'lying' ? 1024 : Math.min(size, 0xfffffffe),
    },
  ]);
}

/** An HTML article page with navigation, a cookie banner, scripts, styles and a footer around the content. */
export function makeClutteredHtml(title: string, paragraphs: string[]): string {
  const nav = ['Trang chủ', 'Tin tức', 'Văn bản pháp luật', 'Liên hệ', 'Đăng nhập']
    .map((l) => `<li><a href="/${encodeURIComponent(l)}">${l}</a></li>`)
    .join('');
  return `<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8"><title>${title} | Cổng thông tin đấu thầu</title>
<style>body{font-family:sans-serif}.nav{display:flex}.secret-style-marker{color:red}</style>
<script>window.analytics = { track: function(){ return 'SCRIPT_MARKER'; } };</script>
</head><body>
<header><nav class="nav"><ul>${nav}</ul></nav></header>
<div class="cookie-banner">Trang web sử dụng cookie. <button>Đồng ý</button></div>
<main><article><h1>${title}</h1>
${paragraphs.map((p) => `<p>${p}</p>`).join('\n')}
</article></main>
<aside class="sidebar"><h3>Tin liên quan</h3><ul><li><a href="/a">Tin khác 1</a></li><li><a href="/b">Tin khác 2</a></li></ul></aside>
<footer><p>© 2025 Cổng thông tin đấu thầu. FOOTER_MARKER Địa chỉ: 6B Hoàng Diệu, Ba Đình, Hà Nội.</p></footer>
<script src="/app.js"></script><script>console.log('SCRIPT_MARKER_2')</script>
</body></html>`;
}
