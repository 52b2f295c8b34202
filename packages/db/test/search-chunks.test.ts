import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestDatabase, type TestDatabase } from '@rag/testing';
import { closePool, createPool, replaceDocument, searchChunks, type Pool } from '../src/index.ts';

const DIM = 384;
/** A unit vector along axis i (optionally blended with axis j), so the expected order is known exactly. */
function axis(i: number, j?: number, w = 0.5): number[] {
  const v = new Array<number>(DIM).fill(0);
  if (j === undefined) v[i] = 1;
  else {
    v[i] = Math.sqrt(1 - w * w);
    v[j] = w;
  }
  return v;
}

describe('searchChunks', () => {
  let db: TestDatabase;
  let pool: Pool;

  before(async () => {
    db = await createTestDatabase({ embeddingDim: DIM });
    pool = createPool({ connectionString: db.url, max: 1, connectionTimeoutMillis: 5000, statementTimeoutMs: 10_000 });
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const doc = (id: string) => ({
        documentId: id,
        title: `Title ${id}`,
        source: null,
        metadata: {},
        contentHash: id,
      });
      await replaceDocument(client, doc('a.md'), [
        { ordinal: 0, content: 'exactly on axis 0', metadata: {}, embedding: axis(0) },
        { ordinal: 1, content: 'mostly axis 0', metadata: {}, embedding: axis(0, 1, 0.3) },
      ]);
      await replaceDocument(client, doc('b.md'), [
        { ordinal: 0, content: 'half way', metadata: {}, embedding: axis(0, 1, 0.7) },
        { ordinal: 1, content: 'axis 1 only', metadata: {}, embedding: axis(1) },
      ]);
      // Same id as a document of the default collection, in another collection, nearer to axis 0 than anything.
      await replaceDocument(client, { ...doc('a.md'), collection: 'hr', title: 'HR a.md' }, [
        { ordinal: 0, content: 'hr page 3', metadata: {}, embedding: axis(0, 2, 0.01), page: 3 },
      ]);
      // Far from axis 0 in vector space: only the lexical arm of a hybrid search can find them.
      await replaceDocument(client, doc('c.md'), [
        { ordinal: 0, content: 'Bảo đảm dự thầu được hoàn trả trong 14 ngày.', metadata: {}, embedding: axis(5) },
        { ordinal: 1, content: 'Thầu dự, đảm bảo: các từ đảo thứ tự.', metadata: {}, embedding: axis(6) },
      ]);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
  });
  after(async () => {
    await closePool(pool);
    await db.drop();
  });

  const search = (extra: Partial<Parameters<typeof searchChunks>[1]> = {}) =>
    searchChunks(pool, { embedding: axis(0), topK: 3, efSearch: 40, timeoutMs: 5000, ...extra });

  test('returns the nearest chunks first, with cosine similarity and titles', async () => {
    const { hits } = await search();
    assert.deepEqual(
      hits.map((h) => h.content),
      ['exactly on axis 0', 'mostly axis 0', 'half way'],
    );
    assert.ok(Math.abs(hits[0].score - 1) < 1e-6);
    assert.ok(hits[0].score > hits[1].score && hits[1].score > hits[2].score);
    assert.equal(hits[2].title, 'Title b.md');
  });

  test('a document filter keeps only those documents', async () => {
    const { hits } = await search({ documentIds: ['b.md'] });
    assert.deepEqual(
      hits.map((h) => [h.documentId, h.ordinal]),
      [
        ['b.md', 0],
        ['b.md', 1],
      ],
    );
  });

  test('document ids are data, never SQL (they are spliced into the one-message search escaped)', async () => {
    const hostile = ["a.md'); DROP TABLE chunks; --", "b.md\\'", 'a.md'];
    const { hits } = await search({ documentIds: hostile });
    assert.deepEqual(
      hits.map((h) => h.documentId),
      ['a.md', 'a.md'],
    );
    assert.equal((await pool.query('SELECT count(*)::int AS n FROM chunks')).rows[0].n, 7);
  });

  test('a search sees only its collection; the same document id in two collections is two documents', async () => {
    const def = await search();
    assert.ok(def.hits.every((h) => h.title !== 'HR a.md'));
    assert.equal(def.hits[0].page, null);
    const hr = await search({ collection: 'hr' });
    assert.deepEqual(
      hr.hits.map((h) => [h.documentId, h.title, h.page]),
      [['a.md', 'HR a.md', 3]],
    );
    const filtered = await search({ collection: 'hr', documentIds: ['b.md'] });
    assert.deepEqual(filtered.hits, []);
    assert.deepEqual((await search({ collection: 'nobody' })).hits, []);
    assert.equal((await search({ collection: "hr' OR true --" })).hits.length, 0);
  });

  test('hybrid: the lexical arm finds words the vectors miss, diacritics folded, phrases ranked above scattered words', async () => {
    // Typed without diacritics; c.md 0 has the phrase "bảo đảm dự thầu", c.md 1 only the same words in another order.
    const { hits } = await search({
      topK: 6,
      lexical: { terms: '"bao" or "dam" or "du" or "thau"', phrases: '"bao dam" or "dam du" or "du thau"' },
    });
    const c0 = hits.findIndex((h) => h.documentId === 'c.md' && h.ordinal === 0);
    const c1 = hits.findIndex((h) => h.documentId === 'c.md' && h.ordinal === 1);
    assert.ok(c0 >= 0 && c1 >= 0, JSON.stringify(hits));
    assert.ok(c0 < c1, `the phrase match ranks above the scattered words: ${JSON.stringify(hits)}`);
    assert.equal(hits[c0].lexicalRank, 1);
    // Fused by reciprocal rank (with six chunks every chunk is a vector candidate too); scores fall with the order.
    assert.equal(hits.find((h) => h.content === 'exactly on axis 0')?.vectorRank, 1);
    for (let i = 1; i < hits.length; i++) assert.ok(hits[i - 1].score >= hits[i].score);
    assert.ok(hits[c0].similarity < 0.01, 'similarity stays the cosine similarity');
  });

  test('hybrid: the document filter applies in both arms', async () => {
    const { hits } = await search({
      topK: 6,
      documentIds: ['a.md'],
      lexical: { terms: '"thau"', phrases: '"du thau"' },
    });
    assert.deepEqual([...new Set(hits.map((h) => h.documentId))], ['a.md']);
    const only = await search({ topK: 6, documentIds: ['c.md'], lexical: { terms: '"thau"', phrases: '' } });
    assert.deepEqual([...new Set(only.hits.map((h) => h.documentId))], ['c.md']);
    assert.equal(only.hits.length, 2);
    // The collection too: "hr" is a word of the hr collection's chunk only, and the default collection never sees it.
    const hr = await search({ topK: 6, collection: 'hr', lexical: { terms: '"hr" or "page"', phrases: '"hr page"' } });
    assert.deepEqual(
      hr.hits.map((h) => [h.title, h.lexicalRank]),
      [['HR a.md', 1]],
    );
    const def = await search({ topK: 6, lexical: { terms: '"hr" or "page"', phrases: '"hr page"' } });
    assert.ok(def.hits.every((h) => h.title !== 'HR a.md' && h.lexicalRank === undefined));
  });

  test('hybrid: hostile text in the lexical query is data (quotes, backslashes, NUL, tsquery operators)', async () => {
    for (const text of [
      "'); DROP TABLE chunks; --",
      "a\\' OR 1=1 --",
      'bao\0dam',
      "& | ! : * ( ) <-> <2> 'x':* !!! ((( ",
      '"unclosed or or or -',
      '',
    ]) {
      const { hits } = await search({ topK: 3, lexical: { terms: text, phrases: text } });
      assert.equal(hits.length, 3, text);
    }
    assert.equal((await pool.query('SELECT count(*)::int AS n FROM chunks')).rows[0].n, 7);
  });

  test('refuses values that could not be spliced safely', async () => {
    await assert.rejects(search({ embedding: [Number.NaN, ...axis(0).slice(1)] }), /non-finite/);
    await assert.rejects(search({ topK: 2.5 }), /topK must be a positive integer/);
  });

  test('reports the wait for a pooled connection apart from the query', async () => {
    const idle = await search();
    // The pool's only connection is busy for 150 ms: the search waits for it, and says so.
    const held = await pool.connect();
    const pending = search();
    await sleep(150);
    held.release();
    const busy = await pending;
    assert.ok(busy.poolWaitMs >= 120, `waited ${busy.poolWaitMs} ms`);
    // Order, not a bound on the idle figure: a loaded machine may take a while to hand over even a free connection.
    assert.ok(idle.poolWaitMs < busy.poolWaitMs, `idle pool waited ${idle.poolWaitMs} ms, busy ${busy.poolWaitMs} ms`);
    assert.equal(busy.hits[0].content, 'exactly on axis 0');
  });
});
