import { Router } from 'express';
import type { Queue } from 'bullmq';
import { connectionFigures, type Pool } from '@rag/db';
import { liveWorkers, type Redis, type RedisKeys, type StageFigures, type WorkerHeartbeat } from '@rag/queue';

/** Count-weighted merge of per-worker percentiles: exact for one worker, an approximation across several. */
function mergeStages(workers: WorkerHeartbeat[]) {
  const out: Record<string, StageFigures> = {};
  for (const w of workers) {
    for (const [stage, s] of Object.entries(w.stages)) {
      out[stage] ??= { count: 0, p50: 0, p95: 0, p99: 0 };
      const o = out[stage];
      const n = o.count + s.count;
      if (n === 0) continue;
      o.p50 = (o.p50 * o.count + s.p50 * s.count) / n;
      o.p95 = (o.p95 * o.count + s.p95 * s.count) / n;
      o.p99 = Math.max(o.p99, s.p99);
      o.count = n;
    }
  }
  for (const s of Object.values(out)) {
    s.p50 = Math.round(s.p50 * 10) / 10;
    s.p95 = Math.round(s.p95 * 10) / 10;
  }
  return out;
}

interface Recommendation {
  severity: 'info' | 'warning' | 'critical';
  message: string;
}

/** Advice computed from the figures (the old system's endpoint gave it by hand). */
function recommend(input: {
  workers: WorkerHeartbeat[];
  stages: ReturnType<typeof mergeStages>;
  waiting: number;
  errorRate: number;
  timeouts: number;
  pg?: { maxConnections: number; connections: number };
}): Recommendation[] {
  const r: Recommendation[] = [];
  const { workers, stages } = input;
  if (workers.length === 0) {
    r.push({
      severity: 'critical',
      message:
        'No live workers: asks wait in the queue until one starts (npm run start:worker, or scale the worker deployment).',
    });
    return r;
  }
  const poolWaiting = workers.filter((w) => w.pool.waiting > 0);
  const pw = stages.pool_wait;
  if (poolWaiting.length > 0 || (pw && pw.count > 0 && pw.p95 > 20)) {
    r.push({
      severity: 'warning',
      message:
        `Retrieval waits for database connections (${poolWaiting.length} worker(s) waiting now${pw ? `, p95 wait ${pw.p95} ms` : ''}): ` +
        'raise PG_POOL_MAX (within max_connections) if PostgreSQL has idle CPU; if it is CPU-bound, more connections only move the wait into PostgreSQL, so add database capacity or lower WORKER_CONCURRENCY.',
    });
  }
  const slots = workers.reduce((n, w) => n + w.concurrency, 0);
  const active = workers.reduce((n, w) => n + w.active, 0);
  const qw = stages.queue_wait;
  const gen = stages.generation;
  if (qw && qw.count > 0 && qw.p95 > 100 && (!gen || qw.p95 > gen.p95)) {
    r.push({
      severity: 'warning',
      message: `Queue wait dominates (p95 ${qw.p95} ms vs generation p95 ${gen?.p95 ?? 0} ms): add workers or raise WORKER_CONCURRENCY if the LLM has headroom.`,
    });
  }
  if (active >= slots * 0.9 && input.waiting > 0) {
    r.push({
      severity: 'warning',
      message: `All ${slots} worker slots are busy with ${input.waiting} asks waiting: add workers (KEDA scales on this queue's wait list).`,
    });
  }
  if (input.pg && input.pg.connections >= 0.8 * input.pg.maxConnections) {
    r.push({
      severity: 'critical',
      message: `PostgreSQL connections at ${input.pg.connections}/${input.pg.maxConnections}: lower PG_POOL_MAX, or put PgBouncer (transaction mode) in front.`,
    });
  }
  if (input.errorRate > 0.05) {
    r.push({
      severity: 'warning',
      message: `${Math.round(input.errorRate * 100)}% of recent asks failed: check the error codes below and the LLM / database health.`,
    });
  }
  if (input.timeouts > 0) {
    r.push({
      severity: 'info',
      message: `${input.timeouts} ask(s) hit their deadline recently: raise timeoutMs / ASK_TIMEOUT_MS or speed up generation.`,
    });
  }
  if (r.length === 0) r.push({ severity: 'info', message: 'No bottleneck detected in the last window.' });
  return r;
}

async function pgFigures(pool: Pool) {
  try {
    return await connectionFigures(pool);
  } catch {
    return undefined;
  }
}

export function monitoringRouter(d: { redis: Redis; keys: RedisKeys; pool: Pool; poolMax: number; queue: Queue }) {
  const r = Router();

  r.get('/pool-status', async (_req, res) => {
    const [workers, pg] = await Promise.all([liveWorkers(d.redis, d.keys), pgFigures(d.pool)]);
    const sum = (f: (w: WorkerHeartbeat) => number) => workers.reduce((n, w) => n + f(w), 0);
    res.json({
      at: new Date().toISOString(),
      gateway: {
        pool: { max: d.poolMax, total: d.pool.totalCount, idle: d.pool.idleCount, waiting: d.pool.waitingCount },
      },
      workers: workers.map((w) => ({
        id: w.id,
        host: w.host,
        pid: w.pid,
        startedAt: w.startedAt,
        lastSeenMs: Date.now() - w.at,
        metricsUrl: w.metricsUrl,
        concurrency: w.concurrency,
        active: w.active,
        pool: w.pool,
      })),
      totals: {
        workers: workers.length,
        concurrency: sum((w) => w.concurrency),
        active: sum((w) => w.active),
        pool: {
          max: sum((w) => w.pool.max),
          total: sum((w) => w.pool.total),
          idle: sum((w) => w.pool.idle),
          waiting: sum((w) => w.pool.waiting),
        },
      },
      postgres: pg,
    });
  });

  r.get('/performance-metrics', async (_req, res) => {
    const [workers, counts, pg] = await Promise.all([
      liveWorkers(d.redis, d.keys),
      d.queue.getJobCounts('wait', 'prioritized', 'active', 'delayed'),
      pgFigures(d.pool),
    ]);
    const stages = mergeStages(workers);
    const outcomes: Record<string, number> = {};
    for (const w of workers) for (const [k, n] of Object.entries(w.outcomes)) outcomes[k] = (outcomes[k] ?? 0) + n;
    const finished = Object.values(outcomes).reduce((a, b) => a + b, 0);
    const failed = finished - (outcomes.completed ?? 0) - (outcomes.cancelled ?? 0);
    const windowSeconds = workers[0]?.windowSeconds ?? 60;
    const waiting = (counts.wait ?? 0) + (counts.prioritized ?? 0) + (counts.delayed ?? 0);
    const errorRate = finished ? failed / finished : 0;
    res.json({
      at: new Date().toISOString(),
      windowSeconds,
      workers: workers.length,
      throughput: { completedPerSecond: Math.round(((outcomes.completed ?? 0) / windowSeconds) * 100) / 100, finished },
      latencyMs: stages,
      outcomes,
      errorRate: Math.round(errorRate * 10000) / 10000,
      queue: { waiting, active: counts.active ?? 0 },
      perWorker: workers.map((w) => ({ id: w.id, stages: w.stages, outcomes: w.outcomes })),
      recommendations: recommend({ workers, stages, waiting, errorRate, timeouts: outcomes.timeout ?? 0, pg }),
    });
  });

  return r;
}
