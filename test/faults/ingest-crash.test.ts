import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import type { AskView, DocumentView } from '@rag/contract';
import { startLlmStub, type LlmStub } from '@rag/llm-stub';
import { api, uploadDocument, waitForDocument, waitUntil } from '@rag/testing';
import { startWorkerProcesses, type WorkerProcessStack } from '../support/worker-processes.ts';

/**
 * Ingestion workers as real processes (so one can be killed mid-document), the gateway in this process, and the
 * embeddings endpoint stand-in on loopback made slow, so a document takes seconds of embedding batches.
 */
describe('fault: a worker killed with -9 in the middle of ingesting a document', () => {
  let stub: LlmStub;
  let stack: WorkerProcessStack;

  before(async () => {
    stub = await startLlmStub({ latency: { embeddingLatencyMs: 250 } });
    stack = await startWorkerProcesses({
      name: 'ingest-crash',
      env: {
        EMBEDDINGS_PROVIDER: 'openai',
        OPENAI_BASE_URL: stub.url,
        OPENAI_API_KEY: 'test',
        EMBEDDING_BATCH_SIZE: '4',
        CHUNK_SIZE: '200',
        CHUNK_OVERLAP: '20',
        INGEST_CONCURRENCY: '2',
        WORKER_LOCK_DURATION_MS: '2000',
      },
    });
  });
  after(async () => {
    await stack?.close();
    await stub?.close();
  });

  test('the document is picked up again from its stored bytes and ends ready once, with every chunk once', async () => {
    const a = await stack.startWorker('worker-a');
    const paragraphs = Array.from(
      { length: 60 },
      (_, i) => `Điều ${i + 1}. Nhà thầu phải nộp bảo đảm dự thầu số ${i + 1} trước thời điểm đóng thầu theo quy định.`,
    );
    const up = await uploadDocument(stack.gateway.url, {
      fileName: 'quy-dinh.md',
      content: `# Quy định bảo đảm dự thầu\n\n${paragraphs.join('\n\n')}`,
    });
    assert.equal(up.status, 202, up.text);
    // Mid-document: some batches embedded, not all.
    const mid = await waitUntil(
      async () => {
        const r = await api<DocumentView>(stack.gateway.url, `/v1/documents/${up.json.id}`);
        const p = r.json.progress;
        return r.json.status === 'processing' && p?.stage === 'embedding' && (p.embedded ?? 0) > 0 ? r.json : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 20, message: 'the document never reached the embedding stage' },
    );
    assert.ok(mid.progress!.embedded! < mid.progress!.chunks!, JSON.stringify(mid.progress));
    await a.stop('SIGKILL');
    const killedAt = mid.progress!;

    await stack.startWorker('worker-b');
    const done = await waitForDocument(stack.gateway.url, up.json.id, { timeoutMs: 60_000 });
    assert.equal(done.status, 'ready', JSON.stringify(done));
    assert.equal(done.chunks, killedAt.chunks);

    const c = new pg.Client({ connectionString: stack.db.url });
    await c.connect();
    try {
      const rows = await c.query(
        `SELECT count(*)::int AS n, count(DISTINCT ordinal)::int AS distinct_ordinals FROM chunks WHERE document_id = $1`,
        [up.json.id],
      );
      assert.deepEqual(rows.rows[0], { n: killedAt.chunks, distinct_ordinals: killedAt.chunks });
      const versions = await c.query('SELECT status, attempts FROM document_versions WHERE document_key = $1', [
        up.json.id,
      ]);
      assert.equal(versions.rows.length, 1);
      assert.equal(versions.rows[0].status, 'ready');
      assert.ok(versions.rows[0].attempts >= 2, `attempts ${versions.rows[0].attempts}: the job ran again`);
      // Made ready once: one corpus-version bump (1 at migration + this document).
      assert.equal((await c.query('SELECT version::int AS v FROM corpus_state')).rows[0].v, 2);
    } finally {
      await c.end();
    }
    const ask = await api<AskView>(stack.gateway.url, '/v1/ask', {
      method: 'POST',
      headers: { prefer: 'wait=20' },
      json: { question: 'bảo đảm dự thầu số 7' },
    });
    assert.equal(ask.json.status, 'completed', ask.text);
    assert.equal(ask.json.result!.citations[0].documentId, 'quy-dinh.md');
    console.log(
      `# ingest-kill tally: documents 1, killed at ${killedAt.embedded}/${killedAt.chunks} chunks embedded, ` +
        `ended ready with ${done.chunks} chunks, lost 0, applied once`,
    );
  });
});
