import type pg from 'pg';

/** Returns the corpus version (bumped by every ingestion that changed something). */
export async function getCorpusVersion(db: pg.ClientBase | pg.Pool): Promise<number> {
  const r = await db.query<{ version: string }>('SELECT version FROM corpus_state');
  return Number(r.rows[0]?.version ?? 0);
}

/** Bumps the corpus version inside the caller's transaction; returns the new version. */
export async function bumpCorpusVersion(client: pg.ClientBase): Promise<number> {
  const r = await client.query<{ version: string }>(
    'UPDATE corpus_state SET version = version + 1, updated_at = now() RETURNING version',
  );
  return Number(r.rows[0].version);
}
