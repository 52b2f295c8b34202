export { createPool, closePool, inTransaction } from './create-pool.ts';
export type { Pool } from './create-pool.ts';
export { runMigrations, assertEmbeddingDim } from './migrate.ts';
export {
  documentKey,
  getDocumentHashes,
  countDocuments,
  replaceDocument,
  deleteDocument,
} from './queries/documents.ts';
export type { ChunkRow, DocumentRow } from './queries/documents.ts';
export {
  createContent,
  appendContent,
  dropContent,
  dropUnreferencedContent,
  unreferencedContents,
  readContent,
  createVersion,
  getDocumentView,
  listDocuments,
  claimVersion,
  setVersionProgress,
  failVersion,
  applyVersion,
  staleVersions,
} from './queries/document-versions.ts';
export { getCorpusVersion, changeCorpus } from './queries/corpus.ts';
export { searchChunks } from './queries/search-chunks.ts';
export type { SearchHit } from './queries/search-chunks.ts';
export { HNSW_INDEX, buildHnswIndex, dropHnswIndex, settleAfterBulkLoad } from './queries/hnsw-index.ts';
export { backendPids, connectionFigures, pingDatabase } from './queries/server-figures.ts';
export { createDatabase, dropDatabase } from './queries/databases.ts';
