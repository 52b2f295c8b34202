import { ConfigError, loadConfig } from '@rag/config';
import { runMigrations } from '@rag/db';

try {
  const config = loadConfig(process.env);
  const applied = await runMigrations({ databaseUrl: config.DATABASE_URL, embeddingDim: config.EMBEDDING_DIM });
  console.log(applied.length ? `migrate: applied ${applied.join(', ')}` : 'migrate: database is up to date');
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : `migrate failed: ${(err as Error).message}`);
  process.exit(1);
}
