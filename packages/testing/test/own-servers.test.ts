import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import { ROOT, waitUntil } from '@rag/testing';

/** Running, not exited: a killed process may stay a zombie (state Z) until its new parent reaps it. */
const running = (pid: number) => {
  try {
    return !/^Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? '');
  } catch {
    return false;
  }
};

test('a test process killed with -9 takes its own redis-server with it (no orphan with PPID 1)', async () => {
  // A stand-in for a test file: starts its own Redis, prints the server's pid and directory, waits to be killed.
  const script =
    "import { startOwnRedis } from '@rag/testing'; const r = await startOwnRedis(); console.log(r.pid(), r.dir); setInterval(() => {}, 1000);";
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let server = 0;
  let dir = '';
  try {
    const [line] = (await once(child.stdout!, 'data')) as [Buffer];
    [server, dir] = ((s) => [Number(s[0]), s[1]] as const)(line.toString().trim().split(' '));
    assert.ok(server > 0 && running(server), `redis-server running (${line})`);
    child.kill('SIGKILL');
    await waitUntil(() => !running(server), {
      timeoutMs: 10_000,
      message: `redis-server ${server} ended with the process that started it`,
    });
  } finally {
    child.kill('SIGKILL');
    if (server && running(server)) process.kill(server, 'SIGKILL');
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }
});
