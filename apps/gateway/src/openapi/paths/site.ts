import { z } from 'zod';
import type { ZodOpenApiPathsObject } from 'zod-openapi';

const html = (description: string) => ({ description, content: { 'text/html': { schema: z.string() } } });

/** The page, this document and its reader (site.ts). */
export const sitePaths: ZodOpenApiPathsObject = {
  '/': {
    get: {
      operationId: 'page',
      tags: ['site'],
      summary: 'The web page to ask questions',
      responses: { '200': html('the page') },
    },
  },
  '/docs': {
    get: {
      operationId: 'apiReference',
      tags: ['site'],
      summary: 'This API reference',
      responses: { '200': html('the reference') },
    },
  },
  '/openapi.json': {
    get: {
      operationId: 'openapi',
      tags: ['site'],
      summary: 'This document (OpenAPI 3.1)',
      responses: {
        '200': { description: 'the document', content: { 'application/json': { schema: z.looseObject({}) } } },
      },
    },
  },
};
