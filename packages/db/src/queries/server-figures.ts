import type pg from 'pg';

/** Whether the server answers at all (readiness). */
export async function pingDatabase(db: pg.Pool): Promise<void> {
  await db.query('SELECT 1');
}

/** max_connections and the client connections open now, for /monitoring. */
export async function connectionFigures(db: pg.Pool): Promise<{ maxConnections: number; connections: number }> {
  const r = await db.query<{ max: number; connections: number }>(
    `SELECT current_setting('max_connections')::int AS max,
            (SELECT count(*)::int FROM pg_stat_activity WHERE backend_type = 'client backend') AS connections`,
  );
  return { maxConnections: r.rows[0].max, connections: r.rows[0].connections };
}

/** Server process ids of this database's connections with an application_name (the bench's CPU accounting). */
export async function backendPids(db: pg.Pool, applicationName: string): Promise<number[]> {
  const r = await db.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()',
    [applicationName],
  );
  return r.rows.map((row) => row.pid);
}
