import { z } from 'zod';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { errorResponses } from '../responses.ts';

const idParam = z.object({ id: z.string().meta({ description: 'the ask id from POST /v1/ask' }) });

const DESCRIPTION = [
  'Server-Sent Events (`text/event-stream`) of one ask, from any gateway, until its result expires. Each event has',
  'an `id:` (increasing within the ask), an `event:` name and JSON `data:`:',
  '',
  '- `status` `{"id", "status": "queued"|"active", "position"?, "attempt"?}`: first in every stream (its id is the',
  '  resume point); again when a worker starts the ask (`attempt` counts attempts). `position`: 1 = next to start.',
  '- `citations` `[...]`: the citations, before generation starts. A later `citations` event (a retry, or the',
  '  fallback generator taking over) restarts the answer: drop the tokens received before it.',
  '- `token` `{"text"}`: the texts after the last `citations` concatenate to the final `answer`.',
  '- exactly one terminal event, then the stream ends: `completed`, `failed` or `cancelled`, whose data is the ask',
  '  as `GET /v1/ask/{id}` returns it.',
  '',
  'A request with `Last-Event-ID` receives only the events after that id; a stream opened after the ask ended',
  'replays all of them. `: keep-alive` comment lines at least every 15 s.',
].join('\n');

/** GET /v1/ask/{id}/events (routes/asks.ts, ask-event-streams.ts). */
export const eventPaths: ZodOpenApiPathsObject = {
  '/v1/ask/{id}/events': {
    get: {
      operationId: 'streamAskEvents',
      tags: ['asks'],
      summary: 'Stream an ask: status, citations, tokens, its end (SSE)',
      description: DESCRIPTION,
      requestParams: {
        path: idParam,
        header: z.object({
          'last-event-id': z
            .string()
            .optional()
            .meta({ description: 'resume after this event id (what EventSource sends when it reconnects)' }),
        }),
      },
      responses: {
        '200': {
          description: 'the event stream',
          content: { 'text/event-stream': { schema: z.string() } },
        },
        ...errorResponses(400, 401, 404, 503),
      },
    },
  },
};
