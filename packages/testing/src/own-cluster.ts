import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort } from './own-redis.ts';
import { requireBinary } from './require-binary.ts';

const run = promisify(execFile);

export interface ClusterNode {
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
  const cluster: OwnCluster = {
    nodes,
    get seeds() {
      return nodes.map((n) => n.address).join(',');
    },
    async ownerOf(key) {
      const probe = cluster.connect(nodes.find((n) => children.get(n.port)?.exitCode === null) ?? nodes[0]);
      try {
        const slot = (await probe.cluster('KEYSLOT', key)) as number;
        const lines = ((await probe.cluster('NODES')) as string).trim().split('\n');
        const rows = lines.map((l) => l.split(' '));
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
        const node = (r: string[]) => nodes.find((n) => r[1].startsWith(`${n.address}@`))!;
        const replicas = rows.filter((r) => r[3] === owner[0] && !r[2].includes('fail'));
        return { primary: node(owner), replicas: replicas.map(node) };
      } finally {
        probe.disconnect();
      }
    },
    async primaries() {
      const probe = cluster.connect(nodes.find((n) => children.get(n.port)?.exitCode === null) ?? nodes[0]);
      try {
        const lines = ((await probe.cluster('NODES')) as string).trim().split('\n');
        return lines
          .map((l) => l.split(' '))
          .filter((r) => r[2].includes('master') && !r[2].includes('fail') && r.length > 8)
          .map((r) => nodes.find((n) => r[1].startsWith(`${n.address}@`))!);
      } finally {
        probe.disconnect();
      }
    },
    connect: (node) => new Redis(node.port, '127.0.0.1', { maxRetriesPerRequest: 1, lazyConnect: false }),
    async kill9(node) {
      const child = children.get(node.port);
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
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
  try {
    for (let i = 0; i < count; i++) {
      const port = await freePort();
      const nodeDir = path.join(dir, String(port));
      await fs.mkdir(nodeDir);
      const child = spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--dir',
          nodeDir,
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          'nodes.conf',
          '--cluster-node-timeout',
          String(opts.nodeTimeoutMs ?? 1000),
          '--save',
          '',
          '--appendonly',
          'no',
          '--maxmemory-policy',
          'noeviction',
        ],
        { stdio: 'ignore' },
      );
      children.set(port, child);
      nodes.push({ port, address: `127.0.0.1:${port}`, pid: () => child.pid });
    }
    for (const n of nodes)
      await waitFor(async () => (await ping(n.port)) === 'PONG', `redis-server :${n.port} to start`);
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

async function info(port: number): Promise<string> {
  try {
    return (await run('redis-cli', ['-p', String(port), 'CLUSTER', 'INFO'], { timeout: 2000 })).stdout;
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
