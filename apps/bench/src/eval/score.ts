import { stripDiacritics } from '@rag/rag';
import type { EvalItem } from './eval-set.ts';

/** What one ask returned, as far as the figures need it. */
export interface EvalOutcome {
  item: EvalItem;
  /** Ask failed (HTTP error or failed ask): counts as a miss and not a decline. */
  error?: string;
  answer: string;
  /** `result.answerable`; before declining existed, absent (= answered). */
  declined: boolean;
  /** The cited documents in citation order (index 1 first). */
  citedDocuments: string[];
}

export interface EvalFigures {
  questions: number;
  answerable: number;
  unanswerable: number;
  hit1: number;
  hit3: number;
  hit5: number;
  mrr: number;
  /** Answerable questions whose answer contains one of the facts (diacritics- and case-insensitive). */
  factInAnswer: number;
  /** Of the declined questions, the share the corpus does not answer (null: nothing declined). */
  declinePrecision: number | null;
  /** Of the questions the corpus does not answer, the share declined. */
  declineRecall: number;
  errors: number;
}

const fold = (s: string) => stripDiacritics(s).toLowerCase().replace(/\s+/gu, ' ');

/** 1-based rank of the first cited document that answers the question, or 0 when none of the first five does. */
function firstRelevantRank(o: EvalOutcome): number {
  if (o.declined || o.error) return 0;
  const i = o.citedDocuments.slice(0, 5).findIndex((d) => o.item.documentIds.includes(d));
  return i + 1;
}

function hasFact(o: EvalOutcome): boolean {
  if (o.declined || o.error) return false;
  const a = fold(o.answer);
  return o.item.facts.some((f) => a.includes(fold(f)));
}

const ratio = (n: number, d: number) => (d === 0 ? 0 : Math.round((n / d) * 1000) / 1000);

/**
 * The figures over a set of outcomes. A declined answerable question counts as a miss for hit@k, MRR and facts:
 * the user got no answer. Retrieval figures are over the answerable questions only.
 */
function score(outcomes: EvalOutcome[]): EvalFigures {
  const ans = outcomes.filter((o) => o.item.answerable);
  const un = outcomes.filter((o) => !o.item.answerable);
  const ranks = ans.map(firstRelevantRank);
  const declined = outcomes.filter((o) => o.declined);
  return {
    questions: outcomes.length,
    answerable: ans.length,
    unanswerable: un.length,
    hit1: ratio(ranks.filter((r) => r === 1).length, ans.length),
    hit3: ratio(ranks.filter((r) => r >= 1 && r <= 3).length, ans.length),
    hit5: ratio(ranks.filter((r) => r >= 1).length, ans.length),
    mrr: ratio(
      ranks.reduce((s, r) => s + (r ? 1 / r : 0), 0),
      ans.length,
    ),
    factInAnswer: ratio(ans.filter(hasFact).length, ans.length),
    declinePrecision: declined.length
      ? ratio(declined.filter((o) => !o.item.answerable).length, declined.length)
      : null,
    declineRecall: ratio(un.filter((o) => o.declined).length, un.length),
    errors: outcomes.filter((o) => o.error).length,
  };
}

export const SLICES = ['all', 'vi', 'vi-plain', 'en'] as const;
export type Slice = (typeof SLICES)[number];

export function scoreBySlice(outcomes: EvalOutcome[]): Record<Slice, EvalFigures> {
  const out = {} as Record<Slice, EvalFigures>;
  for (const s of SLICES) out[s] = score(s === 'all' ? outcomes : outcomes.filter((o) => o.item.slice === s));
  return out;
}
