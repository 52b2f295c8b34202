import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { createPool, closePool } from '../src/index.ts';

const PG = { host: '127.0.0.1', port: 5432 };

/**
 * A loopback proxy to PostgreSQL that passes the connection's start-up (the client's first packet and everything
 * the server sends) and then holds every later client packet: the connection is made, its first query never runs.
 */
async function stallingProxy(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(PG);
    sockets.add(client).add(upstream);
    let first = true;
    client.on('data', (chunk) => {
      if (first) upstream.write(chunk);
      first = false;
    });
    upstream.on('data', (chunk) => client.write(chunk));
    for (const s of [client, upstream]) {
      s.on('error', () => {});
      s.on('close', () => {
        client.destroy();
        upstream.destroy();
      });
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

test('a connection that stalls in its set-up queries fails pool.connect with the timeout, never an uncaught error', async () => {
  const proxy = await stallingProxy();
  const uncaught: Error[] = [];
  const onUncaught = (err: Error) => uncaught.push(err);
  process.on('uncaughtException', onUncaught);
  const pool = createPool({
    connectionString: `postgres://postgres@127.0.0.1:${proxy.port}/postgres`,
    max: 2,
    connectionTimeoutMillis: 300,
    statementTimeoutMs: 5000,
  });
  try {
    for (let i = 0; i < 3; i++) {
      await assert.rejects(pool.query('SELECT 1'), /timeout/i);
    }
    // Give a late 'error' event from the destroyed connections time to surface.
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(
      uncaught.map((e) => e.message),
      [],
      'no error escaped from a connection destroyed during its set-up',
    );
    assert.equal(pool.totalCount, 0, 'the failed connections are not kept');
  } finally {
    process.off('uncaughtException', onUncaught);
    await closePool(pool);
    await proxy.close();
  }
});
