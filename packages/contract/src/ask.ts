import { z } from 'zod';
import { collectionSchema, DEFAULT_COLLECTION } from './collection.ts';

/**
 * The ask surface of CONTRACT.md, defined once: the gateway validates requests with these schemas, the queue and
 * the worker carry and produce values of the inferred types, and the OpenAPI document is generated from them.
 * Add a field here (and only here) when the contract gains one.
 */

const ASK_MODES = ['fast', 'quality'] as const;
export const askModeSchema = z.enum(ASK_MODES);
export type AskMode = z.infer<typeof askModeSchema>;

/** Passages an ask may retrieve (`topK`). */
const TOP_K = { min: 1, max: 20, default: 5 } as const;
export const topKSchema = z.number().int().min(TOP_K.min).max(TOP_K.max);

/** Per-ask deadline bounds (`timeoutMs`), from submission. */
export const TIMEOUT_MS = { min: 1000, max: 120_000 } as const;

const QUESTION_MAX_CHARS = 4000;

/** Longest `callbackUrl` accepted. */
export const CALLBACK_URL_MAX_CHARS = 2048;

/** POST /v1/ask body. Unknown fields are refused so that typos do not pass silently. */
export const askRequestSchema = z.strictObject({
  // .trim() rather than a transform: the limits apply after trimming and still show in the JSON Schema.
  question: z
    .string({ error: 'question must be a string' })
    .trim()
    .min(1, 'question must not be empty')
    .max(QUESTION_MAX_CHARS, `question must be at most ${QUESTION_MAX_CHARS} characters`),
  mode: askModeSchema.default('fast'),
  topK: topKSchema.default(TOP_K.default),
  /** Retrieval looks only at this collection's documents. */
  collection: collectionSchema.default(DEFAULT_COLLECTION),
  filters: z
    .strictObject({
      documentIds: z.array(z.string().min(1).max(1000)).min(1).max(100).optional(),
    })
    .optional(),
  timeoutMs: z.number().int().min(TIMEOUT_MS.min).max(TIMEOUT_MS.max).optional(),
  /**
   * Where the ask's final view (as GET /v1/ask/:id) is POSTed when it ends, signed per Standard Webhooks. http(s)
   * only; the gateway also refuses (400) a host that is, or resolves to, a loopback, private, link-local or
   * metadata address, and a server without WEBHOOK_SECRET refuses callbacks altogether.
   */
  callbackUrl: z
    .url({ protocol: /^https?$/, error: 'callbackUrl must be an absolute http or https URL' })
    .max(CALLBACK_URL_MAX_CHARS, `callbackUrl must be at most ${CALLBACK_URL_MAX_CHARS} characters`)
    .meta({
      description:
        'Where the final view (as GET /v1/ask/{id}) is POSTed when the ask ends, signed per Standard Webhooks ' +
        '(headers webhook-id, webhook-timestamp, webhook-signature). Public http(s) targets only: loopback, ' +
        'private, link-local and metadata addresses get 400, as does any callbackUrl when the server has no ' +
        'WEBHOOK_SECRET. Retried with exponential backoff until a 2xx.',
    })
    .optional(),
});
export type AskRequest = z.infer<typeof askRequestSchema>;

/** One source of an answer; the answer cites it as `[index]`. */
const citationSchema = z.object({
  index: z.number().int().min(1),
  documentId: z.string(),
  title: z.string(),
  chunkId: z.string(),
  score: z.number(),
  snippet: z.string(),
  /** The 1-based page of a PDF chunk. */
  page: z.number().int().min(1).optional(),
});
export type Citation = z.infer<typeof citationSchema>;

const askTimingsSchema = z.object({
  queuedMs: z.number(),
  embeddingMs: z.number().optional(),
  /** Wait for a pooled database connection (part of retrievalMs). */
  poolWaitMs: z.number().optional(),
  retrievalMs: z.number(),
  generationMs: z.number(),
  totalMs: z.number(),
});

/** The `result` of a completed ask. */
const askResultSchema = z.object({
  answer: z.string(),
  /** false when the documents do not answer the question: `citations` is empty and `answer` says so. */
  answerable: z.boolean(),
  citations: z.array(citationSchema),
  mode: askModeSchema,
  model: z.string(),
  cached: z.boolean(),
  degraded: z.boolean().optional(),
  timings: askTimingsSchema,
});
export type AskResult = z.infer<typeof askResultSchema>;

const ASK_STATUSES = ['queued', 'active', 'completed', 'failed', 'cancelled'] as const;
const askStatusSchema = z.enum(ASK_STATUSES);
export type AskStatus = z.infer<typeof askStatusSchema>;
export const TERMINAL: ReadonlySet<AskStatus> = new Set<AskStatus>(['completed', 'failed', 'cancelled']);

/** `error.code` of a failed or cancelled ask. */
export const ASK_ERROR_CODES = [
  'timeout',
  'expired',
  'retrieval_failed',
  'generation_failed',
  'cancelled',
  'internal',
] as const;
const askErrorCodeSchema = z.enum(ASK_ERROR_CODES);
export type AskErrorCode = z.infer<typeof askErrorCodeSchema>;

/** What GET /v1/ask/:id returns. */
export const askViewSchema = z.object({
  id: z.string(),
  status: askStatusSchema,
  createdAt: z.string(),
  finishedAt: z.string().optional(),
  result: askResultSchema.optional(),
  error: z.object({ code: askErrorCodeSchema, message: z.string() }).optional(),
});
export type AskView = z.infer<typeof askViewSchema>;
