export {
  ASK_ERROR_CODES,
  ASK_MODES,
  ASK_STATUSES,
  CALLBACK_URL_MAX_CHARS,
  QUESTION_MAX_CHARS,
  TERMINAL,
  TIMEOUT_MS,
  TOP_K,
  askErrorCodeSchema,
  askModeSchema,
  askRequestSchema,
  askResultSchema,
  askStatusSchema,
  askTimingsSchema,
  askViewSchema,
  citationSchema,
  topKSchema,
} from './ask.ts';
export type { AskErrorCode, AskMode, AskRequest, AskResult, AskStatus, AskTimings, AskView, Citation } from './ask.ts';
export { COLLECTION_PATTERN, DEFAULT_COLLECTION, collectionSchema } from './collection.ts';
export {
  documentViewSchema,
  documentListSchema,
  documentAcceptedSchema,
  documentDeletedSchema,
  DOCUMENT_STATUSES,
} from './documents.ts';
export type { DocumentView, DocumentStatus, IngestProgress } from './documents.ts';
