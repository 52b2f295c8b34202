import path from 'node:path';
import { closePool, createPool, searchChunks } from '@rag/db';
import { HashEmbeddings } from '@rag/rag';
import { createTestDatabase, ingestInto, ROOT } from '@rag/testing';
import { percentile } from '../load.ts';
import { poolServerCpu } from '../pg-cpu.ts';
import type { ScenarioContext, ScenarioResult } from '../scenario.ts';

/**
 * The retrieval call alone, from one process: how many searches per second a pool of 4 connections serves with 16
 * callers, and the client-side CPU each costs. This is the figure the one-message search (docs/benchmarks.md) was
 * chosen by; it moves when the round trips or the SQL change.
 */
export async function search(ctx: ScenarioContext): Promise<ScenarioResult> {
  const db = await createTestDatabase();
  const pool = createPool({
    connectionString: db.url,
    max: 4,
    connectionTimeoutMillis: 5000,
    statementTimeoutMs: 10_000,
    applicationName: 'rag-bench-search',
  });
  try {
    await ingestInto(db.url, [path.join(ROOT, 'data/sample')]);
    const embedder = new HashEmbeddings(384);
    const queries = await embedder.embedDocuments(
      Array.from({ length: 200 }, (_, i) => `câu hỏi ${i} về bảo đảm dự thầu và hợp đồng`),
    );
    const serverCpu = await poolServerCpu(pool, 'rag-bench-search', 4);
    const notes: string[] = [];
    const rounds: Record<string, number>[] = [];
    for (let round = 1; round <= 3; round++) {
      const times: number[] = [];
      let i = 0;
      const end = performance.now() + (ctx.seconds * 1000) / 3;
      const cpu0 = process.cpuUsage();
      const server0 = await serverCpu();
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (performance.now() < end) {
            const q = queries[i++ % queries.length];
            const s = performance.now();
            const { hits } = await searchChunks(pool, { embedding: q, topK: 5, efSearch: 64, timeoutMs: 5000 });
            times.push(performance.now() - s);
            if (hits.length === 0) throw new Error('a search found nothing in the sample corpus');
          }
        }),
      );
      const wall = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const serverMs = ((await serverCpu()) - server0) * 1000;
      const row = {
        searchesPerSecond: Math.round(times.length / wall),
        clientCpuMsPerSearch: Math.round(((cpu.user + cpu.system) / 1000 / times.length) * 1000) / 1000,
        serverCpuMsPerSearch: Math.round((serverMs / times.length) * 1000) / 1000,
        p50Ms: Math.round(percentile(times, 0.5) * 100) / 100,
        p95Ms: Math.round(percentile(times, 0.95) * 100) / 100,
      };
      rounds.push(row);
      notes.push(
        `round ${round}: ${row.searchesPerSecond} searches/s, client CPU ${row.clientCpuMsPerSearch} ms and PostgreSQL CPU ${row.serverCpuMsPerSearch} ms per search, p50 ${row.p50Ms} ms, p95 ${row.p95Ms} ms (16 callers, pool of 4)`,
      );
    }
    return {
      scenario: 'search',
      description: 'searchChunks alone on the sample corpus: searches/s, client and PostgreSQL CPU per search',
      runs: [],
      notes,
      extra: { rounds },
    };
  } finally {
    await closePool(pool);
    await db.drop();
  }
}
