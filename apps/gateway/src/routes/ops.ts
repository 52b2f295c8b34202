import { Router } from 'express';
import { pingDatabase, type Pool } from '@rag/db';
import type { Metrics } from '@rag/observability';
import type { Redis } from '@rag/queue';
import type { Queue } from 'bullmq';

async function check(p: Promise<unknown>, timeoutMs: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      p,
      new Promise(
        (_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)),
      ),
    ]);
    return 'ok';
  } catch (err) {
    return (err as Error).message || 'unreachable';
  } finally {
    clearTimeout(timer);
  }
}

/** Liveness, readiness and Prometheus metrics. */
export function opsRouter(d: { redis: Redis; pool: Pool; metrics: Metrics; queue: Queue; isDraining: () => boolean }) {
  const r = Router();
  r.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  r.get('/readyz', async (_req, res) => {
    const [redis, postgres] = await Promise.all([check(d.redis.ping(), 1000), check(pingDatabase(d.pool), 1000)]);
    const checks = { redis, postgres };
    const failing: string[] = Object.entries(checks)
      .filter(([, v]) => v !== 'ok')
      .map(([k]) => (k === 'redis' ? 'Redis' : 'PostgreSQL'));
    if (d.isDraining()) failing.unshift('gateway (shutting down)');
    if (failing.length === 0) {
      res.json({ status: 'ready', checks });
      return;
    }
    res.status(503).json({
      status: 'not_ready',
      checks,
      error: {
        code: 'unavailable',
        message: `not ready: ${failing.join(', ')} ${failing.length > 1 ? 'are' : 'is'} not reachable`,
      },
    });
  });
  r.get('/metrics', async (_req, res) => {
    try {
      const counts = await d.queue.getJobCounts('wait', 'prioritized', 'active', 'delayed', 'completed', 'failed');
      for (const [state, n] of Object.entries(counts)) d.metrics.queueJobs.set({ state }, n);
    } catch {
      // Redis down: the queue gauges keep their last values; the rest of the metrics are still worth serving.
    }
    res.setHeader('content-type', d.metrics.registry.contentType);
    res.send(await d.metrics.registry.metrics());
  });
  return r;
}
