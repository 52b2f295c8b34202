import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import { openSync, closeSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from './own-redis.ts';
import { requireBinary } from './require-binary.ts';
import { adminUrl } from './test-database.ts';

export interface OwnPgBouncer {
  port: number;
  dir: string;
  /** A client URL through PgBouncer to one of the pooled databases (by its name in `databases`). */
  url(database: string): string;
  /**
   * `SHOW <what>` on PgBouncer's admin console (POOLS, SERVERS, CLIENTS, ...), rows as PgBouncer prints them;
   * `database` keeps only that database's rows.
   */
  show(what: 'POOLS' | 'SERVERS' | 'CLIENTS' | 'DATABASES', database?: string): Promise<Record<string, unknown>[]>;
  /** PgBouncer's log so far (it logs to stderr, kept in the temp dir), for failure messages. */
  log(): string;
  /** Stops PgBouncer and removes its directory. Idempotent. */
  close(): Promise<void>;
}

export interface PooledDatabase {
  /** The name clients connect to. */
  name: string;
  /** The PostgreSQL database behind it on the test server. */
  dbname: string;
  /** Server connections PgBouncer may open to it. */
  poolSize: number;
}

/**
 * A PgBouncer of the test's own (Debian's package) in transaction pooling mode on a free loopback port, in front of
 * the test PostgreSQL server, with its configuration in a temporary directory: trust authentication (an auth file
 * naming the server's user), an admin console for that user, the given databases each with its own pool size, and
 * nothing in `ignore_startup_parameters`, so a client that sends a setting PgBouncer does not track is refused as it
 * would be in production. Started as root (the test machine), it drops to `nobody`, as PgBouncer refuses root.
 */
export async function startOwnPgBouncer(opts: { databases: PooledDatabase[] }): Promise<OwnPgBouncer> {
  const bin = requireBinary('pgbouncer', 'pgbouncer', ['/usr/sbin']);
  const server = new URL(adminUrl());
  const user = decodeURIComponent(server.username || 'postgres');
  const port = await freePort();
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rag-pgbouncer-'));
  const ini = path.join(dir, 'pgbouncer.ini');
  const users = path.join(dir, 'users.txt');
  const logFile = path.join(dir, 'pgbouncer.log');
  const dbLines = opts.databases.map(
    (d) => `${d.name} = host=${server.hostname} port=${server.port || 5432} dbname=${d.dbname} pool_size=${d.poolSize}`,
  );
  await fs.writeFile(
    ini,
    [
      '[databases]',
      ...dbLines,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${users}`,
      `admin_users = ${user}`,
      'pool_mode = transaction',
      'max_client_conn = 200',
      'default_pool_size = 2',
      'reserve_pool_size = 0',
      '',
    ].join('\n'),
  );
  await fs.writeFile(users, `"${user}" ""\n`);
  // Readable by the user PgBouncer drops to.
  await fs.chmod(dir, 0o755);
  await fs.chmod(ini, 0o644);
  await fs.chmod(users, 0o644);

  const out = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    const asRoot = process.getuid?.() === 0;
    child = spawn(bin, [...(asRoot ? ['-u', 'nobody'] : []), ini], { stdio: ['ignore', out, out] });
  } finally {
    closeSync(out);
  }
  const log = () => {
    try {
      return readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const adminConsole = `postgres://${encodeURIComponent(user)}@127.0.0.1:${port}/pgbouncer`;

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        // SIGINT: PgBouncer's safe shutdown; SIGKILL when it does not go within 5 s.
        child.kill('SIGINT');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      await fs.rm(dir, { recursive: true, force: true });
    })());

  const show: OwnPgBouncer['show'] = async (what, database) => {
    // The admin console speaks the simple query protocol only: a query without parameters.
    const c = new pg.Client({ connectionString: adminConsole });
    await c.connect();
    try {
      const r = await c.query(`SHOW ${what}`);
      return database === undefined ? r.rows : r.rows.filter((row) => row.database === database);
    } finally {
      await c.end();
    }
  };

  try {
    const t0 = Date.now();
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`pgbouncer exited at start:\n${log()}`);
      try {
        await show('DATABASES');
        break;
      } catch (err) {
        if (Date.now() - t0 > 10_000) throw new Error(`pgbouncer did not answer within 10 s (${err}):\n${log()}`);
        await new Promise((res) => setTimeout(res, 50));
      }
    }
  } catch (err) {
    await close();
    throw err;
  }

  return {
    port,
    dir,
    url: (database) => `postgres://${encodeURIComponent(user)}@127.0.0.1:${port}/${database}`,
    show,
    log,
    close,
  };
}
