export { collectFiles, titleOf, INGESTIBLE_EXTENSIONS } from './collect-files.ts';
export type { SourceFile } from './collect-files.ts';
export { ingestPaths, reusableEmbeddings } from './ingest-paths.ts';
export type { IngestOptions, IngestSummary } from './ingest-paths.ts';
export { extractFile } from './extract-file.ts';
export { chunkDocument, embedChunks } from './ingest-pipeline.ts';
