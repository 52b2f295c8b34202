export { collectFiles, titleOf } from './collect-files.ts';
export type { SourceFile } from './collect-files.ts';
export { ingestPaths, reusableEmbeddings } from './ingest-paths.ts';
export type { IngestSummary } from './ingest-paths.ts';
export { extractFile } from './extract-file.ts';
export { chunkDocument, embedChunks } from './ingest-pipeline.ts';
