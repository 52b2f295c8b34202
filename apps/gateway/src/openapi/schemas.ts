import { z } from 'zod';
import { askViewSchema } from '@rag/contract';

/**
 * Response shapes of the HTTP API that are HTTP-only (the error envelope, the 202 body). The ask itself is
 * described by @rag/contract's schemas, the same objects the gateway validates and the worker produces.
 */

export const errorSchema = z
  .object({
    error: z.object({
      code: z.string().meta({ example: 'invalid_request' }),
      message: z.string(),
      details: z
        .array(z.object({ field: z.string(), message: z.string() }))
        .optional()
        .meta({ description: 'for invalid_request: which field and what is wrong with it' }),
    }),
  })
  .meta({ id: 'Error', description: 'Every error response has this shape.' });

export const askAcceptedSchema = askViewSchema
  .extend({ statusUrl: z.string().meta({ example: '/v1/ask/123' }) })
  .meta({ id: 'AskAccepted', description: 'An accepted ask not yet finished: poll statusUrl or stream its events.' });
