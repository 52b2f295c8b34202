import type { Pool } from '@rag/db';
import type { StatsWindow } from '@rag/observability';
import type { WorkerFigures } from '@rag/queue';

/** This worker's figures for its heartbeat: slots, pool, and the stats window split into stages and outcomes. */
export function heartbeatFigures(d: {
  pool: Pool;
  poolMax: number;
  stats: StatsWindow;
  active: () => number;
  concurrency: number;
  metricsUrl: string;
}): () => WorkerFigures {
  return () => {
    const outcomes: WorkerFigures['outcomes'] = {};
    const stages: WorkerFigures['stages'] = {};
    for (const [name, s] of Object.entries(d.stats.summary())) {
      if (name.startsWith('outcome:')) outcomes[name.slice(8)] = s.count;
      else stages[name] = s;
    }
    return {
      metricsUrl: d.metricsUrl,
      concurrency: d.concurrency,
      active: d.active(),
      pool: { max: d.poolMax, total: d.pool.totalCount, idle: d.pool.idleCount, waiting: d.pool.waitingCount },
      windowSeconds: d.stats.windowSeconds,
      stages,
      outcomes,
    };
  };
}
