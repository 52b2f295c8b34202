import { type questionTerms, stripDiacritics, tokenize } from './text.ts';

type QuestionTerms = ReturnType<typeof questionTerms>;

/**
 * How much of the question a passage covers, 0..1: its content words found in the passage, plus (counted twice)
 * its adjacent-word pairs found as adjacent words in the passage. Diacritics-insensitive, so a question typed
 * without them covers a passage written with them.
 */
export function coverage(q: QuestionTerms, text: string): number {
  const total = q.words.size + 2 * q.pairs.size;
  if (total === 0) return 0;
  const toks = tokenize(stripDiacritics(text));
  const words = new Set(toks);
  let found = 0;
  for (const w of q.words) if (words.has(w)) found++;
  if (q.pairs.size) {
    const pairs = new Set<string>();
    for (let i = 0; i + 1 < toks.length; i++) pairs.add(`${toks[i]} ${toks[i + 1]}`);
    for (const p of q.pairs) if (pairs.has(p)) found += 2;
  }
  return found / total;
}
