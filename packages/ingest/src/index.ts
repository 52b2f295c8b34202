export { collectFiles, titleOf, INGESTIBLE_EXTENSIONS } from './collect-files.ts';
export type { SourceFile } from './collect-files.ts';
export { ingestPaths, HNSW_INDEX_SQL } from './ingest-paths.ts';
export type { IngestOptions, IngestSummary } from './ingest-paths.ts';
