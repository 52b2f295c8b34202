import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { closePool, createPool, searchChunks, type Pool } from '@rag/db';
import { HashEmbeddings } from '@rag/rag';
import type { IngestSummary } from '@rag/ingest';
import { createTestDatabase, ROOT } from '@rag/testing';
import { startBenchStack } from '../bench-stack.ts';
import { closedLoop, createAgent, percentile, summarize } from '../load.ts';
import { loadQuestions, uniqueAsk } from '../questions.ts';
import type { ScenarioContext, ScenarioResult } from '../scenario.ts';

const run = promisify(execFile);
const DIM = 384;

interface RecallRow {
  index: string;
  efSearch: number;
  recallAt10: number;
  /** Results no farther than 1% beyond the exact 10th neighbour: misses among near-ties do not count. */
  within1pct: number;
  p50Ms: number;
  p95Ms: number;
}

interface Exact {
  ids: Set<string>;
  /** Cosine distance of the 10th exact neighbour. */
  d10: number;
}

/**
 * The exact top 10 of each query (sequential scan): the ground truth recall is measured against. Also how flat the
 * neighbourhoods are (mean similarity at ranks 1, 2, 5, 10, 11, 20: near-ties are what approximate search misses)
 * and what exact search costs.
 */
export async function exactTop10(
  pool: Pool,
  queries: number[][],
): Promise<{ exact: Exact[]; profile: Record<string, number>; exactMs: { p50: number; p95: number } }> {
  const exact: Exact[] = [];
  const ranks = [1, 2, 5, 10, 11, 20];
  const sums = ranks.map(() => 0);
  const times: number[] = [];
  for (const q of queries) {
    const t0 = performance.now();
    const { hits } = await searchChunks(pool, { embedding: q, topK: 20, efSearch: 20, timeoutMs: 60_000, exact: true });
    times.push(performance.now() - t0);
    exact.push({ ids: new Set(hits.slice(0, 10).map((h) => h.chunkId)), d10: 1 - hits[9].score });
    ranks.forEach((r, i) => {
      sums[i] += hits[r - 1].score;
    });
  }
  const profile = Object.fromEntries(
    ranks.map((r, i) => [`rank${r}`, Math.round((sums[i] / queries.length) * 1000) / 1000]),
  );
  return {
    exact,
    profile,
    exactMs: { p50: Math.round(percentile(times, 0.5)), p95: Math.round(percentile(times, 0.95)) },
  };
}

/** Mean cosine similarity of random pairs of chunks: the background the neighbours stand out from. */
export async function randomPairSimilarity(pool: Pool): Promise<number> {
  const r = await pool.query<{ s: number }>(
    `WITH a AS (SELECT embedding, row_number() OVER () AS n FROM chunks TABLESAMPLE SYSTEM (1) REPEATABLE (11) LIMIT 400),
          b AS (SELECT embedding, row_number() OVER () AS n FROM chunks TABLESAMPLE SYSTEM (1) REPEATABLE (13) LIMIT 400)
     SELECT avg(1 - (a.embedding <=> b.embedding))::float8 AS s FROM a JOIN b USING (n)`,
  );
  return Math.round(Number(r.rows[0].s) * 1000) / 1000;
}

/** Recall@10 against the exact top 10, and single-client latency, of one way of searching, per ef_search (or probes). */
export async function measure(
  index: string,
  queries: number[][],
  exact: Exact[],
  efs: number[],
  search: (q: number[], ef: number) => Promise<{ id: string; distance: number }[]>,
): Promise<RecallRow[]> {
  const rows: RecallRow[] = [];
  for (const ef of efs) {
    let found = 0;
    let near = 0;
    const times: number[] = [];
    for (const [i, q] of queries.entries()) {
      const t0 = performance.now();
      const hits = await search(q, ef);
      times.push(performance.now() - t0);
      found += hits.filter((h) => exact[i].ids.has(h.id)).length;
      near += hits.filter((h) => h.distance <= exact[i].d10 * 1.01).length;
    }
    const n = queries.length * 10;
    rows.push({
      index,
      efSearch: ef,
      recallAt10: found / n,
      within1pct: near / n,
      p50Ms: percentile(times, 0.5),
      p95Ms: percentile(times, 0.95),
    });
  }
  return rows;
}

/** The production query (vector column, HNSW index) at a given ef_search. */
export const searchVector = (pool: Pool) => async (q: number[], ef: number) =>
  (await searchChunks(pool, { embedding: q, topK: 10, efSearch: ef, timeoutMs: 10_000 })).hits.map((h) => ({
    id: h.chunkId,
    distance: 1 - h.score,
  }));

/**
 * A top-10 search outside the production query: one `SET LOCAL <setting> = <value>` (ef_search, probes) and an
 * ORDER BY of its own, returning exact distances so recall and near-ties are measured the same way for every index.
 */
