import { z } from 'zod';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { json } from '../responses.ts';

const readySchema = z
  .object({
    status: z.enum(['ready', 'not_ready']),
    checks: z.object({ redis: z.string(), postgres: z.string() }).meta({ description: '"ok" or what went wrong' }),
    error: z.object({ code: z.literal('unavailable'), message: z.string() }).optional(),
  })
  .meta({ id: 'Readiness' });

/** Liveness, readiness and Prometheus metrics (routes/ops.ts). */
export const opsPaths: ZodOpenApiPathsObject = {
  '/healthz': {
    get: {
      operationId: 'healthz',
      tags: ['operations'],
      summary: 'The process is alive',
      responses: { '200': json('alive', z.object({ status: z.literal('ok') })) },
    },
  },
  '/readyz': {
    get: {
      operationId: 'readyz',
      tags: ['operations'],
      summary: 'Redis and PostgreSQL are reachable',
      responses: {
        '200': json('ready', readySchema),
        '503': json('not ready; the message names Redis or PostgreSQL (or shutting down)', readySchema),
      },
    },
  },
  '/metrics': {
    get: {
      operationId: 'metrics',
      tags: ['operations'],
      summary: 'Prometheus metrics of this gateway',
      responses: {
        '200': { description: 'Prometheus text exposition', content: { 'text/plain': { schema: z.string() } } },
      },
    },
  },
};
