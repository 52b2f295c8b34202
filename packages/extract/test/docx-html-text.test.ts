import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HSMT_SECTIONS, HSMT_TITLE, makeClutteredHtml, makeMinimalDocx, makeZipBombDocx } from '@rag/testing/documents';
import { ExtractError } from '../src/index.ts';
import { parseDocument } from '../src/parse-document.ts';
import { oneLine, readSample } from './support/samples.ts';

const utf8 = (s: string) => new TextEncoder().encode(s);
const code = (err: unknown) => (err instanceof ExtractError ? err.code : String(err));

describe('DOCX', () => {
  test('headings become Markdown headings, paragraphs stay whole, table rows one line each', async () => {
    const doc = await parseDocument(readSample('vi/ho-so-moi-thau-chuong-iii-tieu-chuan-danh-gia.docx'));
    assert.equal(doc.format, 'docx');
    assert.equal(doc.title, HSMT_TITLE);
    assert.equal(doc.pages.length, 1);
    assert.equal(doc.pages[0].page, undefined);
    const text = doc.pages[0].text;
    assert.equal(text, text.normalize('NFC'));
    for (const s of HSMT_SECTIONS) {
      assert.match(text, new RegExp(`^# ${s.heading.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&')}$`, 'mu'));
      for (const p of s.paragraphs) assert.ok(oneLine(text).includes(oneLine(p)), `paragraph kept whole: ${p}`);
    }
    assert.match(text, /^Hợp đồng tương tự \| 01 hợp đồng, giá trị từ 8\.700\.000\.000 đồng$/mu);
    assert.match(text, /Tiêu chí \| Yêu cầu\nHợp đồng tương tự/u);
  });

  test('a zip bomb is refused before inflating, whether its directory tells the truth or lies', async () => {
    for (const declare of ['honest', 'lying'] as const) {
      const bomb = makeZipBombDocx({ inflatedBytes: 1024 * 1024 * 1024, declare });
      const before = process.memoryUsage().rss;
      await assert.rejects(parseDocument(bomb, { maxDecompressedBytes: 32 * 1024 * 1024 }), (err) => {
        assert.equal(code(err), 'too_large');
        assert.match((err as Error).message, /32 MiB/);
        return true;
      });
      // Inflating stopped at the 32 MiB cap: nowhere near the 1 GiB the bomb holds.
      const grew = (process.memoryUsage().rss - before) / 1024 / 1024;
      assert.ok(grew < 256, `${declare} bomb: RSS grew ${grew.toFixed(0)} MiB`);
    }
  });

  test('a DOCX with no text is no_text; a damaged one is corrupt', async () => {
    await assert.rejects(parseDocument(makeMinimalDocx(['', '  '])), (e) => code(e) === 'no_text');
    const docx = makeMinimalDocx(['Xin chào các nhà thầu']);
    const broken = new Uint8Array(docx);
    // Garble the deflated document.xml but keep the ZIP directory intact.
    const at = Buffer.from(broken).indexOf('word/document.xml') + 'word/document.xml'.length;
    broken.fill(0xff, at, at + 40);
    await assert.rejects(parseDocument(broken), (e) => code(e) === 'corrupt');
  });
});

describe('HTML', () => {
  test('the main content only: no navigation, footer, scripts or styles; title from <h1>', async () => {
    const paragraphs = [
      'Bên mời thầu thông báo mời thầu gói thầu số 7 về cung cấp thiết bị y tế cho bệnh viện đa khoa tỉnh, bảo đảm dự thầu 150.000.000 đồng.',
      'Thời điểm đóng thầu là 9 giờ 00 ngày 15 tháng 4 năm 2025; nhà thầu nộp hồ sơ dự thầu qua Hệ thống mạng đấu thầu quốc gia.',
      'Hồ sơ mời thầu được phát hành miễn phí trên Hệ thống; nhà thầu cần đăng ký tài khoản trước khi nộp hồ sơ dự thầu.',
    ];
    const html = makeClutteredHtml('Thông báo mời thầu gói thầu số 7', paragraphs);
    const doc = await parseDocument(utf8(html), { filename: 'tb.html' });
    assert.equal(doc.format, 'html');
    assert.equal(doc.title, 'Thông báo mời thầu gói thầu số 7');
    const text = doc.pages[0].text;
    for (const p of paragraphs) assert.ok(text.includes(p), `kept: ${p}`);
    for (const junk of ['SCRIPT_MARKER', 'FOOTER_MARKER', 'secret-style-marker', 'Đăng nhập', 'Tin khác', 'cookie']) {
      assert.ok(!text.includes(junk), `removed: ${junk}`);
    }
  });

  test('a short page readability will not score still yields its body without the furniture', async () => {
    const html =
      '<html><head><title>Liên hệ</title><script>var SCRIPT_MARKER=1</script></head><body><nav>Trang chủ</nav>' +
      '<p>Điện thoại: 024 3825 0000</p><footer>FOOTER_MARKER</footer></body></html>';
    const doc = await parseDocument(utf8(html));
    assert.equal(doc.pages[0].text, 'Điện thoại: 024 3825 0000');
    assert.equal(doc.title, 'Liên hệ');
  });
});

describe('Markdown and text', () => {
  test('Markdown keeps its layout; the title is its first heading; NFD input comes out NFC', async () => {
    const md = '# Bảo đảm dự thầu\n\n- Giá trị: 1% đến 3%\n- Hiệu lực: 30 ngày\n\n    mã nguồn thụt lề\n';
    const doc = await parseDocument(utf8(md.normalize('NFD')), { filename: 'bao-dam.md' });
    assert.equal(doc.format, 'markdown');
    assert.equal(doc.title, 'Bảo đảm dự thầu');
    assert.equal(doc.pages[0].text, md.trim());
  });

  test('plain text: no title of its own, CRLF and BOM handled', async () => {
    const doc = await parseDocument(utf8('\uFEFFThời hạn trong đấu thầu\r\nDòng hai\r\n'), { filename: 'a.txt' });
    assert.equal(doc.format, 'text');
    assert.equal(doc.title, undefined);
    assert.equal(doc.pages[0].text, 'Thời hạn trong đấu thầu\nDòng hai');
  });
});
