import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { AskView } from '@rag/contract';
import { api, ROOT, uploadDocument, waitForDocument, type Proc } from '@rag/testing';
import {
  makeEncryptedPdf,
  makeExecutable,
  makeManyPagesPdf,
  makeTextlessPdf,
  makeZipBombDocx,
} from '@rag/testing/documents';
import { startWorkerProcesses, type WorkerProcessStack } from '../support/worker-processes.ts';

const MiB = 1024 * 1024;

/** Current and peak (high-water mark) resident memory of a process, from /proc, in MiB. */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'mu').exec(status)?.[1] ?? 0);
  return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
}

/**
 * Hostile uploads against a real worker process: each ends `failed` with a clear error (or is refused at upload
 * with 415), within the per-document time limit, while a good document and asks submitted meanwhile are served
 * as usual and the worker's own memory stays flat (parsing happens in child processes it starts and kills).
 */
describe('fault: hostile documents uploaded over HTTP', () => {
  let stack: WorkerProcessStack;
  let worker: Proc;

  before(async () => {
    stack = await startWorkerProcesses({
      name: 'hostile-docs',
      env: { INGEST_CONCURRENCY: '2', INGEST_TIMEOUT_MS: '60000' },
    });
    worker = await stack.startWorker('worker');
  });
  after(async () => {
    await stack?.close();
  });

  test('each hostile file fails with its reason; a good document, asks and the worker are undisturbed', async () => {
    const big = await makeManyPagesPdf(200);
    const hostile: { fileName: string; content: Uint8Array; code: string }[] = [
      { fileName: 'hop-dong.pdf', content: makeExecutable(), code: 'unsupported_type' },
      { fileName: 'bang-gia.pdf', content: makeEncryptedPdf(), code: 'encrypted' },
      { fileName: 'quyet-dinh.pdf', content: big.subarray(0, Math.floor(big.length / 2)), code: 'corrupt' },
      { fileName: 'ban-ve.pdf', content: await makeTextlessPdf(), code: 'no_text' },
      {
        fileName: 'ho-so.docx',
        content: makeZipBombDocx({ inflatedBytes: 2048 * MiB, declare: 'lying' }),
        code: 'too_large',
      },
      { fileName: 'empty.txt', content: new Uint8Array(), code: 'empty' },
    ];
    const before = memoryOf(worker.pid);
    const t0 = Date.now();

    // The good documents go first, the hostile ones right behind them, asks while all of it is being processed.
    const good = await uploadDocument(stack.gateway.url, {
      fileName: 'quyet-dinh-phe-duyet.pdf',
      content: fs.readFileSync(path.join(ROOT, 'data/sample/vi/quyet-dinh-phe-duyet-ket-qua-lua-chon-nha-thau.pdf')),
    });
    assert.equal(good.status, 202, good.text);
    const large = await uploadDocument(stack.gateway.url, { fileName: 'lots-200-pages.pdf', content: big });
    assert.equal(large.status, 202, large.text);
    const uploads = await Promise.all(hostile.map((h) => uploadDocument(stack.gateway.url, h)));
    const asks = await Promise.all(
      ['giá trúng thầu gói thầu số 05', 'thời gian thực hiện hợp đồng', 'bảo đảm thực hiện hợp đồng'].map((q) =>
        api<AskView>(stack.gateway.url, '/v1/ask', { method: 'POST', json: { question: q } }),
      ),
    );

    const outcomes: string[] = [];
    for (const [i, h] of hostile.entries()) {
      const up = uploads[i];
      if (up.status === 415) {
        // Refused at upload: only a type that cannot be read, with the contract's error shape.
        assert.ok(['unsupported_type', 'empty'].includes(h.code), `${h.fileName}: 415 ${up.text}`);
        assert.ok(up.json.error?.message, up.text);
        outcomes.push(`${h.fileName}: 415`);
        continue;
      }
      assert.equal(up.status, 202, `${h.fileName}: ${up.text}`);
      const doc = await waitForDocument(stack.gateway.url, up.json.id, { timeoutMs: 240_000 });
      assert.equal(doc.status, 'failed', `${h.fileName}: ${JSON.stringify(doc)}`);
      assert.equal(doc.error?.code, h.code, `${h.fileName}: ${JSON.stringify(doc.error)}`);
      assert.ok(
        doc.error.message.length > 10 && !/undefined|\[object|stack/u.test(doc.error.message),
        doc.error.message,
      );
      outcomes.push(`${h.fileName}: failed ${doc.error.code}`);
    }

    const goodDoc = await waitForDocument(stack.gateway.url, good.json.id, { timeoutMs: 120_000 });
    assert.equal(goodDoc.status, 'ready', JSON.stringify(goodDoc));
    assert.equal(goodDoc.pages, 4);
    const largeDoc = await waitForDocument(stack.gateway.url, large.json.id, { timeoutMs: 120_000 });
    assert.equal(largeDoc.status, 'ready', JSON.stringify(largeDoc));
    assert.equal(largeDoc.pages, 200);
    const seconds = (Date.now() - t0) / 1000;

    for (const a of asks) {
      assert.equal(a.status, 202, a.text);
      const r = await api<AskView>(stack.gateway.url, `/v1/ask/${a.json.id}?wait=30`);
      assert.equal(r.json.status, 'completed', r.text);
    }
    // Asked after ingestion: the PDF is cited with its page.
    const cited = await api<AskView>(stack.gateway.url, '/v1/ask', {
      method: 'POST',
      headers: { prefer: 'wait=30' },
      json: { question: 'Giá trúng thầu gói thầu số 05 là bao nhiêu?' },
    });
    assert.equal(cited.json.status, 'completed', cited.text);
    const citation = cited.json.result!.citations.find((c: { documentId: string }) =>
      c.documentId.startsWith('quyet-dinh-phe-duyet'),
    );
    assert.ok(citation, JSON.stringify(cited.json.result!.citations));
    assert.ok(Number.isInteger(citation.page) && citation.page! >= 1 && citation.page! <= 4, JSON.stringify(citation));

    // The worker survived all of it in the same process, and its memory did not follow the 2 GiB bombs.
    assert.equal(worker.child.exitCode, null, 'the worker process is still running');
    const afterAll = memoryOf(worker.pid);
    assert.ok(afterAll.peak < 768, `worker peak RSS ${afterAll.peak.toFixed(0)} MiB`);
    assert.ok(
      afterAll.peak - before.peak < 400,
      `worker peak RSS grew ${(afterAll.peak - before.peak).toFixed(0)} MiB`,
    );
    console.log(
      `# hostile-documents tally: ${outcomes.join('; ')}; good 4-page PDF ready (cited with page ${citation.page}), 200-page PDF ready ` +
        `(${largeDoc.chunks} chunks); ${asks.length} asks meanwhile completed; all settled in ${seconds.toFixed(1)} s; ` +
        `worker RSS ${before.rss.toFixed(0)} -> ${afterAll.rss.toFixed(0)} MiB, peak ${before.peak.toFixed(0)} -> ${afterAll.peak.toFixed(0)} MiB ` +
        `(zip bombs inflate to 2048 MiB each)`,
    );
  });
});
