import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chunkPages, chunkText } from '../src/index.ts';

const opts = { chunkSize: 200, chunkOverlap: 40 };
const paragraph = (n: number, page: number) =>
  `Đoạn ${n} của trang ${page}: nhà thầu nộp bảo đảm dự thầu trước thời điểm đóng thầu theo yêu cầu của hồ sơ mời thầu.`;

describe('chunkPages', () => {
  test('a chunk never spans pages and carries its page number', async () => {
    const pages = [1, 2, 3].map((page) => ({ page, text: [1, 2, 3, 4].map((n) => paragraph(n, page)).join('\n\n') }));
    const chunks = await chunkPages(pages, opts);
    assert.ok(chunks.length >= 6);
    for (const c of chunks) {
      assert.ok(c.page !== undefined);
      // Every paragraph a chunk holds names the chunk's own page.
      for (const m of c.text.matchAll(/trang (\d+)/gu)) assert.equal(Number(m[1]), c.page, c.text);
    }
    assert.deepEqual([...new Set(chunks.map((c) => c.page))], [1, 2, 3]);
    // In page order, and each page chunked as chunkText would.
    const perPage = await Promise.all(pages.map((p) => chunkText(p.text, opts)));
    assert.deepEqual(
      chunks.map((c) => c.text),
      perPage.flat(),
    );
  });

  test('a document without pages (Markdown, text) is chunked exactly as chunkText does, without a page', async () => {
    const text = `# Tiêu đề\n\n${[1, 2, 3, 4, 5].map((n) => paragraph(n, 0)).join('\n\n')}`;
    const chunks = await chunkPages([{ text }], opts);
    assert.deepEqual(
      chunks.map((c) => c.text),
      await chunkText(text, opts),
    );
    assert.ok(chunks.every((c) => !('page' in c)));
  });
});
