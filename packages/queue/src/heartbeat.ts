import os from 'node:os';
import type { RedisKeys } from './keys.ts';
import type { Redis } from './redis.ts';

const HEARTBEAT_INTERVAL_MS = 2000;
/** A worker silent this long (three missed beats) is considered gone, e.g. killed without saying goodbye. */
const HEARTBEAT_STALE_MS = 3 * HEARTBEAT_INTERVAL_MS;

export interface StageFigures {
  count: number;
  p50: number;
  p95: number;
  p99: number;
}

/** What a worker publishes about itself; the gateway's /monitoring/* read it. */
export interface WorkerHeartbeat {
  id: string;
  host: string;
  pid: number;
  startedAt: string;
  /** Epoch ms it was written. */
  at: number;
  metricsUrl: string;
  concurrency: number;
  active: number;
  pool: { max: number; total: number; idle: number; waiting: number };
  windowSeconds: number;
  stages: Record<string, StageFigures>;
  outcomes: Record<string, number>;
}

/** The figures a worker reports; the heartbeat adds who and when. */
export type WorkerFigures = Omit<WorkerHeartbeat, 'id' | 'host' | 'pid' | 'startedAt' | 'at'>;

interface Heartbeat {
  /** Stops beating and removes this worker's entry. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Publishes a worker's figures every HEARTBEAT_INTERVAL_MS into the hash `${prefix}:workers` (field = worker id);
 * one key for all workers keeps the gateway's read to one HGETALL.
 */
export function startHeartbeat(d: {
  id: string;
  redis: Redis;
  keys: RedisKeys;
  figures: () => WorkerFigures;
  onError: (err: unknown) => void;
}): Heartbeat {
  const startedAt = new Date().toISOString();
  const beat = async () => {
    const hb: WorkerHeartbeat = {
      id: d.id,
      host: os.hostname(),
      pid: process.pid,
      startedAt,
      at: Date.now(),
      ...d.figures(),
    };
    await d.redis.hset(d.keys.workers, d.id, JSON.stringify(hb));
  };
  const tick = () => beat().catch(d.onError);
  void tick();
  const timer = setInterval(tick, HEARTBEAT_INTERVAL_MS);
  timer.unref();
  let stopping: Promise<void> | undefined;
  return {
    stop() {
      stopping ??= (async () => {
        clearInterval(timer);
        await d.redis.hdel(d.keys.workers, d.id).catch(() => {});
      })();
      return stopping;
    },
  };
}

/** Live workers' heartbeats, sorted by id; stale entries are dropped from the hash as they are found. */
export async function liveWorkers(redis: Redis, keys: RedisKeys): Promise<WorkerHeartbeat[]> {
  const all = await redis.hgetall(keys.workers);
  const now = Date.now();
  const live: WorkerHeartbeat[] = [];
  const stale: string[] = [];
  for (const [id, raw] of Object.entries(all)) {
    const hb = JSON.parse(raw) as WorkerHeartbeat;
    if (now - hb.at > HEARTBEAT_STALE_MS) stale.push(id);
    else live.push(hb);
  }
  if (stale.length) await redis.hdel(keys.workers, ...stale);
  return live.sort((a, b) => a.id.localeCompare(b.id));
}
