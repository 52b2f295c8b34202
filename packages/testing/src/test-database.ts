import { randomBytes } from 'node:crypto';
import { createDatabase, dropDatabase, runMigrations } from '@rag/db';

export interface TestDatabase {
  url: string;
  name: string;
  /** Drops the database (idempotent). Kept when KEEP_TEST_DB=1, to inspect a failure. */
  drop(): Promise<void>;
}

/** The server tests run against: TEST_DATABASE_URL's server, else the local one. */
export function adminUrl(): string {
  return process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** A fresh, migrated database of its own for one test file (on `opts.adminUrl`'s server, default adminUrl()). */
export async function createTestDatabase(
  opts: { embeddingDim?: number; migrate?: boolean; adminUrl?: string } = {},
): Promise<TestDatabase> {
  const admin = opts.adminUrl ?? adminUrl();
  const name = `rag_test_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  await createDatabase(admin, name);
  const url = withDatabase(admin, name);
  if (opts.migrate !== false) await runMigrations({ databaseUrl: url, embeddingDim: opts.embeddingDim ?? 384 });
  let dropped: Promise<void> | undefined;
  return {
    url,
    name,
    drop() {
      if (process.env.KEEP_TEST_DB === '1') return Promise.resolve();
      dropped ??= dropDatabase(admin, name);
      return dropped;
    },
  };
}
