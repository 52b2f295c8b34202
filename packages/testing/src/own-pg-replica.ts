import { execFile, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './own-redis.ts';
import { requireBinary } from './require-binary.ts';
import { spawnTied } from './tied-spawn.ts';
import { waitUntil } from './wait-until.ts';

const run = promisify(execFile);

export interface PgServer {
  port: number;
  /** `postgres://postgres@127.0.0.1:<port>/<database>` (trust authentication). */
  url(database?: string): string;
  /** Runs one statement on `database` (default `postgres`) with a connection of its own; returns the rows. */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    sql: string,
    params?: unknown[],
    database?: string,
  ): Promise<R[]>;
}

export interface OwnPgReplica {
  primary: PgServer;
  /** A hot standby streaming from the primary (made by `pg_basebackup -R`). */
  replica: PgServer;
  /** The PostgreSQL binaries used (the newest installed major). */
  binDir: string;
  /** pg_ctl stop -m fast of the replica (a standby that went away); close() still removes it. Idempotent. */
  stopReplica(): Promise<void>;
  /** pg_ctl stop -m fast on both servers, then removes their directories. Idempotent. */
  close(): Promise<void>;
}

/** The bin directory of the newest PostgreSQL installed the Debian way (/usr/lib/postgresql/<major>/bin). */
export function newestPgBinDir(root = '/usr/lib/postgresql'): string {
  const majors = fs.existsSync(root)
    ? fs
        .readdirSync(root)
        .filter((d) => /^\d+$/.test(d) && fs.existsSync(path.join(root, d, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const dirs = majors.map((m) => path.join(root, m, 'bin'));
  requireBinary('initdb', 'postgresql', dirs);
  requireBinary('pg_basebackup', 'postgresql', dirs);
  return dirs[0] ?? path.dirname(requireBinary('initdb', 'postgresql'));
}

/** PostgreSQL refuses to run as root: when we are root, its programs run as the `postgres` OS user. */
async function serverUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const { stdout: uid } = await run('id', ['-u', 'postgres']);
  const { stdout: gid } = await run('id', ['-g', 'postgres']);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}

/** Settings for a test server: fast to start and to write, small, replicating, on loopback only. */
function serverConf(port: number, dir: string): string {
  return [
    '',
    '# rag-queue test server',
    `port = ${port}`,
    "listen_addresses = '127.0.0.1'",
    `unix_socket_directories = '${dir}'`,
    'wal_level = replica',
    'max_wal_senders = 4',
    'hot_standby = on',
    // A standby query would otherwise be cancelled when the primary vacuums rows it still reads.
    'hot_standby_feedback = on',
    'fsync = off',
    'full_page_writes = off',
    'shared_buffers = 16MB',
    'max_connections = 60',
    'logging_collector = off',
    '',
  ].join('\n');
}

/**
 * A PostgreSQL primary and a streaming read replica of the test's own, on free loopback ports under a temporary
 * directory: `initdb` (trust authentication, local and replication), `wal_level = replica`, then
 * `pg_basebackup -R` for the standby. Runs the newest installed PostgreSQL (whose lib dir must hold pgvector for
 * `CREATE EXTENSION vector`; scripts/ensure-pgvector.sh installs it into the system's). Everything started is
 * stopped and removed by `close()`, also when starting fails half-way.
 */
export async function startOwnPgReplica(): Promise<OwnPgReplica> {
  const binDir = newestPgBinDir();
  const bin = (name: string) => path.join(binDir, name);
  const user = await serverUser();
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'rag-pg-'));
  if (user) await fsp.chown(dir, user.uid, user.gid);
  const asServer = (cmd: string, args: string[], timeout = 60_000) =>
    run(bin(cmd), args, { cwd: dir, timeout, env: { ...process.env, LC_ALL: 'C.UTF-8' }, ...(user ?? {}) });
  const started = new Map<string, ChildProcess>();
  const stopping = new Map<string, Promise<void>>();
  const stopServer = (data: string) => {
    const child = started.get(data);
    if (!child) return Promise.resolve();
    let p = stopping.get(data);
    if (!p) {
      p = (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        await asServer('pg_ctl', ['stop', '-D', data, '-m', 'fast', '-w', '-t', '60']).catch(() =>
          child.kill('SIGKILL'),
        );
        await exited;
      })();
      stopping.set(data, p);
    }
    return p;
  };
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      // The replica first: stopping the primary first leaves its walreceiver retrying until it is stopped too.
      for (const data of [...started.keys()].reverse()) await stopServer(data);
      await fsp.rm(dir, { recursive: true, force: true });
    })());
  const server = (port: number): PgServer => {
    const url = (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`;
    return {
      port,
      url,
      async query(sql, params, database) {
        const c = new pg.Client({ connectionString: url(database), connectionTimeoutMillis: 5000 });
        await c.connect();
        try {
          return (await c.query(sql, params)).rows;
        } finally {
          await c.end();
        }
      },
    };
  };
  /**
   * The postmaster as our child, tied to this process (it gets SIGKILL if the test process dies without closing,
   * and its backends follow it), rather than daemonised by `pg_ctl start`, which would outlive a killed test.
   */
  const startServer = async (data: string, s: PgServer) => {
    const logFile = path.join(data, 'server.log');
    const log = fs.openSync(logFile, 'a');
    const child = spawnTied(bin('postgres'), ['-D', data], {
      cwd: dir,
      stdio: ['ignore', log, log],
      env: { ...process.env, LC_ALL: 'C.UTF-8' },
      ...(user ?? {}),
    });
    fs.closeSync(log);
    started.set(data, child);
    child.once('error', () => {});
    await waitUntil(
      async () => {
        if (child.exitCode !== null || child.signalCode !== null) {
          const text = await fsp.readFile(logFile, 'utf8').catch(() => '');
          throw new Error(`PostgreSQL exited while starting in ${data}:\n${text.slice(-2000)}`);
        }
        return (await s.query('SELECT 1 AS up'))[0].up === 1;
      },
      { timeoutMs: 60_000, intervalMs: 50, message: `PostgreSQL to accept connections in ${data}` },
    );
  };
  try {
    const primaryData = path.join(dir, 'primary');
    await asServer('initdb', ['-D', primaryData, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    const primaryPort = await freePort();
    await fsp.appendFile(path.join(primaryData, 'postgresql.conf'), serverConf(primaryPort, dir));
    const primary = server(primaryPort);
    await startServer(primaryData, primary);

    const replicaData = path.join(dir, 'replica');
    // --checkpoint=fast: the base backup starts at once instead of after a spread checkpoint.
    await asServer('pg_basebackup', [
      ...['-h', '127.0.0.1', '-p', String(primaryPort), '-U', 'postgres'],
      ...['-D', replicaData, '-R', '-X', 'stream', '--checkpoint=fast', '--no-sync'],
    ]);
    const replicaPort = await freePort();
    // Appended last, so these win over the primary's settings the backup copied.
    await fsp.appendFile(path.join(replicaData, 'postgresql.conf'), serverConf(replicaPort, dir));
    const replica = server(replicaPort);
    await startServer(replicaData, replica);
    await waitUntil(
      async () => (await primary.query(`SELECT 1 FROM pg_stat_replication WHERE state = 'streaming'`)).length > 0,
      { timeoutMs: 30_000, intervalMs: 50, message: 'the replica to stream from the primary' },
    );
    const stopReplica = () => stopServer(replicaData);
    return { primary, replica, binDir, stopReplica, close };
  } catch (err) {
    await close();
    throw err;
  }
}
