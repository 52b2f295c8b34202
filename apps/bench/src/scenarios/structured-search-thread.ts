import { parentPort, workerData } from 'node:worker_threads';
import { closePool, createPool, searchChunks } from '@rag/db';
import { percentile } from '../load.ts';
import { poolServerCpu } from '../pg-cpu.ts';

/**
 * One search load of the structured-vectors scenario, in a thread of its own: its event loop is not the one
 * driving the 50-user ask load, so a search's time is the search's (as in a worker process), not that loop's lag.
 */
export interface SearchLoadInput {
  databaseUrl: string;
  queries: number[][];
  exactIds: string[][];
  efSearch: number;
}

/** One phase, posted to the thread; it answers with the phase's figures. `null` ends the thread. */
export type SearchPhase = { seconds: number; rate?: number; callers?: number } | null;

/**
 * The thread's one pool of 4, kept across phases: new server processes first fault in every shared-buffer page
 * they touch, which a long-lived worker pool pays once, so a fresh pool per phase would measure that instead.
 */
const input = workerData as SearchLoadInput;
const exact = input.exactIds.map((ids) => ({ ids: new Set(ids) }));
const pool = createPool({
  connectionString: input.databaseUrl,
  max: 4,
  connectionTimeoutMillis: 10_000,
  statementTimeoutMs: 10_000,
  applicationName: 'rag-bench-structured-load',
});
const serverCpu = await poolServerCpu(pool, 'rag-bench-structured-load', 4);

export type SearchLoadResult = Awaited<ReturnType<typeof searchLoad>>;

/**
 * Searches for `seconds`: paced at `rate` per second (at most 50 in flight), or by `callers` without think time.
 * A search is timed from asking the pool, so waiting for a connection counts.
 */
async function searchLoad({ seconds, rate, callers }: NonNullable<SearchPhase>) {
  const { queries, efSearch } = input;
  const times: number[] = [];
  const waits: number[] = [];
  let found = 0;
  let i = 0;
  const one = async () => {
    const k = i++ % queries.length;
    const s = performance.now();
    const { hits, poolWaitMs } = await searchChunks(pool, {
      embedding: queries[k],
      topK: 10,
      efSearch,
      timeoutMs: 10_000,
    });
    times.push(performance.now() - s);
    waits.push(poolWaitMs);
    found += hits.filter((h) => exact[k].ids.has(h.chunkId)).length;
  };
  const cpu0 = await serverCpu();
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  if (rate) {
    const inflight = new Set<Promise<void>>();
    for (let n = 0; ; n++) {
      const at = t0 + (n * 1000) / rate;
      if (at >= end) break;
      const delay = at - performance.now();
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      while (inflight.size >= 50) await Promise.race(inflight);
      const p: Promise<void> = one().finally(() => inflight.delete(p));
      inflight.add(p);
    }
    await Promise.all(inflight);
  } else {
    await Promise.all(
      Array.from({ length: callers ?? 50 }, async () => {
        while (performance.now() < end) await one();
      }),
    );
  }
  const wall = (performance.now() - t0) / 1000;
  return {
    searchesPerSecond: Math.round(times.length / wall),
    recallAt10: Math.round((found / (times.length * 10)) * 1000) / 1000,
    p50Ms: Math.round(percentile(times, 0.5) * 10) / 10,
    p95Ms: Math.round(percentile(times, 0.95) * 10) / 10,
    poolWaitP95Ms: Math.round(percentile(waits, 0.95) * 10) / 10,
    postgresCpuPercent: Math.round((((await serverCpu()) - cpu0) / wall) * 100),
  };
}

parentPort!.on('message', async (phase: SearchPhase) => {
  if (phase === null) {
    await closePool(pool);
    parentPort!.close();
    return;
  }
  parentPort!.postMessage(await searchLoad(phase));
});
