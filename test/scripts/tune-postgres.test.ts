import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '@rag/testing';

const run = promisify(execFile);

test('tune-postgres sizes the settings from this machine and the pools (dry run)', async () => {
  const { stdout } = await run('bash', [path.join(ROOT, 'scripts/tune-postgres'), 'apply', '--dry-run'], {
    env: { ...process.env, TUNE_MAX_CONNECTIONS: '300' },
  });
  const setting = (name: string) => new RegExp(`^${name} = (\\S+)$`, 'm').exec(stdout)?.[1];
  const memMb = Math.floor(os.totalmem() / 2 ** 20);
  assert.equal(setting('max_connections'), '300');
  const shared = Number(setting('shared_buffers')!.replace('MB', ''));
  assert.ok(
    Math.abs(shared - Math.min(8192, Math.max(128, memMb / 4))) < memMb * 0.02,
    `shared_buffers ${shared} MB for ${memMb} MB`,
  );
  assert.equal(setting('max_parallel_workers'), String(os.availableParallelism()));
  assert.ok(Number(setting('maintenance_work_mem')!.replace('MB', '')) >= 64);
  assert.equal(setting('jit'), 'off');
});
