import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  makeEncryptedPdf,
  makeExecutable,
  makeManyPagesPdf,
  makeTextlessPdf,
  makeZipBombDocx,
} from '@rag/testing/documents';
import { ExtractError, extractDocument, type ExtractErrorCode } from '../src/index.ts';
import { readSample } from './support/samples.ts';
import { liveChildren, withPeakRss } from './support/process-watch.ts';

const MiB = 1024 * 1024;

async function failsWith(
  bytes: Uint8Array,
  expected: ExtractErrorCode,
  opts: Parameters<typeof extractDocument>[1] = {},
) {
  const t0 = performance.now();
  const err = await extractDocument(bytes, { timeoutMs: 60_000, ...opts }).then(
    () => assert.fail(`expected ${expected}`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ExtractError, `an ExtractError, got ${err}`);
  assert.equal(err.code, expected, err.message);
  assert.ok(err.message.length > 10 && !/undefined|\[object/u.test(err.message), err.message);
  return { err, ms: performance.now() - t0 };
}

describe('extractDocument parses each document in a child process with time and memory bounds', () => {
  let bigPdf: Uint8Array;
  let bomb: Uint8Array;
  before(async () => {
    bigPdf = await makeManyPagesPdf(200);
    bomb = makeZipBombDocx({ inflatedBytes: 2 * 1024 * MiB, declare: 'lying' });
  });
  after(async () => {
    await sleep(100);
    assert.deepEqual(liveChildren(), [], 'no parser process is left behind');
  });

  test('a 200-page PDF: every page numbered; the caller stays small (figures printed)', async (t) => {
    const { value: doc, baseMiB, peakMiB } = await withPeakRss(() => extractDocument(bigPdf, { filename: 'big.pdf' }));
    assert.equal(doc.format, 'pdf');
    assert.equal(doc.pageCount, 200);
    assert.deepEqual(
      doc.pages.map((p) => p.page),
      Array.from({ length: 200 }, (_, i) => i + 1),
    );
    assert.match(doc.pages[136].text, /^# ?Section 137: tender lot 137|Section 137: tender lot 137/u);
    assert.ok(doc.pages[136].text.includes('Paragraph 4 of page 137.'));
    // Generous: the caller holds the 0.3 MB file and the text; the parsing happened elsewhere.
    assert.ok(peakMiB - baseMiB < 150, `caller RSS grew ${(peakMiB - baseMiB).toFixed(0)} MiB`);
    t.diagnostic(
      `200-page PDF: ${doc.stats.ms} ms (${((200 * 1000) / doc.stats.ms).toFixed(0)} pages/s incl. process start); ` +
        `parser peak RSS ${(doc.stats.peakRssBytes / MiB).toFixed(0)} MiB; caller RSS ${baseMiB.toFixed(0)} -> ${peakMiB.toFixed(0)} MiB`,
    );
  });

  test('a 2 GiB DOCX zip bomb (directory lying about its size) ends too_large; the caller stays small', async (t) => {
    const { value, baseMiB, peakMiB } = await withPeakRss(() => failsWith(bomb, 'too_large'));
    assert.match(value.err.message, /ZIP bomb/u);
    assert.ok(peakMiB - baseMiB < 150, `caller RSS grew ${(peakMiB - baseMiB).toFixed(0)} MiB`);
    t.diagnostic(
      `zip bomb (${(bomb.length / MiB).toFixed(1)} MiB -> 2048 MiB): too_large in ${value.ms.toFixed(0)} ms; ` +
        `caller RSS ${baseMiB.toFixed(0)} -> ${peakMiB.toFixed(0)} MiB`,
    );
  });

  test('hostile and unreadable files end in the right typed error', async () => {
    await failsWith(makeEncryptedPdf(), 'encrypted');
    await failsWith(bigPdf.subarray(0, Math.floor(bigPdf.length / 2)), 'corrupt');
    await failsWith(await makeTextlessPdf(), 'no_text');
    await failsWith(makeExecutable(), 'unsupported_type', { filename: 'hop-dong.pdf' });
    await failsWith(new Uint8Array(), 'empty', { filename: 'empty.pdf' });
  });

  test('past the time limit: timeout, and the parser process is killed', async () => {
    const { ms } = await failsWith(bigPdf, 'timeout', { timeoutMs: 50 });
    assert.ok(ms < 10_000, `gave up after ${ms.toFixed(0)} ms`);
    await sleep(100);
    assert.deepEqual(liveChildren(), []);
  });

  test('past the memory limit: too_large, whether the heap or the watchdog notices first', async () => {
    await failsWith(bigPdf, 'too_large', { maxMemoryBytes: 64 * MiB });
  });

  test('an aborted extraction rejects with the reason and kills its process', async () => {
    const controller = new AbortController();
    const pending = extractDocument(bigPdf, { signal: controller.signal });
    controller.abort(new Error('job cancelled'));
    await assert.rejects(pending, /job cancelled/u);
    await sleep(100);
    assert.deepEqual(liveChildren(), []);
  });

  test('several documents at once stay independent', async () => {
    const [vi, en, bad] = await Promise.allSettled([
      extractDocument(readSample('vi/quyet-dinh-phe-duyet-ket-qua-lua-chon-nha-thau.pdf')),
      extractDocument(readSample('vi/ho-so-moi-thau-chuong-iii-tieu-chuan-danh-gia.docx')),
      extractDocument(bomb),
    ]);
    assert.equal(vi.status === 'fulfilled' && vi.value.pageCount, 4);
    assert.equal(en.status === 'fulfilled' && en.value.format, 'docx');
    assert.equal(bad.status === 'rejected' && (bad.reason as ExtractError).code, 'too_large');
  });
});