const searchWith = (pool: Pool, setting: string, orderBy: string) => async (q: number[], value: number) => {
  const client = await pool.connect();
  try {
    await client.query(`BEGIN; SET LOCAL ${setting} = ${value}`);
    const r = await client.query<{ id: string; distance: number }>(
      `SELECT id::text, embedding <=> $1::vector AS distance FROM chunks ORDER BY ${orderBy} LIMIT 10`,
      [`[${q.join(',')}]`],
    );
    await client.query('COMMIT');
    return r.rows.map((row) => ({ id: row.id, distance: Number(row.distance) }));
  } finally {
    client.release();
  }
};

/** Through a halfvec expression index (half the index size): is the precision loss worth it? */
const searchHalfvec = (pool: Pool) =>
  searchWith(pool, 'hnsw.ef_search', `embedding::halfvec(${DIM}) <=> $1::halfvec(${DIM})`);

/** Through an IVFFlat index (built at the end, after the HNSW index is dropped), per probes. */
const searchIvf = (pool: Pool) => searchWith(pool, 'ivfflat.probes', 'embedding <=> $1::vector');

/**
 * 100,000+ chunks from the synthetic generator, ingested through the real CLI (bulk mode: index built once at the
 * end), then recall@10 vs exact search per ef_search, a halfvec comparison, and retrieval latency under 50 users.
 */
