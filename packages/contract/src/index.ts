export {
  ASK_ERROR_CODES,
  CALLBACK_URL_MAX_CHARS,
  TERMINAL,
  TIMEOUT_MS,
  askModeSchema,
  askRequestSchema,
  askViewSchema,
  topKSchema,
} from './ask.ts';
export type { AskErrorCode, AskMode, AskRequest, AskResult, AskStatus, AskView, Citation } from './ask.ts';
export { COLLECTION_PATTERN, DEFAULT_COLLECTION, collectionSchema } from './collection.ts';
export {
  documentViewSchema,
  documentListSchema,
  documentAcceptedSchema,
  documentDeletedSchema,
} from './documents.ts';
export type { DocumentView, DocumentStatus, IngestProgress } from './documents.ts';
