import pg from 'pg';

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

async function onServer(adminUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Creates a database (test isolation: one per test file). The name must be a plain lower-case identifier. */
export async function createDatabase(adminUrl: string, name: string): Promise<void> {
  if (!IDENTIFIER.test(name)) throw new RangeError(`not a plain database name: ${name}`);
  await onServer(adminUrl, `CREATE DATABASE ${name}`);
}

/** Drops a database, disconnecting its sessions. */
export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  if (!IDENTIFIER.test(name)) throw new RangeError(`not a plain database name: ${name}`);
  await onServer(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}
