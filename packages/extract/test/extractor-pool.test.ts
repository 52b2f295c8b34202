import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { makeEncryptedPdf, makeManyPagesPdf } from '@rag/testing/documents';
import { ExtractError, ExtractorPool } from '../src/index.ts';
import { liveChildren } from './support/process-watch.ts';
import { readSample } from './support/samples.ts';

const md = () => readSample('vi/mo-thau.md');
const codeOf = (e: unknown) => (e instanceof ExtractError ? e.code : String(e));

describe('ExtractorPool keeps warm child processes and replaces the ones that fail', () => {
  test('a child serves several documents, then is replaced; a typed failure keeps it', async () => {
    const pool = new ExtractorPool({ processes: 1, documentsPerProcess: 3 });
    try {
      await pool.extract(md(), { filename: 'a.md' });
      const [first] = liveChildren();
      assert.ok(first);
      await assert.rejects(pool.extract(makeEncryptedPdf()), (e) => codeOf(e) === 'encrypted');
      assert.deepEqual(liveChildren(), [first], 'an encrypted PDF is an answer, not a broken child');
      await pool.extract(md(), { filename: 'c.md' });
      await pool.extract(md(), { filename: 'd.md' });
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
      const doc = await pool.extract(md(), { filename: 'mo-thau.md' });
      assert.equal(doc.format, 'markdown');
    } finally {
      await pool.close();
    }
  });

  test('callers beyond the pool size wait their turn: never more children than processes', async () => {
    const pool = new ExtractorPool({ processes: 2 });
    let most = 0;
    const sampler = setInterval(() => {
      most = Math.max(most, liveChildren().length);
    }, 5);
    try {
      const docs = await Promise.all(Array.from({ length: 6 }, (_, i) => pool.extract(md(), { filename: `${i}.md` })));
      assert.equal(docs.length, 6);
      assert.ok(docs.every((d) => d.title === 'Mở thầu'));
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
    const waiting = settle(pool.extract(md(), { filename: 'w.md' }));
    await new Promise((r) => setTimeout(r, 50));
    await Promise.all([pool.close(), pool.close()]);
    assert.equal(await waiting, 'ExtractorPool closed');
    assert.match(await running, /completed|closed/u);
    await assert.rejects(pool.extract(md()), /closed/u);
    assert.deepEqual(liveChildren(), []);
  });

  test('an idle pool never keeps the calling process alive', async () => {
    // A process that extracts once and forgets close(): it must still exit by itself.
    const script = `
      import { ExtractorPool } from '${new URL('../src/index.ts', import.meta.url).pathname}';
      const pool = new ExtractorPool();
      const doc = await pool.extract(new TextEncoder().encode('# Tiêu đề\\n\\nNội dung.'), { filename: 'x.md' });
      console.log(doc.title);
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      timeout: 60_000,
    });
    assert.equal(stdout.trim(), 'Tiêu đề');
  });
});
