import fs from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from '@rag/testing';
import { machine, toMarkdown } from './report.ts';
import type { ScenarioContext, ScenarioResult } from './scenario.ts';
import { scenarios } from './scenarios/index.ts';

/**
 * npm run bench [-- --scenario offline,llm --seconds 20 --workers 2 --retrieval hybrid,vector]
 * Starts its own stack per scenario (fresh database and Redis prefix), drives it from this process over
 * loopback, and writes bench-results/<scenario>-<time>.json plus bench-results/summary.md.
 */
const { values } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'offline,llm,baseline,scale,cache,search' },
    seconds: { type: 'string', default: '20' },
    workers: { type: 'string' },
    concurrency: { type: 'string' },
    docs: { type: 'string' },
    vectors: { type: 'string' },
    pool: { type: 'string' },
    users: { type: 'string' },
    variants: { type: 'string' },
    rounds: { type: 'string' },
    calls: { type: 'string' },
    rate: { type: 'string' },
    retrieval: { type: 'string' },
    out: { type: 'string', default: path.join(ROOT, 'bench-results') },
    list: { type: 'boolean', default: false },
  },
  allowPositionals: false,
});

if (values.list) {
  for (const [name, s] of Object.entries(scenarios)) console.log(`${name.padEnd(10)} ${s.about}`);
  process.exit(0);
}

const names = values
  .scenario!.split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const unknown = names.filter((n) => !(n in scenarios));
if (unknown.length) {
  console.error(`unknown scenario(s): ${unknown.join(', ')}; known: ${Object.keys(scenarios).join(', ')}`);
  process.exit(2);
}
const seconds = Number(values.seconds);
if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 3600) {
  console.error('--seconds must be a number of seconds between 1 and 3600');
  process.exit(2);
}

await fs.mkdir(values.out!, { recursive: true });
const results: ScenarioResult[] = [];
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
for (const name of names) {
  const ctx: ScenarioContext = {
    seconds,
    args: {
      workers: values.workers,
      concurrency: values.concurrency,
      docs: values.docs,
      pool: values.pool,
      retrieval: values.retrieval,
      vectors: values.vectors,
      users: values.users,
      variants: values.variants,
      rounds: values.rounds,
      calls: values.calls,
      rate: values.rate,
    },
    log: (m) => console.log(`[${name}] ${m}`),
  };
  console.log(`[${name}] running (${scenarios[name].about})`);
  const t0 = performance.now();
  const result = await scenarios[name].run(ctx);
  console.log(`[${name}] done in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  for (const run of result.runs) {
    const s = run.summary;
    console.log(
      `[${name}] ${run.name}: ${s.completedPerSecond} completed/s, p50 ${s.e2eMs.p50} ms, p95 ${s.e2eMs.p95} ms, p99 ${s.e2eMs.p99} ms, success ${(s.successRate * 100).toFixed(1)}%, errors ${JSON.stringify(s.errors)}`,
    );
  }
  results.push(result);
  await fs.writeFile(
    path.join(values.out!, `${name}-${stamp}.json`),
    `${JSON.stringify({ machine: machine(), seconds, ...result }, null, 2)}\n`,
  );
}
const md = toMarkdown(results);
await fs.writeFile(path.join(values.out!, 'summary.md'), `${md}\n`);
console.log(`\nwrote ${path.relative(ROOT, values.out!)}/summary.md`);
