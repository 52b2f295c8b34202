export { collectFiles, titleOf, INGESTIBLE_EXTENSIONS } from './collect-files.ts';
export type { SourceFile } from './collect-files.ts';
export { ingestPaths, reusableEmbeddings } from './ingest-paths.ts';
export type { IngestOptions, IngestSummary } from './ingest-paths.ts';
export { extractText, ExtractionError } from './extract-text.ts';
export type { ExtractedDocument, ExtractedPage } from './extract-text.ts';
export { chunkDocument, embedChunks } from './ingest-pipeline.ts';
export type { ChunkPiece } from './ingest-pipeline.ts';
