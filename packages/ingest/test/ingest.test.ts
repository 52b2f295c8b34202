import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { closePool, createPool, countDocuments, documentKey, getCorpusVersion, type Pool } from '@rag/db';
import { HashEmbeddings } from '@rag/rag';
import { createTestDatabase, watchSwap, type TestDatabase } from '@rag/testing';
import { collectFiles, ingestPaths, titleOf } from '../src/index.ts';

const paragraph = (word: string, i: number) =>
  `${word} đoạn ${i}: nhà thầu nộp hồ sơ dự thầu đúng hạn và kèm bảo đảm dự thầu hợp lệ.`;

describe('ingestion', () => {
  let db: TestDatabase;
  let pool: Pool;
  let dir: string;
  const embedder = new HashEmbeddings(384);
  const ingest = (paths: string[], extra: { deferIndex?: boolean } = {}) =>
    ingestPaths(paths, { pool, embedder, chunkSize: 200, chunkOverlap: 20, batchSize: 32, ...extra });

  before(async () => {
    db = await createTestDatabase();
    pool = createPool({ connectionString: db.url, max: 4, connectionTimeoutMillis: 5000, statementTimeoutMs: 60000 });
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rag-ingest-'));
    await fs.mkdir(path.join(dir, 'vi', 'hop-dong'), { recursive: true });
    await fs.writeFile(
      path.join(dir, 'vi', 'bao-dam.md'),
      `# Bảo đảm dự thầu\n\n${Array.from({ length: 5 }, (_, i) => paragraph('Mục', i)).join('\n\n')}`,
    );
    await fs.writeFile(
      path.join(dir, 'vi', 'hop-dong', 'loai.md'),
      '# Các loại hợp đồng\n\nHợp đồng trọn gói và hợp đồng theo đơn giá cố định.',
    );
    await fs.writeFile(path.join(dir, 'notes.txt'), 'Plain text without a heading about contract guarantees.');
    await fs.writeFile(path.join(dir, 'README.md'), '# About this folder');
    await fs.writeFile(path.join(dir, 'image.png'), 'not text');
  });
  after(async () => {
    await closePool(pool);
    await db.drop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  test('document ids are paths relative to the folder given, titles the first heading else the file name', async () => {
    const files = await collectFiles([dir]);
    assert.deepEqual(
      files.map((f) => f.documentId),
      ['notes.txt', 'vi/bao-dam.md', 'vi/hop-dong/loai.md'],
    );
    const single = await collectFiles([path.join(dir, 'vi', 'hop-dong', 'loai.md')]);
    assert.deepEqual(
      single.map((f) => f.documentId),
      ['loai.md'],
    );
    assert.equal(titleOf('intro\n## Heading two ##\ntext', 'x.md'), 'Heading two');
    assert.equal(titleOf('no heading', '/a/b/notes.txt'), 'notes');
  });

  test('ingests, then re-ingesting unchanged files changes nothing', async () => {
    const first = await ingest([dir]);
    assert.equal(first.files, 3);
    assert.equal(first.documents, 3);
    assert.ok(first.chunks > 3, JSON.stringify(first));
    const counts = await countDocuments(pool);
    assert.deepEqual(counts, { documents: 3, chunks: first.chunks });
    const titles = (await pool.query('SELECT document_id, collection, title FROM documents ORDER BY document_id')).rows;
    assert.deepEqual(titles, [
      { document_id: 'notes.txt', collection: 'default', title: 'notes' },
      { document_id: 'vi/bao-dam.md', collection: 'default', title: 'Bảo đảm dự thầu' },
      { document_id: 'vi/hop-dong/loai.md', collection: 'default', title: 'Các loại hợp đồng' },
    ]);
    const version = await getCorpusVersion(pool);
    const ids = (await pool.query('SELECT id FROM chunks ORDER BY id')).rows;

    const second = await ingest([dir]);
    assert.equal(second.documents, 0);
    assert.equal(second.unchanged, 3);
    assert.equal(second.chunks, 0);
    assert.equal(await getCorpusVersion(pool), version, 'no change, no new corpus version');
    assert.deepEqual((await pool.query('SELECT id FROM chunks ORDER BY id')).rows, ids, 'rows untouched');
  });

  test('a changed file replaces its chunks atomically: readers see the old set or the new one, never a mix', async () => {
    const file = path.join(dir, 'big.md');
    const write = (word: string) =>
      fs.writeFile(file, `# Big\n\n${Array.from({ length: 400 }, (_, i) => paragraph(word, i)).join('\n\n')}`);
    await write('OLDVERSION');
    await ingest([file]);
    const oldCount = Number(
      (await pool.query(`SELECT count(*) FROM chunks WHERE document_id = '${documentKey('default', 'big.md')}'`))
        .rows[0].count,
    );
    assert.ok(oldCount > 50);
    const versionBefore = await getCorpusVersion(pool);

    await write('NEWVERSION');
    const { result: summary, seen } = await watchSwap(
      db.url,
      documentKey('default', 'big.md'),
      { old: 'OLDVERSION', new: 'NEWVERSION' },
      () => ingest([file]),
    );
    assert.equal(summary.documents, 1);
    assert.ok(seen.has('old'), 'the reader ran during the replacement');
    const after = (
      await pool.query(`SELECT content FROM chunks WHERE document_id = '${documentKey('default', 'big.md')}'`)
    ).rows;
    assert.ok(after.length > 50 && after.every((r) => r.content.includes('NEWVERSION')));
    assert.equal(await getCorpusVersion(pool), versionBefore + 1, 'a change bumps the corpus version');
  });

  test('a changed document re-embeds only the chunks whose text changed', async () => {
    const file = path.join(dir, 'vi', 'bao-dam.md');
    const before = await fs.readFile(file, 'utf8');
    await fs.writeFile(file, `${before}\n\nĐoạn mới hoàn toàn về thời hạn hiệu lực của bảo đảm dự thầu.`);
    let embedded = 0;
    const counting = {
      model: embedder.model,
      dim: embedder.dim,
      embedQuery: embedder.embedQuery.bind(embedder),
      embedDocuments: async (t: string[]) => {
        embedded += t.length;
        return embedder.embedDocuments(t);
      },
    };
    const s = await ingestPaths([dir], { pool, embedder: counting, chunkSize: 200, chunkOverlap: 20, batchSize: 32 });
    assert.equal(s.documents, 1);
    assert.ok(s.reusedEmbeddings >= 1, JSON.stringify(s));
    assert.equal(embedded, s.chunks - s.reusedEmbeddings);
    assert.ok(embedded < s.chunks);
  });

  test('bulk mode drops and rebuilds the HNSW index and reports its build time', async () => {
    const bulkDir = await fs.mkdtemp(path.join(os.tmpdir(), 'rag-bulk-'));
    try {
      for (let i = 0; i < 20; i++)
        await fs.writeFile(path.join(bulkDir, `d${i}.md`), `# Doc ${i}\n\n${paragraph('Bulk', i)}`);
      const s = await ingest([bulkDir], { deferIndex: true });
      assert.equal(s.documents, 20);
      assert.equal(typeof s.indexSeconds, 'number');
      const idx = await pool.query(`SELECT indexdef FROM pg_indexes WHERE indexname = 'chunks_embedding_hnsw'`);
      assert.match(idx.rows[0].indexdef, /hnsw/);
      // The bulk load is settled before it serves: vacuumed and analysed.
      const stats = await pool.query(
        `SELECT last_vacuum, last_analyze FROM pg_stat_user_tables WHERE relname = 'chunks'`,
      );
      assert.ok(stats.rows[0].last_vacuum, 'chunks vacuumed after the bulk load');
      assert.ok(stats.rows[0].last_analyze, 'chunks analysed after the bulk load');
    } finally {
      await fs.rm(bulkDir, { recursive: true, force: true });
    }
  });

  test('--collection: the same file in another collection is another document; the default one is untouched', async () => {
    const file = path.join(dir, 'vi', 'hop-dong', 'loai.md');
    const before = await countDocuments(pool);
    const s = await ingestPaths([file], {
      pool,
      embedder,
      chunkSize: 200,
      chunkOverlap: 20,
      batchSize: 32,
      collection: 'hr',
    });
    assert.equal(s.documents, 1);
    const rows = (
      await pool.query(
        `SELECT d.collection, count(c.id)::int AS chunks, bool_and(c.collection = d.collection) AS same
         FROM documents d JOIN chunks c ON c.document_id = d.id WHERE d.document_id = 'loai.md' GROUP BY 1`,
      )
    ).rows;
    assert.deepEqual(rows, [{ collection: 'hr', chunks: 1, same: true }]);
    assert.equal((await countDocuments(pool)).documents, before.documents + 1);
  });

  test('a missing path is a clear error', async () => {
    await assert.rejects(ingest([path.join(dir, 'nope')]), /no such file or directory: .*nope/);
  });
});
