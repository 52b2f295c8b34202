import fs from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createTestDatabase, ingestInto, ROOT } from '@rag/testing';
import { startBenchStack } from './bench-stack.ts';
import { loadEvalSet } from './eval/eval-set.ts';
import { runEval } from './eval/run-eval.ts';
import { scoreBySlice, SLICES, type EvalOutcome } from './eval/score.ts';
import { evalTable, type EvalRow } from './eval/table.ts';
import { FLOOR_FILE, floorOf } from './eval/floor.ts';
import { machine } from './report.ts';

/**
 * npm run eval [-- --retrieval hybrid,vector --decline-threshold 0.2,0.3 --modes fast,quality --write-floor]
 * Ingests data/sample into a fresh database, then for each retrieval setting starts a gateway and a worker process
 * (as `npm run bench` does) and asks every question of the labelled set in each mode. Prints the figures as a
 * table and writes bench-results/eval-<time>.json with every answer. `--write-floor` records the first retrieval
 * setting's figures in data/eval/floor.json, the figures the test in `npm test` keeps from falling.
 */
const { values } = parseArgs({
  options: {
    retrieval: { type: 'string', default: 'hybrid,vector' },
    'decline-threshold': { type: 'string', default: '' },
    modes: { type: 'string', default: 'fast,quality' },
    set: { type: 'string' },
    out: { type: 'string', default: path.join(ROOT, 'bench-results') },
    'write-floor': { type: 'boolean', default: false },
  },
  allowPositionals: false,
});
const list = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
const modes = list(values.modes!);
if (!modes.length || modes.some((m) => m !== 'fast' && m !== 'quality')) {
  console.error('--modes must list fast and/or quality');
  process.exit(2);
}
const retrievals = list(values.retrieval!);
// Each retrieval setting with each DECLINE_THRESHOLD given (none given: the configured default).
const thresholds = list(values['decline-threshold']!);
const settings = retrievals.flatMap((retrieval) =>
  thresholds.length
    ? thresholds.map((t) => ({
        label: `${retrieval}, decline < ${t}`,
        env: { RETRIEVAL: retrieval, DECLINE_THRESHOLD: t },
      }))
    : [{ label: retrieval, env: (retrieval === 'default' ? {} : { RETRIEVAL: retrieval }) as Record<string, string> }],
);
const items = loadEvalSet(values.set ? path.resolve(values.set) : undefined);
console.log(
  `eval: ${items.length} asks per mode (${items.filter((i) => !i.answerable).length} the corpus does not answer), modes ${modes.join(', ')}, retrieval ${retrievals.join(', ')}`,
);

const rows: EvalRow[] = [];
const runs: { retrieval: string; mode: string; outcomes: EvalOutcome[] }[] = [];
// One database for every setting, so the settings differ in nothing else.
const db = await createTestDatabase();
try {
  await ingestInto(db.url, [path.join(ROOT, 'data/sample')]);
  for (const { label: retrieval, env } of settings) {
    const stack = await startBenchStack({ workers: 1, db, env: { CACHE_TTL_S: '0', ...env } });
    try {
      for (const mode of modes as ('fast' | 'quality')[]) {
        const t0 = performance.now();
        const outcomes = await runEval(stack.url, items, { mode });
        console.log(
          `  ${retrieval} / ${mode}: ${outcomes.length} asks in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
        );
        runs.push({ retrieval, mode, outcomes });
        const bySlice = scoreBySlice(outcomes);
        for (const slice of SLICES) rows.push({ retrieval, mode, slice, figures: bySlice[slice] });
      }
    } finally {
      await stack.close();
    }
  }
} finally {
  await db.drop();
}

const table = evalTable(rows);
console.log(`\n${table}\n`);
await fs.mkdir(values.out!, { recursive: true });
const file = path.join(values.out!, `eval-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
await fs.writeFile(
  file,
  `${JSON.stringify(
    {
      machine: machine(),
      rows,
      runs: runs.map((r) => ({
        retrieval: r.retrieval,
        mode: r.mode,
        answers: r.outcomes.map((o) => ({
          id: o.item.id,
          question: o.item.question,
          answerable: o.item.answerable,
          declined: o.declined,
          error: o.error,
          cited: o.citedDocuments,
          answer: o.answer,
        })),
      })),
    },
    null,
    2,
  )}\n`,
);
console.log(`wrote ${path.relative(ROOT, file)}`);
if (values['write-floor']) {
  const floor = rows.filter((r) => r.retrieval === settings[0].label);
  await fs.writeFile(FLOOR_FILE, `${JSON.stringify(floorOf(floor), null, 2)}\n`);
  console.log(`wrote ${path.relative(ROOT, FLOOR_FILE)}`);
}
