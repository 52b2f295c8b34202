import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { runner } from 'node-pg-migrate';
import { StartError } from '@rag/lifecycle';

export const migrationsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../migrations');

/**
 * Applies pending migrations (idempotent; node-pg-migrate holds an advisory lock so concurrent runs serialise).
 * Returns the names of the migrations applied by this call.
 */
export async function runMigrations(opts: {
  databaseUrl: string;
  embeddingDim: number;
  log?: (msg: string) => void;
}): Promise<string[]> {
  const client = new pg.Client({ connectionString: opts.databaseUrl });
  await client.connect();
  try {
    await client.query(`SELECT set_config('rag.embedding_dim', $1, false)`, [String(opts.embeddingDim)]);
    const applied = await runner({
      dbClient: client,
      dir: migrationsDir,
      direction: 'up',
      migrationsTable: 'pgmigrations',
      checkOrder: true,
      log: opts.log ?? (() => {}),
    });
    await assertEmbeddingDim(client, opts.embeddingDim);
    return applied.map((m) => m.name);
  } finally {
    await client.end();
  }
}

/** The dimension of chunks.embedding, or null when the table does not exist yet. */
export async function embeddingColumnDim(client: pg.ClientBase | pg.Pool): Promise<number | null> {
  const r = await client.query<{ dim: number }>(
    `SELECT atttypmod AS dim FROM pg_attribute WHERE attrelid = to_regclass('chunks') AND attname = 'embedding'`,
  );
  return r.rows[0]?.dim ?? null;
}

/** Refuses to start against a database whose embedding column does not match EMBEDDING_DIM. */
export async function assertEmbeddingDim(client: pg.ClientBase | pg.Pool, expected: number): Promise<void> {
  const dim = await embeddingColumnDim(client);
  if (dim !== null && dim !== expected) {
    throw new StartError(
      `EMBEDDING_DIM is ${expected} but the database's chunks.embedding column has ${dim} dimensions; ` +
        `use EMBEDDING_DIM=${dim} or a fresh database`,
    );
  }
}
