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
