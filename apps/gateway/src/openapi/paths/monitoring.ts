import { z } from 'zod';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { errorResponses, json } from '../responses.ts';

const poolFigures = z.object({ max: z.number(), total: z.number(), idle: z.number(), waiting: z.number() });

const poolStatusSchema = z
  .object({
    at: z.iso.datetime(),
    gateway: z.object({ pool: poolFigures }),
    workers: z.array(
      z
        .object({ id: z.string(), host: z.string(), pid: z.number(), concurrency: z.number(), active: z.number() })
        .loose(),
    ),
    totals: z.object({ workers: z.number(), concurrency: z.number(), active: z.number(), pool: poolFigures }),
    postgres: z.unknown(),
  })
  .meta({ id: 'PoolStatus' });

const performanceSchema = z
  .object({
    at: z.iso.datetime(),
    windowSeconds: z.number(),
    workers: z.number(),
    throughput: z.object({ completedPerSecond: z.number(), finished: z.number() }),
    latencyMs: z.record(z.string(), z.object({ count: z.number(), p50: z.number(), p95: z.number(), p99: z.number() })),
    outcomes: z.record(z.string(), z.number()),
    errorRate: z.number(),
    queue: z.object({ waiting: z.number(), active: z.number() }),
    recommendations: z.array(z.object({ severity: z.enum(['info', 'warning', 'critical']), message: z.string() })),
  })
  .loose()
  .meta({ id: 'PerformanceMetrics' });

/** Live workers and figures (routes/monitoring.ts); behind basic auth when ADMIN_USER is set. */
export const monitoringPaths: ZodOpenApiPathsObject = {
  '/monitoring/pool-status': {
    get: {
      operationId: 'poolStatus',
      tags: ['operations'],
      summary: 'Live workers, slots and connection pools',
      responses: { '200': json('figures', poolStatusSchema), ...errorResponses(401) },
    },
  },
  '/monitoring/performance-metrics': {
    get: {
      operationId: 'performanceMetrics',
      tags: ['operations'],
      summary: 'Per-stage latency percentiles, outcomes, queue depth and recommendations',
      responses: { '200': json('figures', performanceSchema), ...errorResponses(401) },
    },
  },
};
