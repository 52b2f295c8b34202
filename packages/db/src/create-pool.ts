import pg from 'pg';
import pgvector from 'pgvector/pg';
import type { Logger } from '@rag/observability';

interface PoolOptions {
  connectionString: string;
  /** Connections in this process's pool. */
  max: number;
  /** How long a query waits for a free connection; pg's default (0) waits forever, which is how asks used to hang. */
  connectionTimeoutMillis: number;
  idleTimeoutMillis?: number;
  /**
   * Server-side cap on any statement of this pool, so a stuck query cannot hold a connection forever. Applied with
   * `SET LOCAL` inside each transaction (see `LimitedPool`), never as a session setting: behind PgBouncer in
   * transaction mode a session setting would stay on a server connection other clients share.
   */
  statementTimeoutMs: number;
  applicationName?: string;
  logger?: Logger;
}

/** The statement that opens every transaction of a pool: the limit lives and dies with the transaction. */
const beginLimited = (statementTimeoutMs: number) => {
  if (!Number.isSafeInteger(statementTimeoutMs) || statementTimeoutMs < 0) {
    throw new RangeError(`statementTimeoutMs must be a non-negative integer, got ${statementTimeoutMs}`);
  }
  return `BEGIN; SET LOCAL statement_timeout = ${statementTimeoutMs}`;
};

/** pg's callback form of connect(). */
type ConnectCallback = ((err: Error) => void) | ((err: null, client: pg.Client) => void);

/**
 * A client that registers the pgvector types once per physical connection, before the pool hands it out
 * (registering from the pool's 'connect' event would race the first query on that connection). The lookup runs in
 * a transaction of its own under the pool's statement limit, like every other query.
 */
class VectorClient extends pg.Client {
  private readonly statementTimeoutMs: number;
  constructor(config: pg.ClientConfig & { ragStatementTimeoutMs?: number }) {
    super(config);
    this.statementTimeoutMs = config.ragStatementTimeoutMs ?? 0;
  }
  // pg-pool calls connect(callback); everything else awaits connect().
  override connect(): Promise<pg.Client>;
  override connect(callback: ConnectCallback): void;
  override connect(callback?: ConnectCallback): Promise<pg.Client> | undefined {
    const ready = super.connect().then(async () => {
      // Until pg-pool gets this client back (the callback below) it has no 'error' listener on it; a connection
      // that dies during these set-up queries (pg-pool's connect timeout destroys it, or the server goes away)
      // would then emit an unhandled 'error' and crash the process. The failed query rejects anyway: that is
      // the error pg-pool receives.
      const swallow = () => {};
      this.on('error', swallow);
      try {
        await this.query(beginLimited(this.statementTimeoutMs));
        await pgvector.registerTypes(this);
        await this.query('COMMIT');
        return this;
      } catch (err) {
        await this.end().catch(() => {});
        throw err;
      } finally {
        this.off('error', swallow);
      }
    });
    if (!callback) return ready;
    const done = callback as (err: Error | null, client?: pg.Client) => void;
    ready.then(
      () => done(null, this),
      (err: Error) => done(err),
    );
    return undefined;
  }
}

/**
 * A pg.Pool whose statements all run under its statement limit without any session state, so that it works
 * through PgBouncer in transaction mode (where consecutive transactions of one client may run on different server
 * connections, and a server connection serves many clients):
 * - `pool.query(text, values)` runs the statement in a transaction of its own that starts with
 *   `SET LOCAL statement_timeout` (three round trips: `BEGIN; SET LOCAL ...`, the statement, `COMMIT`);
 * - `inTransaction(pool, fn)` does the same for several statements;
 * - a client taken with `pool.connect()` has no limit of its own: use it only for a transaction that sets its own
 *   (`searchChunks` sends `BEGIN; SET LOCAL ...; <query>; COMMIT` as one message).
 * Only the promise form of `query` is offered (callbacks and submittables such as cursors are refused).
 */
class LimitedPool extends pg.Pool {
  readonly statementTimeoutMs: number;
  constructor(config: pg.PoolConfig & { ragStatementTimeoutMs: number }) {
    super(config);
    this.statementTimeoutMs = config.ragStatementTimeoutMs;
  }
  // biome-ignore lint/suspicious/noExplicitAny: pg's own default row type
  override query<R extends pg.QueryResultRow = any, I = unknown[]>(
    text: string | pg.QueryConfig<I>,
    values?: I,
  ): Promise<pg.QueryResult<R>>;
  // The base class's other forms (callbacks, submittables), refused at run time below.
  // biome-ignore lint/suspicious/noExplicitAny: matches every base overload
  override query(config: any, values?: any, callback?: any): any;
  // biome-ignore lint/suspicious/noExplicitAny: the implementation of both
  override query(config: any, values?: any, callback?: any): any {
    if (typeof values === 'function' || typeof callback === 'function' || typeof config?.submit === 'function') {
      throw new TypeError('LimitedPool.query offers the promise form only: query(text, values?)');
    }
    return inTransaction(this, (client) => client.query(config, values));
  }
}

export type Pool = LimitedPool;

/**
 * Runs `fn` in a transaction on one pooled connection: `BEGIN; SET LOCAL statement_timeout = <limit>` (one
 * message), then `fn`, then `COMMIT`; `ROLLBACK` when `fn` throws (a connection that cannot even roll back is
 * dropped from the pool). The limit is the pool's unless `opts.statementTimeoutMs` is given (0 = none, for index
 * builds). `fn` must not end the transaction itself.
 */
export async function inTransaction<T>(
  pool: pg.Pool,
  fn: (client: pg.PoolClient) => Promise<T>,
  opts: { statementTimeoutMs?: number } = {},
): Promise<T> {
  const limit = opts.statementTimeoutMs ?? (pool as Partial<LimitedPool>).statementTimeoutMs;
  if (limit === undefined) throw new TypeError('inTransaction needs a pool made by createPool or a statementTimeoutMs');
  const begin = beginLimited(limit);
  const client = await pool.connect();
  let result: T;
  try {
    await client.query(begin);
    result = await fn(client);
    await client.query('COMMIT');
  } catch (err) {
    try {
      await client.query('ROLLBACK');
      client.release();
    } catch (rollbackErr) {
      client.release(rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr)));
    }
    throw err;
  }
  client.release();
  return result;
}

export function createPool(opts: PoolOptions): LimitedPool {
  // Validated here, so a bad limit is a start error rather than a failure of every later query.
  beginLimited(opts.statementTimeoutMs);
  const pool = new LimitedPool({
    Client: VectorClient as unknown as typeof pg.Client,
    connectionString: opts.connectionString,
    max: opts.max,
    connectionTimeoutMillis: opts.connectionTimeoutMillis,
    idleTimeoutMillis: opts.idleTimeoutMillis ?? 30000,
    // No statement_timeout (or any other setting) as a startup parameter: PgBouncer refuses those it does not know
    // ("unsupported startup parameter"), and the limit is per transaction anyway (above).
    ragStatementTimeoutMs: opts.statementTimeoutMs,
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
