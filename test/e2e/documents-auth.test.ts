import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { z } from 'zod';
import type { AskView, documentListSchema } from '@rag/contract';
import { api, uploadDocument, waitForDocument } from '@rag/testing';
import type { errorSchema } from '../../apps/gateway/src/openapi/schemas.ts';
import { startTestStack, type TestStack } from '../support/test-stack.ts';

type ErrorBody = z.infer<typeof errorSchema>;
type DocumentList = z.infer<typeof documentListSchema>;

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const ALL = 'key-everything';
const ASKER = 'key-ask-only';
const HR_WRITER = 'key-hr-writer';
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe('documents and collections under API keys: ask-only keys, collection-limited keys, anonymous refused', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startTestStack({
      workers: 1,
      env: { API_KEY_HASHES: `${sha(ALL)},${sha(ASKER)}:ask,${sha(HR_WRITER)}:write:hr|hr-archive` },
    });
  });
  after(() => stack.close());

  const upload = (key: string | undefined, collection?: string) =>
    uploadDocument(stack.url, {
      fileName: 'luong.md',
      collection,
      content: '# Bảng lương\n\nLương tháng được trả vào ngày mười lăm.',
      headers: key ? bearer(key) : undefined,
    });

  test('anonymous document writes and reads are refused when keys are configured', async () => {
    const res = await upload(undefined);
    assert.equal(res.status, 401);
    assert.equal(res.json.error!.code, 'unauthorized');
    assert.equal((await api(stack.url, '/v1/documents')).status, 401);
  });

  test('an ask-only key may ask and read documents but not upload or delete', async () => {
    const res = await upload(ASKER);
    assert.equal(res.status, 403);
    assert.equal(res.json.error!.code, 'forbidden');
    const ok = await upload(ALL, 'shared');
    assert.equal(ok.status, 202);
    assert.equal((await api(stack.url, `/v1/documents/${ok.json.id}`, { headers: bearer(ASKER) })).status, 200);
    const del = await api(stack.url, `/v1/documents/${ok.json.id}`, { method: 'DELETE', headers: bearer(ASKER) });
    assert.equal(del.status, 403);
    const ask = await api(stack.url, '/v1/ask', {
      method: 'POST',
      headers: bearer(ASKER),
      json: { question: 'lương trả ngày nào', collection: 'shared' },
    });
    assert.equal(ask.status, 202);
  });

  test('a key limited to collections writes and asks only there, whichever order the form fields come in', async () => {
    const hr = await upload(HR_WRITER, 'hr');
    assert.equal(hr.status, 202, hr.text);
    assert.equal((await waitForDocument(stack.url, hr.json.id, { headers: bearer(HR_WRITER) })).status, 'ready');
    const elsewhere = await upload(HR_WRITER, 'finance');
    assert.equal(elsewhere.status, 403);
    // No collection field: the default collection, which this key may not use.
    assert.equal((await upload(HR_WRITER)).status, 403);
    // The collection field after the file: refused once it is read, and nothing is recorded.
    const form = new FormData();
    form.set('file', new Blob(['# Late\n\ncollection after the file']), 'late.md');
    form.set('collection', 'finance');
    const late = await api(stack.url, '/v1/documents', { method: 'POST', body: form, headers: bearer(HR_WRITER) });
    assert.equal(late.status, 403);
    assert.deepEqual(
      (await api<DocumentList>(stack.url, '/v1/documents?collection=finance', { headers: bearer(ALL) })).json.items,
      [],
    );
    assert.equal(
      (await api(stack.url, '/v1/documents?collection=finance', { headers: bearer(HR_WRITER) })).status,
      403,
    );
    const ask = (collection: string) =>
      api<AskView>(stack.url, '/v1/ask', {
        method: 'POST',
        headers: { ...bearer(HR_WRITER), prefer: 'wait=20' },
        json: { question: 'lương trả ngày nào', collection },
      });
    const inHr = await ask('hr');
    assert.equal(inHr.status, 200, inHr.text);
    assert.equal(inHr.json.result!.citations[0].documentId, 'luong.md');
    assert.equal((await ask('default')).status, 403);
  });

  test('an invalid collection name is a 400 naming the field', async () => {
    const res = await api<ErrorBody>(stack.url, '/v1/ask', {
      method: 'POST',
      headers: bearer(ALL),
      json: { question: 'q', collection: '../etc' },
    });
    assert.equal(res.status, 400);
    assert.ok(res.json.error.details!.some((d) => d.field === 'collection'));
  });
});
