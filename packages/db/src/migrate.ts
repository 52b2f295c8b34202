import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { runner } from 'node-pg-migrate';
import { StartError } from '@rag/lifecycle';

const migrationsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../migrations');

/** The advisory lock that serialises concurrent migration runs (node-pg-migrate's own id). */
const MIGRATION_LOCK_ID = 7241865325823964n;
const TRANSACTION_CONTROL = /^\s*(BEGIN|COMMIT|ROLLBACK)\s*;?\s*$/i;

/**
 * Applies pending migrations (idempotent). Returns the names of the migrations applied by this call.
 *
 * The whole run is one transaction of ours: `pg_advisory_xact_lock` serialises concurrent runs, the embedding
 * dimension the first migration reads is `set_config(..., true)` (local), and node-pg-migrate runs every pending
 * migration inside it (its own BEGIN/COMMIT/ROLLBACK are absorbed; we commit or roll back). Nothing outlives the
 * transaction, so migrating through PgBouncer in transaction mode works (a session-level advisory lock or setting
 * would land on one server connection and be looked for on another), and a failed run leaves no migration half
 * applied. No statement limit: a migration (an index build) takes as long as the data needs.
 */
export async function runMigrations(opts: {
  databaseUrl: string;
  embeddingDim: number;
  log?: (msg: string) => void;
}): Promise<string[]> {
  const client = new pg.Client({ connectionString: opts.databaseUrl });
  await client.connect();
  try {
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_ID.toString()]);
      await client.query(`SELECT set_config('rag.embedding_dim', $1, true)`, [String(opts.embeddingDim)]);
      const inOurTransaction = {
        query: (text: string | pg.QueryConfig, values?: unknown[]) =>
          typeof text === 'string' && TRANSACTION_CONTROL.test(text)
            ? Promise.resolve({ rows: [], rowCount: 0 })
            : client.query(text, values),
      };
      const applied = await runner({
        dbClient: inOurTransaction as unknown as pg.Client,
        dir: migrationsDir,
        direction: 'up',
        migrationsTable: 'pgmigrations',
        checkOrder: true,
        noLock: true,
        singleTransaction: true,
        log: opts.log ?? (() => {}),
      });
      await assertEmbeddingDim(client, opts.embeddingDim);
      await client.query('COMMIT');
      return applied.map((m) => m.name);
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    }
  } finally {
    await client.end();
  }
}

/** The dimension of chunks.embedding, or null when the table does not exist yet. */
async function embeddingColumnDim(client: pg.ClientBase | pg.Pool): Promise<number | null> {
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
