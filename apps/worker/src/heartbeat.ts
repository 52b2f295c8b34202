import os from 'node:os';
import type { Worker } from 'bullmq';
import type { Pool } from '@rag/db';
import type { Logger, Metrics, StatsWindow } from '@rag/observability';
import type { Redis, RedisKeys } from '@rag/queue';

export const HEARTBEAT_INTERVAL_MS = 2000;
/** A worker missing this long is considered gone. */
export const HEARTBEAT_TTL_MS = 3 * HEARTBEAT_INTERVAL_MS;

/** What a worker publishes about itself for /monitoring/* on the gateway. */
export interface WorkerHeartbeat {
  id: string;
  host: string;
  pid: number;
  startedAt: string;
  at: number;
  metricsUrl: string;
  concurrency: number;
  active: number;
  pool: { max: number; total: number; idle: number; waiting: number };
  windowSeconds: number;
  stages: Record<string, { count: number; p50: number; p95: number; p99: number }>;
  outcomes: Record<string, number>;
}

/**
 * Publishes this worker's figures every 2 s into the hash `${prefix}:workers` (field = worker id, with the time
 * it was written); the gateway lists the fresh ones. One key for all workers keeps reads to one HGETALL.
 */
export function startHeartbeat(d: {
  id: string;
  redis: Redis;
  keys: RedisKeys;
  worker: Worker;
  pool: Pool;
  poolMax: number;
  metrics: Metrics;
  stats: StatsWindow;
  active: () => number;
  concurrency: number;
  metricsUrl: string;
  logger: Logger;
}) {
  const startedAt = new Date().toISOString();
  const beat = async () => {
    const summary = d.stats.summary();
    const outcomes: Record<string, number> = {};
    const stages: WorkerHeartbeat['stages'] = {};
    for (const [name, s] of Object.entries(summary)) {
      if (name.startsWith('outcome:')) outcomes[name.slice(8)] = s.count;
      else stages[name] = s;
    }
    const hb: WorkerHeartbeat = {
      id: d.id,
      host: os.hostname(),
      pid: process.pid,
      startedAt,
      at: Date.now(),
      metricsUrl: d.metricsUrl,
      concurrency: d.concurrency,
      active: d.active(),
      pool: { max: d.poolMax, total: d.pool.totalCount, idle: d.pool.idleCount, waiting: d.pool.waitingCount },
      windowSeconds: d.stats.windowSeconds,
      stages,
      outcomes,
    };
    await d.redis.hset(d.keys.workers, d.id, JSON.stringify(hb));
  };
  const tick = () => beat().catch((err: unknown) => d.logger.debug({ err }, 'heartbeat failed'));
  void tick();
  const timer = setInterval(tick, HEARTBEAT_INTERVAL_MS);
  timer.unref();
  return {
    async stop(): Promise<void> {
      clearInterval(timer);
      await d.redis.hdel(d.keys.workers, d.id).catch(() => {});
    },
  };
}
