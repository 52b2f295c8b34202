import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { extractText, getDocumentProxy } from 'unpdf';
import { BID_EVALUATION_REPORT, type PdfBlock, QUYET_DINH } from '@rag/testing/documents';
import { parseDocument } from '../src/parse-document.ts';
import { joinLines, layoutPage, type TextPiece } from '../src/pdf/pdf-layout.ts';
import { cleanText } from '../src/normalize-text.ts';
import { oneLine, readSample, words } from './support/samples.ts';

const VI_PDF = 'vi/quyet-dinh-phe-duyet-ket-qua-lua-chon-nha-thau.pdf';
const EN_PDF = 'en/bid-evaluation-report.pdf';
const sourceParagraphs = (blocks: (PdfBlock | 'pageBreak')[]) =>
  blocks.filter((b): b is PdfBlock => b !== 'pageBreak').map((b) => oneLine(b.text));

/** Paragraphs of the source found whole on one page, and the pages each was found on. */
function locate(pages: { page?: number; text: string }[], paragraphs: string[]) {
  const found = new Map<string, number>();
  for (const para of paragraphs) {
    const hit = pages.find((p) => oneLine(p.text).includes(para));
    if (hit) found.set(para, hit.page!);
  }
  return found;
}

describe('PDF: the text layer, page by page, with wrapped lines joined', () => {
  test('a 4-page Vietnamese decision: every page numbered, title from the metadata', async () => {
    const doc = await parseDocument(readSample(VI_PDF), { filename: 'qd.pdf' });
    assert.equal(doc.format, 'pdf');
    assert.equal(doc.pageCount, 4);
    assert.deepEqual(
      doc.pages.map((p) => p.page),
      [1, 2, 3, 4],
    );
    assert.equal(doc.title, 'Quyết định phê duyệt kết quả lựa chọn nhà thầu gói thầu số 05');
    const pageOf = (needle: string) => doc.pages.find((p) => p.text.includes(needle))?.page;
    assert.equal(pageOf('Điều 1. Phê duyệt kết quả lựa chọn nhà thầu'), 1);
    assert.equal(pageOf('PHỤ LỤC'), 3);
    assert.equal(pageOf('Nội dung hoàn thiện hợp đồng'), 4);
  });

  test('Vietnamese comes out right: NFC, no stray combining marks, no spaces inside words, paragraphs whole', async () => {
    const doc = await parseDocument(readSample(VI_PDF));
    const all = doc.pages.map((p) => p.text).join('\n\n');
    assert.equal(all, all.normalize('NFC'));
    // Vietnamese composes fully in NFC: any combining mark left would be a broken letter.
    assert.doesNotMatch(all, /\p{M}/u);
    const source = sourceParagraphs(QUYET_DINH);
    const sourceWords = words(source.join(' '));
    const strange = [...words(all)].filter((w) => !sourceWords.has(w));
    assert.deepEqual(strange, [], 'every extracted word is a word of the source (no split or glued syllables)');
    // Line-wrapped paragraphs are joined back: all but a paragraph cut by a page break are found whole.
    const found = locate(doc.pages, source);
    const missing = source.filter((p) => !found.has(p));
    assert.ok(missing.length <= 1, `paragraphs not found whole on a page: ${JSON.stringify(missing)}`);
    assert.ok(
      doc.pages[0].text.includes(
        'Căn cứ Nghị định số 24/2024/NĐ-CP ngày 27 tháng 02 năm 2024 của Chính phủ quy định chi tiết một số điều',
      ),
    );
    // An amount pushed to the next line by its length does not end the paragraph.
    assert.match(all, /hiệu chỉnh sai lệch là 13\.180\.000\.000 đồng, cao hơn/u);
  });

  test('words hyphenated at line ends are rejoined (English report)', async () => {
    const bytes = readSample(EN_PDF);
    // The fixture really has hyphenated line ends (pdf.js's own text keeps them).
    const raw = await extractText(await getDocumentProxy(new Uint8Array(bytes)), { mergePages: true });
    const hyphenated = raw.text.match(/\p{Ll}-\n\p{Ll}/gu) ?? [];
    assert.ok(hyphenated.length >= 3, `hyphenated line ends in the fixture: ${hyphenated.length}`);
    const doc = await parseDocument(bytes);
    assert.equal(doc.title, 'Bid Evaluation Report: Package 03');
    const all = doc.pages.map((p) => p.text).join('\n\n');
    const sourceWords = words(sourceParagraphs(BID_EVALUATION_REPORT).join(' '));
    assert.deepEqual(
      [...words(all)].filter((w) => !sourceWords.has(w)),
      [],
    );
    const found = locate(doc.pages, sourceParagraphs(BID_EVALUATION_REPORT));
    assert.ok(found.size >= sourceParagraphs(BID_EVALUATION_REPORT).length - 1);
  });
});

describe('PDF layout from positioned pieces', () => {
  const piece = (str: string, x: number, y: number, width = str.length * 6, fontSize = 12): TextPiece => ({
    str,
    x,
    y,
    width,
    fontSize,
  });

  test('glyphs placed one by one make words; a wide gap is a space', () => {
    // "Đấu thầu": each glyph its own piece, 6 pt apart; the word gap is 4 pt wider.
    const glyphs = [...'Đấu'].map((c, i) => piece(c, 72 + 6 * i, 700, 6));
    const more = [...'thầu'].map((c, i) => piece(c, 72 + 18 + 4 + 6 * i, 700, 6));
    assert.equal(layoutPage([...glyphs, ...more]), 'Đấu thầu');
  });

  test('a diacritic placed as its own piece, even after a space, rejoins its letter in NFC', () => {
    const text = cleanText(layoutPage([piece('Đa', 72, 700, 12), piece('\u0301', 86, 700, 0), piece('u', 86, 700, 6)]));
    assert.equal(text, 'Đáu'.normalize('NFC'));
  });

  test('lines of one paragraph are joined; a hyphenated word is rejoined; codes keep their hyphen', () => {
    assert.equal(joinLines(['the procure-', 'ment plan']), 'the procurement plan');
    assert.equal(joinLines(['Quyết định số 1870/QĐ-', 'UBND ngày 05']), 'Quyết định số 1870/QĐ-UBND ngày 05');
    assert.equal(joinLines(['nhà thầu', 'trúng thầu']), 'nhà thầu trúng thầu');
  });

  test('paragraphs break on extra spacing, a short last line, a new numbered point or a size change', () => {
    const lines = [
      piece('Điều 1. Phê duyệt kết quả lựa chọn nhà thầu với các nội dung', 72, 700, 450),
      piece('sau đây.', 72, 686, 50),
      piece('1. Tên nhà thầu trúng thầu: Công ty Hồng Phát, địa chỉ số 45', 72, 672, 450),
      piece('đường Nguyễn Trãi.', 72, 658, 120),
      piece('PHỤ LỤC', 250, 620, 80, 16),
    ];
    assert.equal(
      layoutPage(lines),
      'Điều 1. Phê duyệt kết quả lựa chọn nhà thầu với các nội dung sau đây.\n\n' +
        '1. Tên nhà thầu trúng thầu: Công ty Hồng Phát, địa chỉ số 45 đường Nguyễn Trãi.\n\nPHỤ LỤC',
    );
  });
});
