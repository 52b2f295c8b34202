import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '@rag/testing';
import { startTestStack, type TestStack } from '../support/test-stack.ts';
import { findK6 } from './find-k6.ts';

const run = promisify(execFile);
const DIR = path.join(ROOT, 'load-tests');

/**
 * Short runs of every script: the sizes and durations come from the environment the scripts document, small here so
 * the suite stays within its budget. Thresholds are off (`--no-thresholds`): several are latency targets, which a
 * loaded 2-core test machine does not guarantee; the test asserts checks, completions and errors instead.
 */
const SHORT: Record<string, Record<string, string>> = {
  'cache.js': { VUS: '2', DURATION: '3s' },
  'load.js': { VUS: '2', RAMP: '1s', HOLD: '3s', RAMP_DOWN: '1s', THINK_S: '0.2' },
  'smoke.js': { ITERATIONS: '3' },
  'soak.js': { RATE: '2', DURATION: '4s', PRE_VUS: '2', MAX_VUS: '10' },
  'spike.js': { BASE: '1', PEAK: '4', QUIET: '1s', RISE: '1s', SPIKE: '2s' },
  'stress.js': {
    START_RATE: '1',
    RATE_1: '2',
    RATE_2: '3',
    RATE_3: '4',
    RATE_4: '5',
    STEP: '1s',
    PRE_VUS: '2',
    MAX_VUS: '20',
  },
};

const scripts = fs
  .readdirSync(DIR)
  .filter((f) => f.endsWith('.js'))
  .sort();
const k6 = findK6();

describe(`k6 scripts run against a live gateway (${k6 ? `real k6: ${k6.bin}, ${k6.version}` : 'k6 stand-in load-tests/test-shim: no k6 found (K6_BIN, PATH)'})`, () => {
  let stack: TestStack;
  let tmp: string;
  before(async () => {
    stack = await startTestStack({ workers: 1, ingest: [path.join(ROOT, 'data/sample')] });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'k6-'));
  });
  after(async () => {
    await stack?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('the expected scripts exist', () => {
    assert.deepEqual(scripts, Object.keys(SHORT).sort());
  });

  if (k6) {
    for (const script of scripts) {
      test(`${script} under real k6: exits 0, every check passes, every ask completes, no iteration error`, async (t) => {
        const summaryFile = path.join(tmp, `${script}.json`);
        const env = { ...SHORT[script], BASE_URL: stack.url };
        const args = ['run', '--no-thresholds', '--no-color', '--quiet', `--summary-export=${summaryFile}`];
        for (const [k, v] of Object.entries(env)) args.push('-e', `${k}=${v}`);
        // As the README documents: from the repository root, the script by its path under load-tests/.
        const { stderr } = await run(k6.bin, [...args, `load-tests/${script}`], {
          cwd: ROOT,
          timeout: 90_000,
          maxBuffer: 32 * 1024 * 1024,
          env: { ...process.env, K6_NO_USAGE_REPORT: 'true' },
        });
        // An exception in an iteration (a failed open(), a throwing check, .json() of a failed request) is logged at
        // level=error and ends that iteration; none may happen.
        const errors = stderr.split('\n').filter((l) => /level=error/.test(l));
        assert.deepEqual(errors, [], 'no iteration ended by an error');
        const summary = JSON.parse(fs.readFileSync(summaryFile, 'utf8'));
        const m = summary.metrics;
        t.diagnostic(
          `${script}: ${m.iterations?.count} iterations, ${m.http_reqs?.count} requests, ` +
            `rag_completed ${m.rag_completed?.passes}/${(m.rag_completed?.passes ?? 0) + (m.rag_completed?.fails ?? 0)}, ` +
            `rag_e2e_ms p95 ${Math.round(m.rag_e2e_ms?.['p(95)'] ?? Number.NaN)} ms, refused ${m.rag_refused_429?.count ?? 0}`,
        );
        assert.ok(m.iterations.count >= 2, `iterations ran (${m.iterations.count})`);
        assert.ok(m.checks.passes > 0, 'checks ran');
        assert.equal(m.checks.fails, 0, `failed checks: ${JSON.stringify(failedChecks(summary.root_group))}`);
        assert.ok(m.rag_completed.passes >= 2, 'asks completed');
        assert.equal(m.rag_completed.fails, 0, 'every ask completed');
        assert.equal(m.http_req_failed.passes, 0, 'no transport error or 5xx');
        assert.ok(Number.isFinite(m.rag_e2e_ms?.['p(95)']), 'end-to-end latency recorded');
        assert.ok(Number.isFinite(m.rag_queue_wait_ms?.['p(95)']), 'queue wait recorded');
      });
    }
  } else {
    const cases: [string, string | undefined][] = scripts.flatMap((s): [string, string | undefined][] =>
      s === 'load.js'
        ? [
            [s, 'pollUser'],
            [s, 'longPollUser'],
          ]
        : [[s, undefined]],
    );
    for (const [script, exec] of cases) {
      test(`${script}${exec ? ` (${exec})` : ''} under the stand-in: iterations complete, every check passes, the custom metrics get samples`, async () => {
        const args = [
          '--import',
          path.join(DIR, 'test-shim/register.mjs'),
          path.join(DIR, 'test-shim/run.mjs'),
          `load-tests/${script}`,
          '2',
          ...(exec ? [exec] : []),
        ];
        const { stdout } = await run(process.execPath, args, {
          cwd: ROOT,
          timeout: 60_000,
          env: { ...process.env, ...SHORT[script], BASE_URL: stack.url },
        });
        const out = JSON.parse(stdout.trim().split('\n').at(-1)!);
        assert.deepEqual(out.iterationErrors, [], 'no iteration ended by an exception');
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
  }
});

/** Check names with failures, from k6's summary export (checks live in nested groups). */
interface K6Group {
  checks?: Record<string, { name: string; fails: number }>;
  groups?: Record<string, K6Group>;
}
function failedChecks(group: K6Group | undefined): string[] {
  const own = Object.values(group?.checks ?? {})
    .filter((c) => c.fails > 0)
    .map((c) => `${c.name}: ${c.fails} failed`);
  return [...own, ...Object.values(group?.groups ?? {}).flatMap(failedChecks)];
}
