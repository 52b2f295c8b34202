import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import pg from 'pg';
import type { z } from 'zod';
import type { AskView, documentDeletedSchema, documentListSchema } from '@rag/contract';
import { api, uploadDocument, waitForDocument, watchSwap } from '@rag/testing';
import { makeClutteredHtml, makeManyPagesPdf, makeMinimalDocx } from '@rag/testing/documents';
import { startTestStack, type TestStack } from '../support/test-stack.ts';
import type { errorSchema } from '../../apps/gateway/src/openapi/schemas.ts';

type ErrorBody = z.infer<typeof errorSchema>;
type DocumentList = z.infer<typeof documentListSchema>;

const doc = (topic: string, body: string) => `# ${topic}\n\n${body}\n`;
const ask = (stack: TestStack, question: string, extra: Record<string, unknown> = {}) =>
  api<AskView>(stack.url, '/v1/ask', { method: 'POST', headers: { prefer: 'wait=20' }, json: { question, ...extra } });

describe('documents over HTTP: upload, ingest through the queue, ask, replace, list, delete', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startTestStack({ workers: 1, env: { MAX_UPLOAD_BYTES: String(256 * 1024) } });
  });
  after(async () => {
    await stack.close();
    // Closing the worker closed its extraction children too (and closing again is harmless).
    const extractors = stack.workers[0].extractors!;
    assert.equal(extractors.children, 0);
    await extractors.close();
    await assert.rejects(extractors.extract(new Uint8Array([0x25, 0x50, 0x44, 0x46])), /closed/u);
  });

  test('upload -> 202 with Location -> ready with its chunks -> an ask in its collection cites it', async () => {
    const up = await uploadDocument(stack.url, {
      fileName: 'quy-trinh-kho.md',
      collection: 'kho',
      content: doc(
        'Quy trình nhập kho vật tư',
        'Vật tư nhập kho phải được kiểm đếm bởi thủ kho và lập biên bản giao nhận trong vòng hai ngày làm việc.',
      ),
    });
    assert.equal(up.status, 202, up.text);
    assert.match(up.json.id, /^doc_[0-9a-f]{24}$/);
    assert.deepEqual(
      { documentId: up.json.documentId, collection: up.json.collection, status: up.json.status },
      { documentId: 'quy-trinh-kho.md', collection: 'kho', status: 'queued' },
    );
    assert.equal(up.headers.get('location'), `/v1/documents/${up.json.id}`);
    assert.equal(up.json.statusUrl, `/v1/documents/${up.json.id}`);
    const ready = await waitForDocument(stack.url, up.json.id);
    assert.equal(ready.status, 'ready', JSON.stringify(ready));
    assert.equal(ready.title, 'Quy trình nhập kho vật tư');
    assert.ok((ready.chunks ?? 0) >= 1);
    assert.ok(Date.parse(ready.updatedAt) >= Date.parse(ready.createdAt));

    const res = await ask(stack, 'thủ kho kiểm đếm vật tư nhập kho', { collection: 'kho' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.result!.citations[0].documentId, 'quy-trinh-kho.md');
    // The default collection does not hold it.
    const other = await ask(stack, 'thủ kho kiểm đếm vật tư nhập kho');
    assert.equal(other.status, 200, other.text);
    assert.ok(other.json.result!.citations.every((c: { documentId: string }) => c.documentId !== 'quy-trinh-kho.md'));
  });

  test('PDF, DOCX and HTML are ingested by content; PDF chunks carry their page into citations', async () => {
    const pdf = await uploadDocument(stack.url, {
      fileName: 'lots.pdf',
      collection: 'formats',
      content: await makeManyPagesPdf(3),
    });
    assert.equal(pdf.status, 202, pdf.text);
    const docx = await uploadDocument(stack.url, {
      // The name says text; the content is DOCX, and the content decides.
      fileName: 'bien-ban.txt',
      collection: 'formats',
      content: makeMinimalDocx(['Biên bản mở thầu gói thầu số 9', 'Tổ chuyên gia đã mở hồ sơ dự thầu lúc chín giờ.']),
    });
    assert.equal(docx.status, 202, docx.text);
    const html = await uploadDocument(stack.url, {
      fileName: 'thong-bao.html',
      collection: 'formats',
      content: makeClutteredHtml('Thông báo mời thầu', ['Hạn nộp hồ sơ là ngày hai mươi tháng mười hai.']),
    });
    assert.equal(html.status, 202, html.text);
    const pdfView = await waitForDocument(stack.url, pdf.json.id);
    assert.equal(pdfView.status, 'ready', JSON.stringify(pdfView));
    assert.equal(pdfView.pages, 3);
    assert.equal((await waitForDocument(stack.url, docx.json.id)).status, 'ready');
    assert.equal((await waitForDocument(stack.url, html.json.id)).status, 'ready');

    const res = await ask(stack, 'evaluation of bids for lot 2 bid security', { collection: 'formats', topK: 8 });
    assert.equal(res.status, 200, res.text);
    const fromPdf = res.json.result!.citations.filter((c: { documentId: string }) => c.documentId === 'lots.pdf');
    assert.ok(fromPdf.length >= 1, JSON.stringify(res.json.result!.citations));
    for (const c of fromPdf) {
      assert.ok([1, 2, 3].includes(c.page!), JSON.stringify(c));
      assert.match(c.snippet, new RegExp(`page ${c.page}\\b|lot ${c.page}\\b`));
    }
    const vi = await ask(stack, 'hạn nộp hồ sơ', { collection: 'formats' });
    assert.equal(vi.json.result!.citations[0].documentId, 'thong-bao.html');
    assert.equal(vi.json.result!.citations[0].page, undefined);

    // The three were parsed by the worker's warm extraction children: at most one started per ingest slot, none
    // per document, and they stay up for the next documents.
    const extractors = stack.workers[0].extractors;
    assert.ok(extractors, 'the worker keeps an extractor pool');
    const slots = stack.config.INGEST_CONCURRENCY;
    assert.ok(extractors.stats.spawned >= 1 && extractors.stats.spawned <= slots, JSON.stringify(extractors.stats));
    assert.equal(extractors.stats.lost, 0, JSON.stringify(extractors.stats));
    assert.ok(extractors.children >= 1 && extractors.children <= slots, `children: ${extractors.children}`);
  });

  test('a long Vietnamese text is accepted whatever byte its first 64 KiB end on', async () => {
    const line = 'Điều khoản thanh toán: bên mời thầu thanh toán trong vòng ba mươi ngày. ';
    const up = await uploadDocument(stack.url, { fileName: 'dai.txt', collection: 'long', content: line.repeat(1500) });
    assert.equal(up.status, 202, up.text);
    assert.equal((await waitForDocument(stack.url, up.json.id)).status, 'ready');
  });

  test('the same documentId again replaces the old version atomically once the new one is ready', async () => {
    const first = await uploadDocument(stack.url, {
      fileName: 'policy.md',
      collection: 'swap',
      documentId: 'policy',
      content: doc('Leave policy', `${'Employees accrue OLDWORD leave days monthly. '.repeat(40)}`),
    });
    await waitForDocument(stack.url, first.json.id);
    const { seen } = await watchSwap(stack.db.url, first.json.id, { old: 'OLDWORD', new: 'NEWWORD' }, async () => {
      const second = await uploadDocument(stack.url, {
        fileName: 'policy-v2.md',
        collection: 'swap',
        documentId: 'policy',
        title: 'Leave policy 2027',
        content: doc('Leave policy', `${'Employees accrue NEWWORD leave days weekly. '.repeat(40)}`),
      });
      assert.equal(second.status, 202);
      assert.equal(second.json.id, first.json.id, 'the same document');
      const ready = await waitForDocument(stack.url, second.json.id);
      assert.equal(ready.status, 'ready');
      assert.equal(ready.title, 'Leave policy 2027');
    });
    assert.deepEqual([...seen].sort(), ['new', 'old']);
    const res = await ask(stack, 'how are leave days accrued', { collection: 'swap' });
    assert.ok(res.json.result!.citations.length >= 1);
    const snippets = res.json.result!.citations.map((c: { snippet: string }) => c.snippet).join('\n');
    assert.match(snippets, /NEWWORD/);
    assert.doesNotMatch(snippets, /OLDWORD/);
  });

  test('delete removes the document and its chunks from later answers, cached ones included', async () => {
    const up = await uploadDocument(stack.url, {
      fileName: 'secret.md',
      collection: 'gone',
      content: doc('Mật khẩu kho', 'Mã mở cửa kho số ba là con số bảy bảy chín.'),
    });
    await waitForDocument(stack.url, up.json.id);
    const q = 'mã mở cửa kho số ba';
    const first = await ask(stack, q, { collection: 'gone' });
    assert.equal(first.json.result!.citations[0].documentId, 'secret.md');
    const cached = await ask(stack, q, { collection: 'gone' });
    assert.equal(cached.json.result!.cached, true, 'the second ask is served from the cache');

    const del = await api<z.infer<typeof documentDeletedSchema>>(stack.url, `/v1/documents/${up.json.id}`, {
      method: 'DELETE',
    });
    assert.equal(del.status, 200, del.text);
    assert.equal(del.json.deleted, true);
    assert.equal((await api(stack.url, `/v1/documents/${up.json.id}`)).status, 404);
    assert.equal((await api(stack.url, `/v1/documents/${up.json.id}`, { method: 'DELETE' })).status, 404);
    const n = new pg.Client({ connectionString: stack.db.url });
    await n.connect();
    try {
      const rows = await n.query('SELECT count(*)::int AS c FROM chunks WHERE document_id = $1', [up.json.id]);
      assert.equal(rows.rows[0].c, 0);
    } finally {
      await n.end();
    }
    const later = await ask(stack, q, { collection: 'gone' });
    assert.equal(later.status, 200);
    assert.equal(later.json.result!.cached, false, 'not the cached answer');
    assert.deepEqual(later.json.result!.citations, []);
  });

  test('listing a collection pages with a cursor, newest first, each document once', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const up = await uploadDocument(stack.url, {
        fileName: `note-${i}.txt`,
        collection: 'paged',
        content: `Note number ${i} about procurement.`,
      });
      ids.push(up.json.id);
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await api<DocumentList>(
        stack.url,
        `/v1/documents?collection=paged&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      assert.equal(res.status, 200, res.text);
      assert.ok(res.json.items.length <= 2);
      for (const item of res.json.items) {
        assert.equal(item.collection, 'paged');
        assert.ok(['queued', 'processing', 'ready'].includes(item.status));
        seen.push(item.id);
      }
      cursor = res.json.nextCursor;
      pages++;
    } while (cursor);
    assert.equal(pages, 3);
    assert.deepEqual(seen, [...ids].reverse());
    const bad = await api<ErrorBody>(stack.url, '/v1/documents?collection=paged&cursor=nonsense');
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.code, 'invalid_request');
    assert.equal((await api(stack.url, '/v1/documents?limit=0')).status, 400);
    assert.equal((await api(stack.url, '/v1/documents?collection=has%20space')).status, 400);
    assert.deepEqual((await api(stack.url, '/v1/documents?collection=empty')).json, { items: [] });
  });

  test('an upload over MAX_UPLOAD_BYTES gets 413 while it is still streaming; nothing is stored', async () => {
    const { hostname, port } = new URL(stack.url);
    const boundary = 'x-boundary';
    const total = 16 * 1024 * 1024;
    let sent = 0;
    const res = await new Promise<{ status: number; body: string; sentAtReply: number }>((resolve, reject) => {
      const req = http.request({
        host: hostname,
        port,
        method: 'POST',
        path: '/v1/documents',
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      });
      req.on('response', (r) => {
        const sentAtReply = sent;
        let body = '';
        r.on('data', (c) => (body += c));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, body, sentAtReply }));
      });
      req.on('error', () => {}); // the server closes the connection after answering
      req.write(`--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="big.txt"\r\n\r\n`);
      const chunk = Buffer.alloc(64 * 1024, 'a');
      const pump = () => {
        while (sent < total) {
          sent += chunk.length;
          if (!req.write(chunk)) {
            req.once('drain', pump);
            return;
          }
        }
        req.end(`\r\n--${boundary}--\r\n`);
      };
      pump();
      setTimeout(() => reject(new Error('no reply')), 60_000).unref();
    });
    assert.equal(res.status, 413, res.body);
    assert.equal(JSON.parse(res.body).error.code, 'payload_too_large');
    assert.ok(res.sentAtReply < total, `answered after ${res.sentAtReply} of ${total} bytes`);
    const c = new pg.Client({ connectionString: stack.db.url });
    await c.connect();
    try {
      // No large object is left behind (the refused upload's bytes were removed).
      for (let i = 0; i < 50; i++) {
        const left = (await c.query('SELECT count(*)::int AS n FROM pg_largeobject_metadata')).rows[0].n;
        const kept = (await c.query('SELECT count(*)::int AS n FROM document_versions WHERE content_oid IS NOT NULL'))
          .rows[0].n;
        if (left === kept) break;
        if (i === 49) assert.equal(left, kept, 'large objects left behind');
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await c.end();
    }
  });

  test('a type no extractor reads gets 415 at upload; a readable type that holds nothing ends failed', async () => {
    const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(8000, 1)]);
    const exe = await uploadDocument(stack.url, { fileName: 'report.pdf', content: elf });
    assert.equal(exe.status, 415, exe.text);
    assert.equal(exe.json.error!.code, 'unsupported_media_type');
    const notMultipart = await api(stack.url, '/v1/documents', { method: 'POST', json: { file: 'x' } });
    assert.equal(notMultipart.status, 415);
    const noFile = await api(stack.url, '/v1/documents', { method: 'POST', body: new FormData() });
    assert.equal(noFile.status, 400);

    const empty = await uploadDocument(stack.url, { fileName: 'empty.txt', content: '   \n' });
    assert.equal(empty.status, 202);
    const failed = await waitForDocument(stack.url, empty.json.id);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error?.code, 'empty');
    assert.ok((failed.error?.message.length ?? 0) > 0);
  });
});
