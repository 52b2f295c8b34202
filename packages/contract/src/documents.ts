import { z } from 'zod';
import { collectionSchema } from './collection.ts';

/** The documents surface of CONTRACT.md ("Documents over HTTP"). */

const DOCUMENT_STATUSES = ['queued', 'processing', 'ready', 'failed'] as const;
const documentStatusSchema = z.enum(DOCUMENT_STATUSES);
export type DocumentStatus = z.infer<typeof documentStatusSchema>;

/** How far an ingestion got: extraction, then embedding (`embedded` of `chunks`), then storing. */
const ingestProgressSchema = z.object({
  stage: z.enum(['extracting', 'embedding', 'storing']),
  pages: z.number().int().optional(),
  chunks: z.number().int().optional(),
  embedded: z.number().int().optional(),
});
export type IngestProgress = z.infer<typeof ingestProgressSchema>;

/** GET /v1/documents/:id. `chunks`/`pages` describe the version that answers now (present once one is ready). */
export const documentViewSchema = z.object({
  id: z.string().describe('opaque key of the document (same for every version)'),
  documentId: z.string(),
  collection: collectionSchema,
  title: z.string(),
  status: documentStatusSchema.describe('the state of the latest upload'),
  chunks: z.number().int().optional(),
  pages: z.number().int().optional(),
  progress: ingestProgressSchema.optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type DocumentView = z.infer<typeof documentViewSchema>;

/** GET /v1/documents. */
export const documentListSchema = z.object({
  items: z.array(documentViewSchema),
  nextCursor: z.string().optional(),
});

/** 202 of POST /v1/documents. */
export const documentAcceptedSchema = z.object({
  id: z.string(),
  documentId: z.string(),
  collection: collectionSchema,
  status: z.literal('queued'),
  statusUrl: z.string(),
});

/** 200 of DELETE /v1/documents/:id. */
export const documentDeletedSchema = z.object({
  id: z.string(),
  documentId: z.string(),
  collection: collectionSchema,
  deleted: z.literal(true),
});
