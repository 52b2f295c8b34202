import { execFile, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort } from './own-redis.ts';
import { requireBinary } from './require-binary.ts';
import { spawnTied } from './tied-spawn.ts';

const run = promisify(execFile);

interface ClusterNode {
  port: number;
  /** `127.0.0.1:port`, as REDIS_CLUSTER_NODES and CLUSTER NODES spell it. */
  address: string;
  pid(): number | undefined;
}

export interface OwnCluster {
  nodes: ClusterNode[];
  /** REDIS_CLUSTER_NODES for the apps: every node as a seed. */
  seeds: string;
  /** The node serving `key`'s slot as primary now, and its replicas (from CLUSTER NODES). */
  ownerOf(key: string): Promise<{ primary: ClusterNode; replicas: ClusterNode[] }>;
  /** The current primaries. */
  primaries(): Promise<ClusterNode[]>;
  /** A plain connection to one node (the caller closes it). */
  connect(node: ClusterNode): Redis;
  /** kill -9 one node: like a crash, no shutdown. */
  kill9(node: ClusterNode): Promise<void>;
  /** Starts a (killed) node again with its nodes.conf: it rejoins, as a replica if it lost its slots meanwhile. */
  restart(node: ClusterNode): Promise<void>;
  /** Kills every node and removes the data directory. Idempotent. */
  close(): Promise<void>;
}

/**
 * A Redis Cluster of the test's own: `2 * primaries` redis-server processes on free loopback ports (one replica per
 * primary) in a temporary directory, joined with `redis-cli --cluster create`. `nodeTimeoutMs` is
 * cluster-node-timeout: how long before a silent primary counts as failed and its replica takes over.
 */
export async function startOwnCluster(opts: { primaries?: number; nodeTimeoutMs?: number } = {}): Promise<OwnCluster> {
  requireBinary('redis-server', 'redis-server');
  requireBinary('redis-cli', 'redis-tools');
  const count = 2 * (opts.primaries ?? 3);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rag-cluster-'));
  const children = new Map<number, ChildProcess>();
  const nodes: ClusterNode[] = [];
  let closing: Promise<void> | undefined;
  const alive = (n: ClusterNode) => {
    const c = children.get(n.port);
    return c !== undefined && c.exitCode === null && c.signalCode === null;
  };
  /** A command through redis-cli (bounded by a timeout, so a dead node cannot hang a test), on the first live node. */
  const ask = async (args: string[]) => {
    let last: unknown;
    for (const n of nodes.filter(alive)) {
      try {
        return (await run('redis-cli', ['-p', String(n.port), ...args], { timeout: 3000 })).stdout.trim();
      } catch (err) {
        last = err;
      }
    }
    throw new Error(`no cluster node answered ${args.join(' ')}: ${String(last)}`);
  };
  const clusterNodes = async () => (await ask(['CLUSTER', 'NODES'])).split('\n').map((l) => l.trim().split(' '));
  const nodeOf = (r: string[]) => {
    const n = nodes.find((x) => r[1].startsWith(`${x.address}@`));
    if (!n) throw new Error(`unknown node in CLUSTER NODES: ${r.join(' ')}`);
    return n;
  };
  const cluster: OwnCluster = {
    nodes,
    get seeds() {
      return nodes.map((n) => n.address).join(',');
    },
    async ownerOf(key) {
      const slot = Number(await ask(['CLUSTER', 'KEYSLOT', key]));
      const rows = await clusterNodes();
      const owner = rows.find(
        (r) =>
          r[2].includes('master') &&
          !r[2].includes('fail') &&
          r.slice(8).some((range) => {
            const [a, b] = range.split('-').map(Number);
            return slot >= a && slot <= (b ?? a);
          }),
      );
      if (!owner) throw new Error(`no live primary serves slot ${slot}`);
      const replicas = rows.filter((r) => r[3] === owner[0] && !r[2].includes('fail'));
      return { primary: nodeOf(owner), replicas: replicas.map(nodeOf) };
    },
    async primaries() {
      const rows = await clusterNodes();
      return rows.filter((r) => r[2].includes('master') && !r[2].includes('fail') && r.length > 8).map(nodeOf);
    },
    connect: (node) => new Redis(node.port, '127.0.0.1', { maxRetriesPerRequest: 1, lazyConnect: false }),
    restart: async () => {}, // set below, once the spawning is defined
    async kill9(node) {
      const child = children.get(node.port);
      if (!child || !alive(node)) return;
      const exited = new Promise((res) => child.once('exit', res));
      child.kill('SIGKILL');
      await exited;
    },
    close: () =>
      (closing ??= (async () => {
        await Promise.all(nodes.map((n) => cluster.kill9(n)));
        await fs.rm(dir, { recursive: true, force: true });
      })()),
  };
  const spawnNode = (port: number) => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', path.join(dir, String(port))];
    args.push('--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf');
    args.push('--cluster-node-timeout', String(opts.nodeTimeoutMs ?? 1000));
    args.push('--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction');
    children.set(port, spawnTied('redis-server', args, { stdio: 'ignore' }));
  };
  cluster.restart = async (node) => {
    await cluster.kill9(node);
    spawnNode(node.port);
    await waitFor(async () => (await ping(node.port)) === 'PONG', `redis-server :${node.port} to restart`);
  };
  try {
    for (let i = 0; i < count; i++) {
      // A port found free can be taken (by any outgoing connection) before redis-server binds it: try another.
      for (let attempt = 1; ; attempt++) {
        const port = await freePort();
        await fs.mkdir(path.join(dir, String(port)), { recursive: true });
        spawnNode(port);
        const node = { port, address: `127.0.0.1:${port}`, pid: () => children.get(port)?.pid };
        const up = await waitFor(
          async () => (await ping(port)) === 'PONG' || !alive(node),
          `redis-server :${port} to start`,
        ).then(() => alive(node));
        if (up) {
          nodes.push(node);
          break;
        }
        if (attempt === 5) throw new Error(`redis-server did not start on 5 free ports (last :${port})`);
      }
    }
    await run(
      'redis-cli',
      ['--cluster', 'create', ...nodes.map((n) => n.address), '--cluster-replicas', '1', '--cluster-yes'],
      {
        timeout: 60_000,
      },
    );
    // Every node must agree the cluster is whole (all slots served) before apps connect.
    for (const n of nodes)
      await waitFor(async () => /cluster_state:ok/.test(await info(n.port)), `node :${n.port} to see the cluster ok`);
    // And every replica in sync with its primary, or a WAIT right after start finds no replica.
    for (const n of nodes)
      await waitFor(async () => {
        const repl = await info(n.port, 'REPLICATION');
        return /role:master/.test(repl) ? /connected_slaves:1/.test(repl) : /master_link_status:up/.test(repl);
      }, `node :${n.port} to replicate`);
    return cluster;
  } catch (err) {
    await cluster.close();
    throw err;
  }
}

async function ping(port: number): Promise<string> {
  try {
    return (await run('redis-cli', ['-p', String(port), 'PING'], { timeout: 2000 })).stdout.trim();
  } catch {
    return '';
  }
}

async function info(port: number, section?: string): Promise<string> {
  const args = section ? ['INFO', section] : ['CLUSTER', 'INFO'];
  try {
    return (await run('redis-cli', ['-p', String(port), ...args], { timeout: 2000 })).stdout;
  } catch {
    return '';
  }
}

async function waitFor(cond: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
