import { z } from 'zod';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { askViewSchema } from '@rag/contract';

/**
 * What the service sends (OpenAPI 3.1 `webhooks`): the POST an ask's `callbackUrl` receives when the ask ends.
 * Built by @rag/webhooks (signing, delivery) from the same AskView schema GET /v1/ask/{id} answers with.
 */
export const webhookDescriptions: ZodOpenApiPathsObject = {
  askEnded: {
    post: {
      operationId: 'askEnded',
      tags: ['asks'],
      summary: 'An ask with a callbackUrl ended (completed, failed or cancelled)',
      description:
        "The ask's final view, exactly as GET /v1/ask/{id} returns it, POSTed to its callbackUrl and signed per " +
        'Standard Webhooks with WEBHOOK_SECRET: verify `webhook-signature` over `{webhook-id}.{webhook-timestamp}.{raw ' +
        'body}` with the standardwebhooks library. Retried with exponential backoff (8 attempts over about 40 ' +
        'minutes) until a 2xx; redirects are not followed. The same `webhook-id` on every attempt: drop repeats.',
      requestParams: {
        header: z.object({
          'webhook-id': z.string().meta({ description: '`msg_` + the ask id; the same on every attempt' }),
          'webhook-timestamp': z.string().meta({ description: 'this attempt, in seconds since the epoch' }),
          'webhook-signature': z
            .string()
            .meta({ description: '`v1,` + base64 HMAC-SHA256 of `id.timestamp.body` keyed with the secret' }),
        }),
      },
      requestBody: { required: true, content: { 'application/json': { schema: askViewSchema } } },
      responses: {
        '200': { description: 'Any 2xx: delivered; no further attempt' },
        default: { description: 'Anything else (3xx included), a timeout or no answer: retried later' },
      },
    },
  },
};
