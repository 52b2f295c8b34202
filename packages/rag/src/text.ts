/** Text helpers shared by the hash embeddings, the extractive generator and the answer cache. */

const MARKS = /\p{M}+/gu;

/** "bảo đảm dự thầu" -> "bao dam du thau" (đ is a letter of its own, not a mark, so it is mapped by hand). */
export function stripDiacritics(text: string): string {
  return text.normalize('NFD').replace(MARKS, '').replace(/đ/g, 'd').replace(/Đ/g, 'D').normalize('NFC');
}

/** NFC, lower case, split on anything that is not a letter or digit (Vietnamese syllables are space-separated). */
export function tokenize(text: string): string[] {
  return (
    text
      .normalize('NFC')
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? []
  );
}

/**
 * The cache's notion of "the same question": NFC, lower case, collapsed whitespace, no trailing punctuation.
 * Diacritics are kept: "bán" and "ban" are different words.
 */
export function normalizeQuestion(question: string): string {
  return question
    .normalize('NFC')
    .toLowerCase()
    .replace(/\s+/gu, ' ')
    .trim()
    .replace(/[\s\p{P}]+$/u, '')
    .trim();
}

/** Splits a passage into sentences (on . ! ? ; and line breaks), dropping Markdown headings and list marks. */
export function splitSentences(text: string): string[] {
  return text
    .split(/\n+/u)
    .filter((line) => !/^\s{0,3}#/u.test(line))
    .flatMap((line) => line.split(/(?<=[.!?;])\s+/u))
    .map((s) => s.replace(/^\s*([-*+]|\d+[.)])\s+/u, '').trim())
    .filter((s) => s.length >= 12 && /\p{L}/u.test(s));
}

/** Syllables and words too common in the corpus (and in questions) to say anything about relevance; folded. */
export const COMMON_WORDS: ReadonlySet<string> = new Set(
  'và của là có các được cho trong với những một này theo khi thì không để đã từ về như tại do the of and a an to in is are for on by with be or what which how'
    .split(' ')
    .map((w) => stripDiacritics(w)),
);

/** Question words that match nothing useful in a passage ("là gì", "bao nhiêu", "nào"), on top of COMMON_WORDS. */
const QUESTION_WORDS: ReadonlySet<string> = new Set(['gi', 'nao', 'bao', 'nhieu']);

/**
 * A question's content words and adjacent-word pairs, folded (no diacritics, lower case), from its first `maxWords`
 * words. Common and question words are left out as words; a pair is kept unless both its words are such words, so
 * "bảo đảm" stays a pair although "bao" alone ("bao nhiêu") says nothing.
 */
export function questionTerms(question: string, maxWords = 64): { words: Set<string>; pairs: Set<string> } {
  const toks = tokenize(stripDiacritics(question)).slice(0, maxWords);
  const skip = (w: string) => COMMON_WORDS.has(w) || QUESTION_WORDS.has(w);
  const words = new Set(toks.filter((w) => !skip(w)));
  const pairs = new Set<string>();
  for (let i = 0; i + 1 < toks.length; i++) {
    if (!(skip(toks[i]) && skip(toks[i + 1]))) pairs.add(`${toks[i]} ${toks[i + 1]}`);
  }
  return { words, pairs };
}

/**
 * The question's words for the lexical arm of hybrid retrieval, in `websearch_to_tsquery` syntax: each content
 * word quoted and joined by `or` (any word may match), and each pair of adjacent words as a quoted phrase (the
 * evidence that "bảo đảm dự thầu" is there as a phrase, not as syllables scattered over the passage). Only letters
 * and digits survive tokenising, so the text carries no operator of its own.
 */
export function lexicalQuery(question: string): { terms: string; phrases: string } {
  const { words, pairs } = questionTerms(question);
  const quoted = (xs: Set<string>) => [...xs].map((x) => `"${x}"`).join(' or ');
  return { terms: quoted(words), phrases: quoted(pairs) };
}
