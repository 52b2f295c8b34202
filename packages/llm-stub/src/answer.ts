import { createHash } from 'node:crypto';

/**
 * A deterministic answer from the prompt: the first sentence of context passage [1] (and [2] when present),
 * cited as the real prompt asks, so tests can check citations end to end.
 */
export function answerFor(prompt: string, maxWords: number): string {
  const passages = new Map<number, string>();
  const re = /^\[(\d+)\][^\n]*\n([\s\S]*?)(?=\n\[\d+\]|\n\nQuestion:|$)/gm;
  for (const m of prompt.matchAll(re)) passages.set(Number(m[1]), m[2].trim());
  if (!passages.size) return "I don't know based on the provided documents.";
  const first = (n: number) => {
    const text = (passages.get(n) ?? '').replace(/^#+\s.*$/gm, '').replace(/\s+/g, ' ').trim();
    return (text.split(/(?<=[.!?])\s/)[0] ?? text).replace(/[.!?]$/, '');
  };
  let answer = `According to the documents, ${first(1)} [1].`;
  if (passages.has(2)) answer += ` See also: ${first(2)} [2].`;
  const words = answer.split(' ');
  return words.length > maxWords ? `${words.slice(0, maxWords).join(' ')} [1].` : answer;
}

/** A deterministic unit vector for a text (not semantic: tests need stable vectors, not meaning). */
export function embeddingFor(text: string, dim: number): number[] {
  const v = new Array<number>(dim);
  let seed = createHash('sha256').update(text).digest();
  let k = 0;
  for (let i = 0; i < dim; i++) {
    if (k + 2 > seed.length) {
      seed = createHash('sha256').update(seed).digest();
      k = 0;
    }
    v[i] = seed.readInt16LE(k) / 32768;
    k += 2;
  }
  const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0)) || 1;
  return v.map((x) => x / norm);
}
