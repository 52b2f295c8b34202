export {
  ASK_ERROR_CODES,
  ASK_MODES,
  ASK_STATUSES,
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
