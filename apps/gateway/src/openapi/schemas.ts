import { z } from 'zod';

/**
 * Response shapes of the HTTP API (CONTRACT.md), as zod schemas so that /openapi.json is generated from code and
 * tests can parse real responses with them. Request schemas are not here: the document uses the very objects
 * the routes validate with.
 */

export const errorSchema = z
  .object({
    error: z.object({
      code: z.string().meta({ example: 'invalid_request' }),
      message: z.string(),
      details: z
        .array(z.object({ field: z.string(), message: z.string() }).loose())
        .optional()
        .meta({ description: 'for invalid_request: which field and what is wrong with it' }),
    }),
  })
  .meta({ id: 'Error', description: 'Every error response has this shape.' });

export const askStatusSchema = z
  .enum(['queued', 'active', 'completed', 'failed', 'cancelled'])
  .meta({ id: 'AskStatus' });

export const askErrorCodeSchema = z
  .enum(['timeout', 'expired', 'retrieval_failed', 'generation_failed', 'cancelled', 'internal'])
  .meta({ id: 'AskErrorCode' });

export const citationSchema = z
  .object({
    index: z.number().int().min(1).meta({ description: 'the n of `[n]` in the answer' }),
    documentId: z.string(),
    title: z.string(),
    chunkId: z.string(),
    score: z.number(),
    snippet: z.string(),
    page: z.number().int().min(1).optional().meta({ description: 'page of a PDF the passage comes from' }),
  })
  .meta({ id: 'Citation' });

export const askResultSchema = z
  .object({
    answer: z.string().meta({ description: 'cites its sources as [1], [2], ... matching citations[].index' }),
    answerable: z
      .boolean()
      .optional()
      .meta({ description: 'false when the documents do not answer the question (citations then empty)' }),
    citations: z.array(citationSchema),
    mode: z.enum(['fast', 'quality']),
    model: z.string(),
    cached: z.boolean(),
    degraded: z.boolean().optional(),
    timings: z
      .object({
        queuedMs: z.number(),
        embeddingMs: z.number().optional(),
        poolWaitMs: z.number().optional(),
        retrievalMs: z.number(),
        generationMs: z.number(),
        totalMs: z.number(),
      })
      .loose(),
  })
  .meta({ id: 'AskResult' });

export const askViewSchema = z
  .object({
    id: z.string(),
    status: askStatusSchema,
    createdAt: z.iso.datetime(),
    finishedAt: z.iso.datetime().optional(),
    result: askResultSchema.optional(),
    error: z.object({ code: askErrorCodeSchema, message: z.string() }).optional(),
  })
  .meta({ id: 'AskView', description: 'What GET /v1/ask/{id} returns.' });

export const askAcceptedSchema = askViewSchema
  .extend({ statusUrl: z.string().meta({ example: '/v1/ask/123' }) })
  .meta({ id: 'AskAccepted', description: 'An accepted ask not yet finished: poll statusUrl.' });
