import path from 'node:path';
import { ROOT } from '@rag/testing';
import type { EvalFigures } from './score.ts';
import type { EvalRow } from './table.ts';

/** The figures `npm test` holds the default configuration to (written by `npm run eval -- --write-floor`). */
export const FLOOR_FILE = path.join(ROOT, 'data/eval/floor.json');

/** Figures that must not fall (higher is better for each). */
export const FLOOR_METRICS = ['hit1', 'hit5', 'mrr', 'factInAnswer', 'declinePrecision', 'declineRecall'] as const;

export type Floor = Record<string, Partial<Record<(typeof FLOOR_METRICS)[number], number | null>>>;

/** `mode/slice` -> the figures kept. */
export function floorOf(rows: EvalRow[]): Floor {
  const out: Floor = {};
  for (const r of rows) {
    out[`${r.mode}/${r.slice}`] = Object.fromEntries(FLOOR_METRICS.map((m) => [m, r.figures[m]]));
  }
  return out;
}

/** Every figure that fell more than `margin` below the floor, as readable lines (empty: none did). */
export function belowFloor(floor: Floor, now: Floor, margin: number): string[] {
  const out: string[] = [];
  for (const [key, want] of Object.entries(floor)) {
    for (const m of FLOOR_METRICS) {
      const w = want[m];
      if (w === null || w === undefined) continue;
      const got = now[key]?.[m] ?? 0;
      if ((got ?? 0) < w - margin) out.push(`${key} ${m}: ${got} < floor ${w} - ${margin}`);
    }
  }
  return out;
}

export type { EvalFigures };
