import { closePool, createPool } from '@rag/db';
import { ingestPaths } from '@rag/ingest';
import { HashEmbeddings, type Embedder } from '@rag/rag';

/** Ingests files into a test database with the default hash embeddings. */
export async function ingestInto(databaseUrl: string, paths: string[], embedder: Embedder = new HashEmbeddings(384)) {
  const pool = createPool({
    connectionString: databaseUrl,
    max: 4,
    connectionTimeoutMillis: 5000,
    statementTimeoutMs: 60000,
  });
  try {
    return await ingestPaths(paths, { pool, embedder, chunkSize: 800, chunkOverlap: 120, batchSize: 64 });
  } finally {
    await closePool(pool);
  }
}
