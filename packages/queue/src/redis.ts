import { Cluster, Redis, type ClusterNode, type ClusterOptions, type RedisOptions } from 'ioredis';
import { StartError } from '@rag/lifecycle';

export type { Redis };

/** Where Redis is: one server (`REDIS_URL`) or, when `REDIS_CLUSTER_NODES` is set, a Redis Cluster's seed nodes. */
export interface RedisTarget {
  REDIS_URL: string;
  /** `host:port` seed nodes; the rest of the cluster is discovered from them. */
  REDIS_CLUSTER_NODES?: string[];
}

/**
 * The one place the project opens Redis connections. Connections come in two kinds:
 * - `command` (gateway, request path): one retry per command and a command timeout, so a request never waits
 *   long on a Redis that is down or frozen; the gateway also refuses at once (503) while the connection is not
 *   ready. (The offline queue stays on: BullMQ sends INFO the moment a Queue is built, before the connection is up.)
 * - `blocking` (BullMQ workers, QueueEvents, subscribers): retry forever, as BullMQ requires.
 * Both reconnect by themselves with a capped backoff.
 *
 * On a cluster this returns an ioredis `Cluster`, typed as `Redis`: it has the same command methods (and BullMQ takes
 * either), so callers are written once. Every key a deployment writes carries the QUEUE_PREFIX hash tag (the
 * configuration refuses a cluster prefix without one), so multi-key commands and BullMQ's Lua scripts stay in one slot.
 */
export function createRedis(
  target: string | RedisTarget,
  kind: 'command' | 'blocking',
  extra: RedisOptions = {},
): Redis {
  const t = typeof target === 'string' ? { REDIS_URL: target } : target;
  const base: RedisOptions = {
    lazyConnect: false,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(times * 100, 2000),
    ...(kind === 'command'
      ? { enableOfflineQueue: true, maxRetriesPerRequest: 1, commandTimeout: 2000 }
      : { maxRetriesPerRequest: null, enableOfflineQueue: true }),
  };
  if (!t.REDIS_CLUSTER_NODES?.length) return new Redis(t.REDIS_URL, { ...base, ...extra });

  const { lazyConnect, enableOfflineQueue, maxRetriesPerRequest, retryStrategy, ...nodeOptions } = {
    ...base,
    ...extra,
  };
  const options: ClusterOptions = {
    lazyConnect,
    enableOfflineQueue,
    maxRedirections: 16,
    // A primary that died: retry after its replica's promotion is likely (cluster-node-timeout + election).
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 300,
    retryDelayOnTryAgain: 100,
    // MOVED replies refresh the slot map too; this bounds how long a promotion goes unnoticed without traffic.
    slotsRefreshInterval: 2000,
    slotsRefreshTimeout: 2000,
    clusterRetryStrategy: retryStrategy === null ? () => null : (times) => Math.min(times * 100, 2000),
    redisOptions: { ...nodeOptions, maxRetriesPerRequest },
  };
  const nodes = t.REDIS_CLUSTER_NODES.map((hostPort) => {
    const i = hostPort.lastIndexOf(':');
    return { host: hostPort.slice(0, i), port: Number(hostPort.slice(i + 1)) };
  });
  return new ClosingCluster(nodes, options) as unknown as Redis;
}

/**
 * ioredis's Cluster, closing for good: ioredis schedules each periodic slot refresh from the callback of the one
 * before, whatever the client's state, so a client closed while a refresh was in flight went on refreshing every
 * `slotsRefreshInterval`, forever, and kept its process alive (redis-cluster.test.ts passed, then hung). Once the
 * client has ended, a callback queued behind the refresh in flight (or a refresh of its own, which fails at once on
 * an ended client) stops the chain. Duplicates are of this class too: BullMQ duplicates the connection it is given
 * for each of its blocking connections.
 */
class ClosingCluster extends Cluster {
  private readonly seeds: ClusterNode[];
  constructor(nodes: ClusterNode[], options: ClusterOptions) {
    super(nodes, options);
    this.seeds = nodes;
    this.once('end', () => {
      const self = this as unknown as { clearNodesRefreshInterval(): void };
      this.refreshSlotsCache(() => self.clearNodesRefreshInterval());
    });
  }

  override duplicate(overrideStartupNodes: ClusterNode[] = [], overrideOptions: ClusterOptions = {}): Cluster {
    const nodes = overrideStartupNodes.length > 0 ? overrideStartupNodes : this.seeds.slice(0);
    return new ClosingCluster(nodes, { ...this.options, ...overrideOptions });
  }
}

/** True when `redis` is a cluster client (some commands, such as SCAN and WAIT, are per node there). */
export function isCluster(redis: Redis): boolean {
  return (redis as unknown) instanceof Cluster;
}

/**
 * Closes a connection once; later calls return the same promise. Never throws, never hangs: QUIT gets 2 s, then the
 * socket is cut (a cluster client reconnecting to a node that died, e.g. after a failover, may never answer QUIT).
 */
export function closeRedis(redis: Redis): Promise<void> {
  const r = redis as Redis & { __closing?: Promise<void> };
  r.__closing ??= (async () => {
    if (redis.status === 'end') return;
    let timer: NodeJS.Timeout | undefined;
    const cut = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, 2000);
    });
    try {
      await Promise.race([redis.quit(), cut]);
    } catch {
      // disconnected below
    } finally {
      clearTimeout(timer);
      redis.disconnect(); // a no-op once QUIT has ended the connection
    }
  })();
  return r.__closing;
}

/**
 * Waits until a connection is ready, or fails after `timeoutMs` with a StartError naming the server and the last
 * connection error: a process that needs Redis says so at start instead of waiting silently for it.
 */
export function waitForRedis(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    let last = 'no answer';
    const onError = (err: Error) => {
      last = err.message || (err as NodeJS.ErrnoException).code || String(err);
    };
    const done = (err?: Error) => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      redis.off('error', onError);
      if (err) reject(err);
      else resolve();
    };
    const onReady = () => done();
    const { host, port } = redis.options;
    const where = isCluster(redis) ? 'Redis Cluster (REDIS_CLUSTER_NODES)' : `Redis at ${host}:${port}`;
    const timer = setTimeout(
      () =>
        done(
          new StartError(
            `${where} is not reachable within ${timeoutMs / 1000} s (${last}); start it or set REDIS_URL / REDIS_CLUSTER_NODES`,
          ),
        ),
      timeoutMs,
    );
    redis.on('ready', onReady);
    redis.on('error', onError);
  });
}
