import { createDocument, type ZodOpenApiPathsObject } from 'zod-openapi';
import { askRequestSchema, askViewSchema } from '@rag/contract';
import { askPaths } from './paths/asks.ts';
import { eventPaths } from './paths/events.ts';
import { documentPaths } from './paths/documents.ts';
import { monitoringPaths } from './paths/monitoring.ts';
import { opsPaths } from './paths/ops.ts';
import { sitePaths } from './paths/site.ts';
import { webhookDescriptions } from './webhooks.ts';

/**
 * Every route's description, one module per router. A route added without its entry here fails
 * test/e2e/openapi.test.ts (it compares this list with the routes Express actually has, both ways).
 */
const PATHS: ZodOpenApiPathsObject[] = [askPaths, eventPaths, documentPaths, opsPaths, monitoringPaths, sitePaths];

/** CONTRACT.md: the ask routes are also served without the /v1 prefix (POST /ask, GET /ask/{id}, ...). */
const ALIASED = /^\/v1\/ask(\/|$)/;

function withAliases(paths: ZodOpenApiPathsObject): ZodOpenApiPathsObject {
  const out: ZodOpenApiPathsObject = { ...paths };
  for (const [path, item] of Object.entries(paths)) {
    if (!ALIASED.test(path) || typeof item !== 'object') continue;
    const alias: Record<string, unknown> = {};
    for (const [method, op] of Object.entries(item)) {
      alias[method] = {
        ...op,
        operationId: `${op.operationId}Alias`,
        summary: `${op.summary} (alias of ${path})`,
        tags: ['aliases'],
      };
    }
    out[path.slice('/v1'.length)] = alias;
  }
  return out;
}

/** The OpenAPI 3.1 document of the gateway, generated from the zod schemas the routes validate with. */
export function createOpenApiDocument(opts: { version?: string } = {}) {
  const paths: ZodOpenApiPathsObject = {};
  for (const p of PATHS) Object.assign(paths, p);
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'rag-queue',
      version: opts.version ?? '0.1.0',
      description:
        'Asynchronous RAG over a job queue: ask a question, get a cited answer by polling, long-polling, ' +
        'waiting in the request or streaming its tokens. Errors are `{"error": {"code", "message", "details"?}}`. ' +
        'The Bull Board dashboard at /admin/queues (HTTP basic auth) is a web UI, not described here.',
    },
    tags: [
      { name: 'asks', description: 'Questions and their answers' },
      { name: 'operations', description: 'Health, readiness, metrics and monitoring' },
      { name: 'site', description: 'The web page and this reference' },
      { name: 'aliases', description: 'The ask routes without the /v1 prefix' },
    ],
    components: {
      // Named components: every use of these very objects becomes a $ref to them.
      schemas: {
        AskRequest: askRequestSchema,
        AskView: askViewSchema,
      },
      securitySchemes: {
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          description: 'Needed on /v1 when the gateway has API_KEY_HASHES (also accepted as X-API-Key).',
        },
        admin: { type: 'http', scheme: 'basic', description: 'ADMIN_USER / ADMIN_PASSWORD, when set' },
      },
    },
    paths: withAliases(paths),
    webhooks: webhookDescriptions,
  });
}
