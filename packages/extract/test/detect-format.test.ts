import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { deflatedEntry, makeEncryptedPdf, makeExecutable, makeMinimalDocx, makeZip } from '@rag/testing/documents';
import { detectFormat, ExtractError } from '../src/index.ts';
import { readSample } from './support/samples.ts';

const utf8 = (s: string) => new TextEncoder().encode(s);
const rejectsWith = (p: Promise<unknown>, code: string, message?: RegExp) =>
  assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof ExtractError, `an ExtractError, got ${err}`);
    assert.equal(err.code, code);
    if (message) assert.match(err.message, message);
    return true;
  });

describe('detectFormat judges by content, not by the file name', () => {
  test('PDF, DOCX, HTML, Markdown and text', async () => {
    assert.equal(await detectFormat(readSample('vi/quyet-dinh-phe-duyet-ket-qua-lua-chon-nha-thau.pdf')), 'pdf');
    assert.equal(await detectFormat(makeEncryptedPdf(), 'prices.bin'), 'pdf');
    assert.equal(await detectFormat(readSample('vi/ho-so-moi-thau-chuong-iii-tieu-chuan-danh-gia.docx')), 'docx');
    assert.equal(await detectFormat(makeMinimalDocx(['a']), 'renamed.pdf'), 'docx');
    assert.equal(await detectFormat(utf8('<!DOCTYPE html><html><body><p>x</p></body></html>')), 'html');
    assert.equal(await detectFormat(utf8('<!-- c --><html lang="vi"><p>x</p></html>'), 'page.txt'), 'html');
    assert.equal(await detectFormat(readSample('vi/mo-thau.md'), 'mo-thau.md'), 'markdown');
    assert.equal(await detectFormat(utf8('# Tiêu đề\n\nNội dung.'), 'no-extension'), 'markdown');
    assert.equal(await detectFormat(readSample('en/procurement-glossary.txt'), 'procurement-glossary.txt'), 'text');
    assert.equal(await detectFormat(utf8('Bảo đảm dự thầu là gì?'), 'x.pdf'), 'text');
  });

  test('UTF-8 with a BOM and UTF-16 with a BOM are text; other encodings are refused, not guessed', async () => {
    assert.equal(await detectFormat(new Uint8Array([0xef, 0xbb, 0xbf, ...utf8('Đấu thầu')])), 'text');
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('Đấu thầu qua mạng', 'utf16le')]);
    assert.equal(await detectFormat(new Uint8Array(utf16)), 'text');
    // "Đấu thầu" in Windows-1258-like single bytes: not valid UTF-8.
    await rejectsWith(
      detectFormat(new Uint8Array([0xd0, 0xe2, 0xd2, 0x75, 0x20, 0x74, 0x68, 0xe2, 0xd2, 0x75])),
      'unsupported_type',
      /UTF-8/,
    );
  });

  test('an executable renamed .pdf, an image, a spreadsheet are unsupported_type', async () => {
    await rejectsWith(detectFormat(makeExecutable(), 'report.pdf'), 'unsupported_type', /executable/);
    const png = new Uint8Array(
      Buffer.from(
        'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
        'base64',
      ),
    );
    await rejectsWith(detectFormat(png, 'scan.pdf'), 'unsupported_type', /image/);
    const xlsx = makeZip([
      deflatedEntry('xl/workbook.xml', '<workbook/>'),
      deflatedEntry('[Content_Types].xml', '<Types/>'),
    ]);
    await rejectsWith(detectFormat(xlsx, 'bang-gia.docx'), 'unsupported_type', /Excel/);
    await rejectsWith(detectFormat(new Uint8Array([1, 2, 3, 0, 0, 0, 7, 8, 9])), 'unsupported_type');
  });

  test('an empty or whitespace-only file is empty; a ZIP cut short is corrupt', async () => {
    await rejectsWith(detectFormat(new Uint8Array(), 'a.pdf'), 'empty');
    await rejectsWith(detectFormat(utf8(' \n\t\n ')), 'empty');
    const docx = makeMinimalDocx(['Xin chào']);
    await rejectsWith(detectFormat(docx.subarray(0, docx.length - 30)), 'corrupt');
  });
});
