import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';
import { makeClutteredHtml, makeEncryptedPdf, makeManyPagesPdf } from '@rag/testing/documents';
import { ExtractError, ExtractorPool } from '../src/index.ts';
import { liveChildren } from './support/process-watch.ts';
import { readSample } from './support/samples.ts';

const TITLE = 'Thông báo mời thầu gói thầu số 7';
const html = () =>
  new TextEncoder().encode(
    makeClutteredHtml(TITLE, [
      'Bên mời thầu thông báo mời thầu gói thầu số 7 về cung cấp thiết bị y tế cho bệnh viện đa khoa tỉnh.',
      'Thời điểm đóng thầu là 9 giờ 00 ngày 15 tháng 4 năm 2025; nhà thầu nộp hồ sơ qua mạng.',
    ]),
  );
/** The nice value of every thread of a process, from /proc. */
const threadNices = (pid: number) =>
  fs.readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
const codeOf = (e: unknown) => (e instanceof ExtractError ? e.code : String(e));

describe('ExtractorPool keeps warm child processes and replaces the ones that fail', () => {
  test('a child serves several documents, then is replaced; a typed failure keeps it', async () => {
    const pool = new ExtractorPool({ processes: 1, documentsPerProcess: 3 });
    try {
      await pool.extract(html(), { filename: 'a.html' });
      const [first] = liveChildren();
      assert.ok(first);
      // Every thread of the child (V8's workers included, not only the main one) parses at nice 10 or lower priority.
      const nices = threadNices(first);
      assert.ok(nices.length > 1, `threads: ${nices.length}`);
      assert.ok(
        nices.every((n) => n === nices[0] && n >= 10),
        `thread nice values: ${nices.join(',')}`,
      );
      await assert.rejects(pool.extract(makeEncryptedPdf()), (e) => codeOf(e) === 'encrypted');
      assert.deepEqual(liveChildren(), [first], 'an encrypted PDF is an answer, not a broken child');
      await pool.extract(html(), { filename: 'c.html' });
      await pool.extract(html(), { filename: 'd.html' });
      const after = liveChildren();
      assert.equal(after.length, 1);
      assert.notEqual(after[0], first, 'replaced after 3 documents');
    } finally {
      await pool.close();
    }
    assert.deepEqual(liveChildren(), []);
  });

  test('a document past its time limit kills its child; the next document gets a new one', async () => {
    const pool = new ExtractorPool({ processes: 1 });
    try {
      const big = await makeManyPagesPdf(100);
      await assert.rejects(pool.extract(big, { timeoutMs: 30 }), (e) => codeOf(e) === 'timeout');
      assert.deepEqual(liveChildren(), []);
      assert.equal(pool.children, 0);
      const doc = await pool.extract(html(), { filename: 'tb.html' });
      assert.equal(doc.format, 'html');
      assert.deepEqual(pool.stats, { spawned: 2, recycledAfterDocuments: 0, recycledForMemory: 0, lost: 1 });
    } finally {
      await pool.close();
    }
  });

  test('a child left holding more than recycleRssBytes after a document is replaced before the next', async () => {
    // Every child holds more than 1 MiB, so each document gets a fresh one; a generous bound keeps the child.
    const lean = new ExtractorPool({ processes: 1, recycleRssBytes: 1024 * 1024 });
    const roomy = new ExtractorPool({ processes: 1 });
    try {
      for (let i = 0; i < 3; i++) assert.equal((await lean.extract(html(), { filename: `${i}.html` })).title, TITLE);
      assert.deepEqual(lean.stats, { spawned: 3, recycledAfterDocuments: 0, recycledForMemory: 3, lost: 0 });
      for (let i = 0; i < 3; i++) await roomy.extract(html(), { filename: `${i}.html` });
      assert.deepEqual(roomy.stats, { spawned: 1, recycledAfterDocuments: 0, recycledForMemory: 0, lost: 0 });
      assert.equal(roomy.children, 1);
    } finally {
      await Promise.all([lean.close(), roomy.close()]);
    }
    assert.deepEqual(liveChildren(), []);
  });

  test('callers beyond the pool size wait their turn: never more children than processes', async () => {
    const pool = new ExtractorPool({ processes: 2 });
    let most = 0;
    const sampler = setInterval(() => {
      most = Math.max(most, liveChildren().length);
    }, 5);
    try {
      const docs = await Promise.all(
        Array.from({ length: 6 }, (_, i) => pool.extract(html(), { filename: `${i}.html` })),
      );
      assert.equal(docs.length, 6);
      assert.ok(docs.every((d) => d.title === TITLE));
      assert.ok(most >= 1 && most <= 2, `children at once: ${most}`);
    } finally {
      clearInterval(sampler);
      await pool.close();
    }
  });

  test('close() is idempotent, fails waiting callers and later calls, and leaves no process', async () => {
    const pool = new ExtractorPool({ processes: 1 });
    const settle = (p: Promise<unknown>) =>
      p.then(
        () => 'completed',
        (e: Error) => e.message,
      );
    const running = settle(pool.extract(await makeManyPagesPdf(50)));
    const waiting = settle(pool.extract(html(), { filename: 'w.html' }));
    await new Promise((r) => setTimeout(r, 50));
    await Promise.all([pool.close(), pool.close()]);
    assert.equal(await waiting, 'ExtractorPool closed');
    assert.match(await running, /completed|closed/u);
    await assert.rejects(pool.extract(html()), /closed/u);
    assert.deepEqual(liveChildren(), []);
  });

  test('Markdown and text are decoded in the calling process: no child is started for them', async () => {
    const pool = new ExtractorPool();
    try {
      const doc = await pool.extract(readSample('vi/mo-thau.md'), { filename: 'mo-thau.md' });
      assert.equal(doc.title, 'Mở thầu');
      assert.equal(doc.stats.peakRssBytes, 0);
      assert.deepEqual(liveChildren(), []);
    } finally {
      await pool.close();
    }
  });

  test('an idle pool never keeps the calling process alive', async () => {
    // A process that extracts once and forgets close(): it must still exit by itself.
    const script = `
      import { ExtractorPool } from '${new URL('../src/index.ts', import.meta.url).pathname}';
      const pool = new ExtractorPool();
      const doc = await pool.extract(new TextEncoder().encode('<html><body><h1>Tiêu đề</h1><p>Nội dung.</p></body></html>'));
      console.log(doc.title);
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      timeout: 60_000,
    });
    assert.equal(stdout.trim(), 'Tiêu đề');
  });
});
