import path from 'node:path';
import { ROOT } from '@rag/testing';
import type { EvalFigures } from './score.ts';
import type { EvalRow } from './table.ts';

/** The figures `npm test` holds the default configuration to (written by `npm run eval -- --write-floor`). */
export const FLOOR_FILE = path.join(ROOT, 'data/eval/floor.json');

/** Figures that must not fall (higher is better for each). */
const FLOOR_METRICS = ['hit1', 'hit5', 'mrr', 'factInAnswer', 'declinePrecision', 'declineRecall'] as const;

type Metric = (typeof FLOOR_METRICS)[number];
export type Floor = Record<string, Partial<Record<Metric | 'answerable' | 'unanswerable', number | null>>>;

/** `mode/slice` -> the figures kept, with the question counts they are shares of. */
export function floorOf(rows: EvalRow[]): Floor {
  const out: Floor = {};
  for (const r of rows) {
    out[`${r.mode}/${r.slice}`] = {
      answerable: r.figures.answerable,
      unanswerable: r.figures.unanswerable,
      ...Object.fromEntries(FLOOR_METRICS.map((m) => [m, r.figures[m]])),
    };
  }
  return out;
}

/**
 * Every figure that fell below the floor by more than `margin`, or by more than one question of its slice when
 * that is more (HNSW builds its graph with random levels, so a near tie can flip between two databases), as
 * readable lines (empty: none did).
 */
export function belowFloor(floor: Floor, now: Floor, margin: number): string[] {
  const out: string[] = [];
  for (const [key, want] of Object.entries(floor)) {
    for (const m of FLOOR_METRICS) {
      const w = want[m];
      if (w === null || w === undefined) continue;
      const n = (m.startsWith('decline') ? want.unanswerable : want.answerable) ?? 0;
      const allowed = Math.max(margin, n > 0 ? 1 / n : 0);
      const got = now[key]?.[m] ?? 0;
      if (got < w - allowed - 1e-9) out.push(`${key} ${m}: ${got} < floor ${w} - ${allowed.toFixed(3)}`);
    }
  }
  return out;
}

export type { EvalFigures };
