import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startTestStack, type TestStack } from '../support/test-stack.ts';
import { loadEvalSet } from '../../apps/bench/src/eval/eval-set.ts';
import { runEval } from '../../apps/bench/src/eval/run-eval.ts';
import { scoreBySlice, SLICES } from '../../apps/bench/src/eval/score.ts';
import { belowFloor, FLOOR_FILE, floorOf, type Floor } from '../../apps/bench/src/eval/floor.ts';
import type { EvalRow } from '../../apps/bench/src/eval/table.ts';

const SAMPLE = path.resolve(import.meta.dirname, '../../data/sample');
// Hash embeddings and extractive answers are deterministic; HNSW's graph is not (random levels), so a near tie may
// flip: each figure may fall by 0.02 or one question of its slice (belowFloor), no more.
const MARGIN = 0.02;

let stack: TestStack;
before(async () => {
  stack = await startTestStack({ workers: 1, ingest: [SAMPLE], env: { CACHE_TTL_S: '0' } });
});
after(() => stack.close());

test('the labelled set through the gateway and a worker scores no lower than data/eval/floor.json', async () => {
  const floor = JSON.parse(fs.readFileSync(FLOOR_FILE, 'utf8')) as Floor;
  const items = loadEvalSet();
  assert.ok(items.filter((i) => i.answerable).length >= 60 && items.filter((i) => !i.answerable).length >= 20);
  const rows: EvalRow[] = [];
  for (const mode of ['fast', 'quality'] as const) {
    const outcomes = await runEval(stack.url, items, { mode });
    assert.equal(outcomes.filter((o) => o.error).length, 0, 'every ask completes');
    const by = scoreBySlice(outcomes);
    for (const slice of SLICES) rows.push({ retrieval: 'default', mode, slice, figures: by[slice] });
  }
  const fell = belowFloor(floor, floorOf(rows), MARGIN);
  assert.deepEqual(fell, [], `figures fell below the floor:\n${fell.join('\n')}`);
});
