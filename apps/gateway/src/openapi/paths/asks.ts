import { z } from 'zod';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { askRequestSchema, askViewSchema } from '@rag/contract';
import { errorResponses, json } from '../responses.ts';
import { askAcceptedSchema } from '../schemas.ts';

const idParam = z.object({ id: z.string().meta({ description: 'the ask id from POST /v1/ask' }) });
const locationHeaders = {
  Location: { description: 'where to read the ask', schema: { type: 'string' as const } },
  'Retry-After': { description: 'seconds before polling again', schema: { type: 'string' as const } },
};

/** Anonymous unless the gateway has API_KEY_HASHES; then a key is required. */
const OPTIONAL_API_KEY: Record<string, string[]>[] = [{}, { apiKey: [] }];

/** POST /v1/ask, GET and DELETE /v1/ask/{id} (routes/asks.ts). */
export const askPaths: ZodOpenApiPathsObject = {
  '/v1/ask': {
    post: {
      operationId: 'submitAsk',
      tags: ['asks'],
      security: OPTIONAL_API_KEY,
      summary: 'Ask a question',
      description:
        'Queues the question. With `Prefer: wait=N` (N ≤ 30) the answer comes in this response when ready in time. ' +
        'With `Accept: text/event-stream` the ask is streamed in this response (see GET /v1/ask/{id}/events).',
      requestParams: {
        header: z.object({
          prefer: z.string().optional().meta({ description: '`wait=N`: hold the request up to N seconds (≤ 30)' }),
          'idempotency-key': z
            .string()
            .max(200)
            .optional()
            .meta({ description: 'the same key and body return the same ask; another body gets 409' }),
        }),
      },
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: askRequestSchema,
            example: { question: 'Bảo đảm dự thầu là gì?', mode: 'fast', topK: 5 },
          },
        },
      },
      responses: {
        '200': {
          description:
            'answered at once (cache) or within Prefer: wait; with `Accept: text/event-stream`, the ask streamed in ' +
            'this response (events as for GET /v1/ask/{id}/events, the first `status` carrying the new id; Location set)',
          content: {
            'application/json': { schema: askViewSchema },
            'text/event-stream': { schema: z.string() },
          },
        },
        '202': { ...json('queued: poll statusUrl or stream its events', askAcceptedSchema), headers: locationHeaders },
        ...errorResponses(400, 401, 409, 413, 415, 429, 503),
      },
    },
  },
  '/v1/ask/{id}': {
    get: {
      operationId: 'getAsk',
      tags: ['asks'],
      security: OPTIONAL_API_KEY,
      summary: 'Read an ask (optionally long-poll)',
      requestParams: {
        path: idParam,
        query: z.object({
          wait: z.number().min(0).max(30).optional().meta({ description: 'seconds to wait for a terminal state' }),
        }),
      },
      responses: {
        '200': json('the ask; with wait, as soon as it is terminal or at the end of the wait', askViewSchema),
        ...errorResponses(400, 401, 404, 503),
      },
    },
    delete: {
      operationId: 'cancelAsk',
      tags: ['asks'],
      security: OPTIONAL_API_KEY,
      summary: 'Cancel a queued or running ask',
      requestParams: { path: idParam },
      responses: {
        '200': json('cancelled', askViewSchema),
        ...errorResponses(401, 404, 409, 503),
      },
    },
  },
};
