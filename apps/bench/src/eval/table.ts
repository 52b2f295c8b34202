import type { EvalFigures, Slice } from './score.ts';

export interface EvalRow {
  retrieval: string;
  mode: string;
  slice: Slice;
  figures: EvalFigures;
}

const f = (x: number | null) => (x === null ? 'n/a' : x.toFixed(3));

/** The figures as a Markdown table (what `npm run eval` prints and the README shows). */
export function evalTable(rows: EvalRow[]): string {
  const lines = [
    '| retrieval | mode | questions | n (answerable / not) | hit@1 | hit@3 | hit@5 | MRR | fact in answer | decline precision | decline recall |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const x = r.figures;
    lines.push(
      `| ${r.retrieval} | ${r.mode} | ${r.slice} | ${x.answerable} / ${x.unanswerable} | ${f(x.hit1)} | ${f(x.hit3)} | ${f(x.hit5)} | ${f(x.mrr)} | ${f(x.factInAnswer)} | ${f(x.declinePrecision)} | ${f(x.declineRecall)} |`,
    );
  }
  return lines.join('\n');
}