export async function largeCorpus(ctx: ScenarioContext): Promise<ScenarioResult> {
  const docs = Number(ctx.args.docs ?? 10_400); // ~9.75 chunks a file: just over 100,000 chunks
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rag-large-'));
  const db = await createTestDatabase({ embeddingDim: DIM });
  const notes: string[] = [];
  try {
    ctx.log(`generating ${docs} documents`);
    await run(
      process.execPath,
      [
        path.join(ROOT, 'scripts/gen-corpus.ts'),
        '--out',
        dir,
        '--docs',
        String(docs),
        '--paragraphs',
        '11',
        '--seed',
        '7',
      ],
      { maxBuffer: 1 << 24 },
    );
    ctx.log('ingesting through the CLI (bulk mode)');
    const t0 = performance.now();
    const ing = await run(
      process.execPath,
      [path.join(ROOT, 'apps/cli/src/ingest.ts'), '--defer-index', '--json', dir],
      {
        env: { ...process.env, DATABASE_URL: db.url, EMBEDDING_DIM: String(DIM), LOG_LEVEL: 'warn' },
        maxBuffer: 1 << 24,
      },
    );
    const wall = (performance.now() - t0) / 1000;
    const summary = JSON.parse(ing.stdout) as IngestSummary;
    ctx.log(`ingest summary: ${JSON.stringify(summary)} (${wall.toFixed(1)} s wall)`);
    const { chunks, seconds } = summary;
    const indexSeconds = summary.indexSeconds ?? 0;
    const writeSeconds = seconds - indexSeconds; // the CLI's total includes the index build
    notes.push(
      `Ingestion: ${chunks} chunks from ${docs} files in ${seconds.toFixed(1)} s through \`npm run ingest -- --defer-index\`: ` +
        `${Math.round(chunks / writeSeconds)} chunks/s chunking+embedding+writing, then the HNSW index built in ${indexSeconds.toFixed(1)} s ` +
        `(${Math.round(chunks / seconds)} chunks/s overall).`,
    );

    const pool = createPool({
      connectionString: db.url,
      max: 4,
      connectionTimeoutMillis: 5000,
      statementTimeoutMs: 120_000,
    });
    let recall: RecallRow[] = [];
    let halfvec: RecallRow[] = [];
    let ivf: RecallRow[] = [];
    let flatness: Record<string, unknown> = {};
    let queries: number[][] = [];
    let exact: Exact[] = [];
    try {
      const embedder = new HashEmbeddings(DIM);
      // Queries that have answers in this corpus: a sentence taken from each of 200 random chunks.
      const sampled = await pool.query<{ content: string }>(
        'SELECT content FROM chunks TABLESAMPLE SYSTEM (1) REPEATABLE (7) LIMIT 200',
      );
      const texts = sampled.rows.map((r) => r.content.split(/[.!?]/)[0]);
      queries = await embedder.embedDocuments(texts);
      const truth = await exactTop10(pool, queries);
      exact = truth.exact;
      const { profile, exactMs } = truth;
      const background = await randomPairSimilarity(pool);
      notes.push(
        `Neighbourhoods: mean similarity of the exact neighbours at ${Object.entries(profile)
          .map(([k, v]) => `${k.replace('rank', 'rank ')} ${v}`)
          .join(', ')}; ` +
          `random pairs of chunks ${background}. Exact search (sequential scan) p50 ${exactMs.p50} ms, p95 ${exactMs.p95} ms.`,
      );
      flatness = { profile, background, exactMs };
      recall = await measure(
        'hnsw vector(384) m=16 ef_construction=64',
        queries,
        exact,
        [16, 32, 64, 100, 200],
        searchVector(pool),
      );
      const th = performance.now();
      await pool.query(
        `SET maintenance_work_mem = '1GB'; CREATE INDEX chunks_embedding_halfvec ON chunks USING hnsw ((embedding::halfvec(${DIM})) halfvec_cosine_ops) WITH (m = 16, ef_construction = 64)`,
      );
      notes.push(`halfvec expression index built in ${((performance.now() - th) / 1000).toFixed(1)} s.`);
      halfvec = await measure('hnsw halfvec(384) expression index', queries, exact, [32, 64, 100], searchHalfvec(pool));
      const sizes = await pool.query<{ name: string; size: string }>(
        `SELECT indexrelname AS name, pg_size_pretty(pg_relation_size(indexrelid)) AS size FROM pg_stat_user_indexes WHERE relname = 'chunks' AND indexrelname LIKE 'chunks_embedding%'`,
      );
      notes.push(`Index sizes: ${sizes.rows.map((r) => `${r.name} ${r.size}`).join(', ')}.`);
      await pool.query('DROP INDEX chunks_embedding_halfvec');
    } finally {
      await closePool(pool);
    }

    // The same 50-user load twice: with many slots and connections per worker (asks queue for connections and for
    // PostgreSQL's CPU), then sized to the cores (about two queries per core in flight; the rest wait in the queue).
    const sizings = [
      { name: '16 slots, pool 4 per worker', concurrency: 16, pool: 4 },
      {
        name: `${ctx.args.concurrency ?? 4} slots, pool ${ctx.args.pool ?? 2} per worker (sized to the cores)`,
        concurrency: Number(ctx.args.concurrency ?? 4),
        pool: Number(ctx.args.pool ?? 2),
      },
    ];
    const runs: ScenarioResult['runs'] = [];
    for (const s of sizings) {
      ctx.log(`retrieval under 50 users: ${s.name}`);
      const stack = await startBenchStack({
        workers: 2,
        db,
        env: {
          CACHE_TTL_S: '0',
          EMBEDDING_DIM: String(DIM),
          WORKER_CONCURRENCY: String(s.concurrency),
          PG_POOL_MAX: String(s.pool),
        },
      });
      const agent = createAgent();
      try {
        await closedLoop({
          agent,
          base: stack.url,
          users: 10,
          seconds: 2,
          body: uniqueAsk(loadQuestions()),
          style: 'prefer-wait',
        });
        await stack.markUsage();
        const r = await closedLoop({
          agent,
          base: stack.url,
          users: 50,
          seconds: ctx.seconds,
          body: uniqueAsk(loadQuestions()),
          style: 'prefer-wait',
        });
        runs.push({
          name: `50 users, 2 workers x ${s.name}`,
          users: 50,
          workers: 2,
          summary: summarize(r),
          usage: await stack.usage(),
        });
      } finally {
        await agent.close();
        await stack.close();
      }
    }
    // Last, as it replaces the HNSW index: IVFFlat on the same corpus and queries (is another index type the way out?).
    ctx.log('IVFFlat comparison');
    const ivfPool = createPool({
      connectionString: db.url,
      max: 1,
      connectionTimeoutMillis: 5000,
      statementTimeoutMs: 120_000,
    });
    try {
      const lists = Math.round(Math.sqrt(chunks));
      await ivfPool.query(
        `DROP INDEX chunks_embedding_hnsw; SET maintenance_work_mem = '1GB'; CREATE INDEX chunks_embedding_ivf ON chunks USING ivfflat (embedding vector_cosine_ops) WITH (lists = ${lists})`,
      );
      ivf = await measure(`ivfflat lists=${lists}`, queries, exact, [8, 16, 32, 64], searchIvf(ivfPool));
    } finally {
      await closePool(ivfPool);
    }
    return {
      scenario: 'large',
      description: `${chunks} chunks (synthetic corpus, ${docs} files), hash embeddings ${DIM}-d`,
      runs,
      notes: [
        ...notes,
        ...[...recall, ...halfvec, ...ivf].map(
          (x) =>
            `${x.index}, ${x.index.startsWith('ivfflat') ? 'probes' : 'ef_search'} ${x.efSearch}: recall@10 ${x.recallAt10.toFixed(3)} (within 1% of the 10th exact distance: ${x.within1pct.toFixed(3)}), ` +
            `single-client p50 ${x.p50Ms.toFixed(2)} ms, p95 ${x.p95Ms.toFixed(2)} ms`,
        ),
      ],
      extra: { chunks, ingestSeconds: seconds, indexSeconds, recall, halfvec, ivf, flatness },
    };
  } finally {
    await db.drop();
    await fs.rm(dir, { recursive: true, force: true });
  }
}
