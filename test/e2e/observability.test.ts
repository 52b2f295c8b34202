import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { AskView } from '@rag/contract';
import type { StageFigures } from '@rag/queue';
import { api, waitUntil } from '@rag/testing';
import { startTestStack, type TestStack } from '../support/test-stack.ts';

/** The parts of the monitoring answers these tests read (apps/gateway/src/routes/monitoring.ts and ops.ts). */
interface PoolStatus {
  workers: {
    id: string;
    concurrency: number;
    lastSeenMs: number;
    pool: { max: number; total: number; idle: number; waiting: number };
  }[];
  totals: { workers: number; concurrency: number };
  postgres: { maxConnections: number };
}
interface PerformanceMetrics {
  workers: number;
  latencyMs: Record<string, StageFigures>;
  outcomes: Record<string, number>;
  throughput: { completedPerSecond: number };
  recommendations: { severity: string; message: string }[];
}
type Readiness = { status: string; checks: { redis: string; postgres: string } };

/** The value of the sample of `name` whose labels include `labels` (label order does not matter). */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-z_:]+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...m[2].matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

describe('metrics and monitoring endpoints', () => {
  let stack: TestStack;
  let dir: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rag-obs-'));
    await fs.writeFile(
      path.join(dir, 'a.md'),
      '# Đấu thầu qua mạng\n\nĐấu thầu qua mạng được thực hiện trên Hệ thống mạng đấu thầu quốc gia.',
    );
    stack = await startTestStack({ workers: 2, ingest: [dir], env: { CACHE_TTL_S: '0' } });
    for (let i = 0; i < 20; i++) {
      const r = await api<AskView>(stack.url, '/v1/ask', {
        method: 'POST',
        headers: { prefer: 'wait=10' },
        json: { question: `đấu thầu qua mạng ${i}` },
      });
      assert.equal(r.json.status, 'completed');
    }
    // Until both workers have published a heartbeat that includes these asks (every 2 s).
    await waitUntil(
      async () =>
        (await api<Partial<PerformanceMetrics>>(stack.url, '/monitoring/performance-metrics')).json.outcomes
          ?.completed === 20,
      { message: 'the heartbeats never counted the 20 asks' },
    );
  });
  after(async () => {
    await stack.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  test('/monitoring/pool-status lists both live workers with their pool figures', async () => {
    const res = await api<PoolStatus>(stack.url, '/monitoring/pool-status');
    assert.equal(res.status, 200);
    const ids = res.json.workers.map((w: { id: string }) => w.id).sort();
    assert.deepEqual(ids, stack.workers.map((w) => w.id).sort());
    for (const w of res.json.workers) {
      assert.equal(w.concurrency, stack.config.WORKER_CONCURRENCY);
      assert.equal(w.pool.max, stack.config.PG_POOL_MAX);
      assert.ok(w.pool.total >= 1, 'each worker opened at least one connection');
      for (const k of ['total', 'idle', 'waiting'] as const) assert.equal(typeof w.pool[k], 'number');
      assert.ok(w.lastSeenMs < 6000);
    }
    assert.equal(res.json.totals.workers, 2);
    assert.equal(res.json.totals.concurrency, 2 * stack.config.WORKER_CONCURRENCY);
    assert.ok(res.json.postgres.maxConnections > 0);
  });

  test('/monitoring/performance-metrics gives per-stage percentiles, throughput and recommendations', async () => {
    const res = await api<PerformanceMetrics>(stack.url, '/monitoring/performance-metrics');
    assert.equal(res.status, 200);
    const { latencyMs } = res.json;
    for (const stage of ['queue_wait', 'embedding', 'retrieval', 'generation', 'total']) {
      assert.ok(latencyMs[stage], `stage ${stage}`);
      assert.ok(latencyMs[stage].p95 >= latencyMs[stage].p50);
    }
    assert.equal(latencyMs.total.count, 20);
    assert.equal(res.json.outcomes.completed, 20);
    assert.ok(res.json.throughput.completedPerSecond > 0);
    assert.ok(Array.isArray(res.json.recommendations) && res.json.recommendations.length >= 1);
    for (const r of res.json.recommendations) assert.ok(['info', 'warning', 'critical'].includes(r.severity));
  });

  test('a stopped worker disappears from pool-status', async () => {
    const w = stack.workers.pop()!;
    await w.close();
    const res = await api<PoolStatus>(stack.url, '/monitoring/pool-status');
    assert.equal(res.json.workers.length, 1);
    const perf = await api<PerformanceMetrics>(stack.url, '/monitoring/performance-metrics');
    assert.equal(perf.json.workers, 1);
  });

  test('/metrics exposes asks, stages, queue depth and HTTP figures in Prometheus text', async () => {
    const res = await api(stack.url, '/metrics');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
    assert.equal(sample(res.text, 'rag_asks_submitted_total', { service: 'gateway', served: 'queued' }), 20);
    assert.equal(sample(res.text, 'rag_queue_jobs', { state: 'completed' }), 20);
    assert.equal(
      sample(res.text, 'rag_http_request_duration_seconds_count', { method: 'POST', route: '/v1/ask', status: '200' }),
      20,
    );
    // Each worker serves its own metrics on its metrics port.
    const wm = await fetch(`${stack.workers[0].metricsUrl}/metrics`).then((r) => r.text());
    assert.ok((sample(wm, 'rag_stage_duration_seconds_count', { service: 'worker', stage: 'retrieval' }) ?? 0) > 0);
    assert.ok((sample(wm, 'rag_pg_pool_connections', { state: 'total' }) ?? 0) >= 1);
    assert.ok((sample(wm, 'rag_asks_finished_total', { outcome: 'completed' }) ?? 0) > 0);
  });

  test('/healthz and /readyz', async () => {
    assert.deepEqual((await api(stack.url, '/healthz')).json, { status: 'ok' });
    const ready = await api<Readiness>(stack.url, '/readyz');
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.json.checks, { redis: 'ok', postgres: 'ok' });
  });
});
