import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { spawnTied } from './tied-spawn.ts';

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface OwnRedis {
  url: string;
  port: number;
  dir: string;
  pid(): number | undefined;
  /** Starts (or restarts on the same port and data directory) and waits until it answers PING. */
  start(): Promise<void>;
  /** kill -9: no shutdown save, like a crash. */
  kill9(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A Redis server of the test's own (the fault tests kill it), persisting with AOF `appendfsync always` so that
 * every acknowledged write survives a kill -9, in a temporary directory removed at close.
 */
export async function startOwnRedis(opts: { appendfsync?: 'always' | 'everysec' } = {}): Promise<OwnRedis> {
  const port = await freePort();
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rag-redis-'));
  let child: ChildProcess | undefined;
  const ping = () =>
    new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('error', () => resolve(false));
      s.once('connect', () => s.write('PING\r\n'));
      s.once('data', (d) => {
        s.destroy();
        resolve(d.toString().startsWith('+PONG'));
      });
    });
  const r: OwnRedis = {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    pid: () => child?.pid,
    async start() {
      child = spawnTied(
        'redis-server',
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--dir',
          dir,
          '--save',
          '',
          '--appendonly',
          'yes',
          '--appendfsync',
          opts.appendfsync ?? 'always',
          '--maxmemory-policy',
          'noeviction',
        ],
        { stdio: 'ignore' },
      );
      const t0 = Date.now();
      while (!(await ping())) {
        if (Date.now() - t0 > 10_000) throw new Error('own redis-server did not start');
        await new Promise((res) => setTimeout(res, 20));
      }
    },
    async kill9() {
      if (!child || child.exitCode !== null) return;
      const exited = new Promise((res) => child!.once('exit', res));
      child.kill('SIGKILL');
      await exited;
    },
    async close() {
      await r.kill9();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
  await r.start();
  return r;
}
