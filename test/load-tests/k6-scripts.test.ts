import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '@rag/testing';
import { startTestStack, type TestStack } from '../support/test-stack.ts';

const run = promisify(execFile);
const DIR = path.join(ROOT, 'load-tests');

/** Every k6 script, one or two iterations through the k6 stand-in (load-tests/test-shim) against a live gateway. */
describe('k6 scripts run against a live gateway', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startTestStack({ workers: 1, ingest: [path.join(ROOT, 'data/sample')] });
  });
  after(() => stack.close());

  const scripts = fs
    .readdirSync(DIR)
    .filter((f) => f.endsWith('.js'))
    .sort();
  test('the expected scripts exist', () => {
    assert.deepEqual(scripts, ['cache.js', 'load.js', 'smoke.js', 'soak.js', 'spike.js', 'stress.js']);
  });

  const cases: [string, string | undefined][] = scripts.flatMap((s): [string, string | undefined][] =>
    s === 'load.js'
      ? [
          [s, 'pollUser'],
          [s, 'longPollUser'],
        ]
      : [[s, undefined]],
  );
  for (const [script, exec] of cases) {
    test(`${script}${exec ? ` (${exec})` : ''}: iterations complete, every check passes, the custom metrics get samples`, async () => {
      const args = [
        '--import',
        path.join(DIR, 'test-shim/register.mjs'),
        path.join(DIR, 'test-shim/run.mjs'),
        path.join(DIR, script),
        '2',
        ...(exec ? [exec] : []),
      ];
      const { stdout } = await run(process.execPath, args, {
        cwd: ROOT,
        timeout: 60_000,
        env: { ...process.env, BASE_URL: stack.url, K6_SHIM_SCRIPT_DIR: DIR },
      });
      const out = JSON.parse(stdout.trim().split('\n').at(-1)!);
      assert.ok(out.options.length > 0, 'exports options');
      assert.ok(out.requests >= 2, `made requests (${out.requests})`);
      assert.ok(Object.keys(out.checks).length > 0, 'ran checks');
      for (const [name, c] of Object.entries(out.checks as Record<string, { passes: number; fails: number }>)) {
        assert.equal(c.fails, 0, `check "${name}" failed ${c.fails} time(s)`);
      }
      assert.ok(out.metrics.rag_e2e_ms >= 2, 'end-to-end latency recorded');
      assert.ok(out.metrics.rag_queue_wait_ms >= 1, 'queue wait recorded');
      assert.equal(out.metrics.rag_completed, 2);
    });
  }
});
