import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '@rag/testing';
import { findK6 } from './find-k6.ts';

const run = promisify(execFile);
const FIXTURE = 'test/load-tests/fixtures/open-and-throw.js';
/** What k6 v1.3 records for the fixture: open() from lib/ finds ../data, the throwing check fails and ends iteration 1. */
const EXPECTED = {
  checks: {
    'data opened relative to the helper': { passes: 3, fails: 0 },
    throws: { passes: 0, fails: 1 },
    'after the throwing check': { passes: 2, fails: 0 },
  },
  iterationErrors: 1,
};

describe('the k6 stand-in behaves like k6 where the scripts depend on it', () => {
  test('stand-in: open() relative to the calling file; a throwing check fails and ends its iteration', async () => {
    const { stdout } = await run(
      process.execPath,
      [
        '--import',
        path.join(ROOT, 'load-tests/test-shim/register.mjs'),
        path.join(ROOT, 'load-tests/test-shim/run.mjs'),
        path.join(ROOT, FIXTURE),
        '3',
      ],
      // From another directory: open() must not depend on the working directory either.
      { cwd: os.tmpdir(), env: process.env, timeout: 30_000 },
    ).catch((err) => {
      throw new Error(`stand-in failed: ${err.stderr ?? err}`);
    });
    const out = JSON.parse(stdout.trim().split('\n').at(-1)!);
    assert.deepEqual(out.checks, EXPECTED.checks);
    assert.equal(out.iterationErrors.length, EXPECTED.iterationErrors);
    assert.match(out.iterationErrors[0], /TypeError/);
  });

  const k6 = findK6();
  test(`real k6 records the same for the fixture (${k6 ? k6.version : 'no k6 here: only the stand-in was checked'})`, async (t) => {
    if (!k6) {
      t.diagnostic('no real k6 (K6_BIN or k6 on PATH): the expectations above are what k6 v1.3.0 records');
      return;
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k6-fixture-'));
    try {
      const file = path.join(dir, 'summary.json');
      const { stderr } = await run(k6.bin, ['run', '--quiet', '--no-color', `--summary-export=${file}`, FIXTURE], {
        cwd: ROOT,
        timeout: 60_000,
        env: { ...process.env, K6_NO_USAGE_REPORT: 'true' },
      });
      const summary = JSON.parse(fs.readFileSync(file, 'utf8'));
      const checks = Object.fromEntries(
        Object.values(summary.root_group.checks as Record<string, { name: string; passes: number; fails: number }>).map(
          (c) => [c.name, { passes: c.passes, fails: c.fails }],
        ),
      );
      assert.deepEqual(checks, EXPECTED.checks);
      assert.equal(stderr.split('\n').filter((l) => /level=error/.test(l)).length, EXPECTED.iterationErrors);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
