import type pg from 'pg';
import { inTransaction } from '../create-pool.ts';

/** Returns the corpus version (bumped by every ingestion that changed something). */
export async function getCorpusVersion(db: pg.ClientBase | pg.Pool): Promise<number> {
  const r = await db.query<{ version: string }>('SELECT version FROM corpus_state');
  return Number(r.rows[0]?.version ?? 0);
}

/** Bumps the corpus version inside the caller's transaction; returns the new version. */
async function bumpCorpusVersion(client: pg.ClientBase): Promise<number> {
  const r = await client.query<{ version: string }>(
    'UPDATE corpus_state SET version = version + 1, updated_at = now() RETURNING version',
  );
  return Number(r.rows[0].version);
}

/**
 * Changes documents and the corpus version together: `change` runs inside one transaction and, when `changed` says
 * its result altered the corpus (by default always), the corpus version is bumped in the same transaction, so a
 * reader never sees new chunks under the old version or the reverse. Returns `change`'s result and the new version
 * (undefined when nothing changed); the caller publishes that version to the answer cache.
 */
export function changeCorpus<T>(
  pool: pg.Pool,
  change: (client: pg.PoolClient) => Promise<T>,
  changed: (result: T) => boolean = () => true,
): Promise<{ result: T; version: number | undefined }> {
  return inTransaction(pool, async (client) => {
    const result = await change(client);
    return { result, version: changed(result) ? await bumpCorpusVersion(client) : undefined };
  });
}
