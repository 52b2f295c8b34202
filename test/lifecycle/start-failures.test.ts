import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import type { Config } from '@rag/config';
import { startGatewayApp } from '@rag/gateway';
import { StartError } from '@rag/lifecycle';
import {
  ROOT,
  createTestDatabase,
  freePort,
  testConfig,
  testLogger,
  uniquePrefix,
  deletePrefix,
  waitUntil,
  type TestDatabase,
} from '@rag/testing';
import { startWorkerApp } from '@rag/worker';

// A start that fails for a reason an operator can fix closes what it had opened (no socket, no timer left) and
// the process exits 1 with one line saying what is wrong.

/** Sockets, servers and timers this process holds (pg, Redis and its reconnect timer, HTTP): what a leak leaves. */
const openSockets = () =>
  process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TCPServerWrap' || r === 'Timeout')
    .length;

/** Runs an entry point like `npm run start:*` does and returns its exit code and everything it wrote. */
function runMain(entry: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [path.join(ROOT, entry)], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (b: Buffer) => (output += b));
  child.stderr.on('data', (b: Buffer) => (output += b));
  const kill = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(kill);
      resolve({ code, output });
    }),
  );
}

/** The lines of a failed start that are not routine pino info/debug lines. */
const complaints = (output: string) =>
  output
    .split('\n')
    .filter((l) => l.trim() !== '')
    .filter((l) => !/^\{.*"level":(20|30)\b/.test(l));

describe('a failed start', () => {
  let db: TestDatabase;
  let occupied: net.Server;
  let busyPort: number;
  let deadRedis: string;
  let deadReplica: string;
  /** Each start's queue prefix: a start that got as far as Redis leaves keys under it, removed at the end. */
  const prefixes: string[] = [];
  const env = (extra: Record<string, string>) => {
    const prefix = uniquePrefix('start');
    prefixes.push(prefix);
    return { DATABASE_URL: db.url, QUEUE_PREFIX: prefix, ...extra };
  };
  const config = (extra: Record<string, string>): Config => testConfig(env(extra));

  before(async () => {
    db = await createTestDatabase({ embeddingDim: 384 });
    occupied = net.createServer();
    await new Promise<void>((resolve) => occupied.listen(0, '127.0.0.1', resolve));
    busyPort = (occupied.address() as net.AddressInfo).port;
    deadRedis = `redis://127.0.0.1:${await freePort()}`;
    deadReplica = `postgres://postgres@127.0.0.1:${await freePort()}/rag`;
  });
  after(async () => {
    await new Promise((resolve) => occupied.close(resolve));
    await db.drop();
    for (const prefix of prefixes) await deletePrefix(prefix);
  });

  const cases: { name: string; env: () => Record<string, string>; message: () => RegExp }[] = [
    {
      name: 'bad embedding dimension',
      env: () => ({ EMBEDDING_DIM: '512' }),
      message: () => /EMBEDDING_DIM is 512 but the database's chunks\.embedding column has 384 dimensions/,
    },
    {
      name: 'metrics port taken',
      env: () => ({ METRICS_PORT: String(busyPort) }),
      message: () => new RegExp(`METRICS_PORT ${busyPort} is already in use`),
    },
    {
      name: 'Redis down',
      env: () => ({ REDIS_URL: deadRedis }),
      message: () => /Redis at 127\.0\.0\.1:\d+ is not reachable/,
    },
    {
      name: 'read replica unreachable',
      env: () => ({ DATABASE_READ_URL: deadReplica }),
      message: () => /PostgreSQL could not be used \(.*\); check DATABASE_READ_URL/,
    },
  ];

  for (const c of cases) {
    test(`worker, ${c.name}: rejects with a StartError and closes what it opened`, async () => {
      const baseline = openSockets();
      await assert.rejects(startWorkerApp(config(c.env()), { logger: testLogger() }), (err: Error) => {
        assert.ok(err instanceof StartError, `${err.name}: ${err.message}`);
        assert.match(err.message, c.message());
        return true;
      });
      await waitUntil(() => openSockets() <= baseline, {
        timeoutMs: 5000,
        message: `sockets or timers left open after the failed start (${openSockets()} vs ${baseline} before)`,
      });
    });

    test(`worker, ${c.name}: main exits 1 with one clear line`, async () => {
      const { code, output } = await runMain('apps/worker/src/main.ts', env(c.env()));
      assert.equal(code, 1, output);
      const lines = complaints(output);
      assert.equal(lines.length, 1, output);
      assert.match(lines[0], /^worker failed to start: /);
      assert.match(lines[0], c.message());
    });
  }

  test('gateway, port taken: rejects with a StartError, closes what it opened, main says so in one line', async () => {
    const baseline = openSockets();
    await assert.rejects(
      startGatewayApp(config({ PORT: String(busyPort) }), { logger: testLogger() }),
      (err: Error) => {
        assert.ok(err instanceof StartError, `${err.name}: ${err.message}`);
        assert.match(err.message, new RegExp(`PORT ${busyPort} is already in use`));
        return true;
      },
    );
    await waitUntil(() => openSockets() <= baseline, { timeoutMs: 5000, message: 'sockets or timers left open' });

    const { code, output } = await runMain('apps/gateway/src/main.ts', env({ PORT: String(busyPort) }));
    assert.equal(code, 1, output);
    const lines = complaints(output);
    assert.equal(lines.length, 1, output);
    assert.match(lines[0], new RegExp(`^gateway failed to start: PORT ${busyPort} is already in use`));
  });
});
