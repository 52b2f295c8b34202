import pg from 'pg';
import pgvector from 'pgvector/pg';
import type { Logger } from '@rag/observability';

export interface PoolOptions {
  connectionString: string;
  /** Connections in this process's pool. */
  max: number;
  /** How long a query waits for a free connection; pg's default (0) waits forever, which is how asks used to hang. */
  connectionTimeoutMillis: number;
  idleTimeoutMillis?: number;
  /** Server-side cap on any statement of this pool, so a stuck query cannot hold a connection forever. */
  statementTimeoutMs: number;
  applicationName?: string;
  logger?: Logger;
}

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

/**
 * A client that registers the pgvector types once per physical connection, before the pool hands it out
 * (registering from the pool's 'connect' event would race the first query on that connection).
 */
class VectorClient extends pg.Client {
  // pg-pool calls connect(callback); everything else awaits connect().
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  connect(callback?: any): any {
    const ready = super.connect().then(async () => {
      await pgvector.registerTypes(this);
      return this;
    });
    if (!callback) return ready;
    ready.then(
      () => callback(null, this),
      (err: Error) => callback(err),
    );
    return undefined;
  }
}

export function createPool(opts: PoolOptions): pg.Pool {
  const pool = new pg.Pool({
    Client: VectorClient as unknown as typeof pg.Client,
    connectionString: opts.connectionString,
    max: opts.max,
    connectionTimeoutMillis: opts.connectionTimeoutMillis,
    idleTimeoutMillis: opts.idleTimeoutMillis ?? 30000,
    statement_timeout: opts.statementTimeoutMs,
    application_name: opts.applicationName ?? 'rag',
    keepAlive: true,
  });
  // Without this handler an idle connection dropped by the server (restart, failover) crashes the process.
  pool.on('error', (err) => opts.logger?.warn({ err: err.message }, 'idle PostgreSQL connection lost'));
  return pool;
}

/** Ends a pool once; later calls return the same promise. */
export function closePool(pool: pg.Pool): Promise<void> {
  const p = pool as pg.Pool & { __closing?: Promise<void> };
  p.__closing ??= pool.ended ? Promise.resolve() : pool.end();
  return p.__closing;
}
