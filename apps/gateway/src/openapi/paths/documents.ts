import { z } from 'zod';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import {
  collectionSchema,
  documentAcceptedSchema,
  documentDeletedSchema,
  documentListSchema,
  documentViewSchema,
} from '@rag/contract';
import { errorResponses, json } from '../responses.ts';

const idParam = z.object({ id: z.string().meta({ description: 'the document key (`doc_...`) from the upload' }) });

/** The multipart form of an upload (routes/documents.ts reads it with busboy as it streams). */
const uploadForm = z.object({
  file: z.string().meta({ format: 'binary', description: 'PDF, DOCX, HTML, Markdown or plain text' }),
  collection: collectionSchema.optional().meta({ description: 'default "default"' }),
  documentId: z.string().max(1000).optional().meta({ description: 'default: the file name' }),
  title: z.string().max(500).optional().meta({ description: 'default: the title the extractor finds' }),
});

/** POST/GET /v1/documents, GET/DELETE /v1/documents/{id} (routes/documents.ts). */
export const documentPaths: ZodOpenApiPathsObject = {
  '/v1/documents': {
    post: {
      operationId: 'uploadDocument',
      tags: ['documents'],
      summary: 'Upload a document',
      description:
        'Streams the file into the database (refused with 413 as soon as it passes MAX_UPLOAD_BYTES, 415 when its ' +
        'content is no readable type), then queues its ingestion. The same `documentId` in the same collection ' +
        'replaces the earlier version atomically once the new one is ready. With API keys, needs a key that may write.',
      requestBody: { required: true, content: { 'multipart/form-data': { schema: uploadForm } } },
      responses: {
        '202': {
          ...json('stored and queued: follow statusUrl', documentAcceptedSchema),
          headers: { Location: { description: 'the document', schema: { type: 'string' as const } } },
        },
        ...errorResponses(400, 401, 403, 413, 415),
      },
    },
    get: {
      operationId: 'listDocuments',
      tags: ['documents'],
      summary: "List a collection's documents, newest first",
      requestParams: {
        query: z.object({
          collection: collectionSchema.optional(),
          limit: z.number().int().min(1).max(100).optional().meta({ description: 'default 20' }),
          cursor: z.string().optional().meta({ description: 'nextCursor of the previous page' }),
        }),
      },
      responses: { '200': json('one page', documentListSchema), ...errorResponses(400, 401, 403) },
    },
  },
  '/v1/documents/{id}': {
    get: {
      operationId: 'getDocument',
      tags: ['documents'],
      summary: "Read a document's state and ingestion progress",
      requestParams: { path: idParam },
      responses: { '200': json('the document', documentViewSchema), ...errorResponses(401, 403, 404) },
    },
    delete: {
      operationId: 'deleteDocument',
      tags: ['documents'],
      summary: 'Delete a document and its chunks (no later answer, cached or not, cites it)',
      requestParams: { path: idParam },
      responses: { '200': json('deleted', documentDeletedSchema), ...errorResponses(401, 403, 404) },
    },
  },
};
