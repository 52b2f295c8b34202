export { extractDocument } from './sandbox/extract-document.ts';
export { ExtractorPool } from './sandbox/extractor-pool.ts';
export type {
  ExtractOptions,
  ExtractorPoolOptions,
  ExtractResult,
} from './sandbox/extractor-pool.ts';
export { detectFormat } from './detect-format.ts';
export { ExtractError, isExtractError } from './errors.ts';
export type { ExtractErrorCode } from './errors.ts';
export { DEFAULT_LIMITS } from './types.ts';
export type { DocumentFormat, ExtractedDocument, ExtractedPage, ExtractLimits } from './types.ts';
