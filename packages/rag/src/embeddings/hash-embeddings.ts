import { stripDiacritics, tokenize } from '../text.ts';
import type { Embedder } from './embedder.ts';

/** FNV-1a, 32 bit: fast, well spread, and stable across processes and versions (unlike a seeded hash). */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The features of a text: syllable unigrams and bigrams, each also in its diacritics-stripped form. */
export function hashFeatures(text: string): string[] {
  const tokens = tokenize(text);
  const features: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const uni = tokens[i];
    features.push(uni);
    const plainUni = stripDiacritics(uni);
    if (plainUni !== uni) features.push(plainUni);
    if (i + 1 < tokens.length) {
      const bi = `${uni} ${tokens[i + 1]}`;
      features.push(bi);
      const plainBi = stripDiacritics(bi);
      if (plainBi !== bi) features.push(plainBi);
    }
  }
  return features;
}

/**
 * Offline, deterministic embeddings by feature hashing (the "hashing trick"): each feature adds ±weight to one of
 * `dim` buckets, then the vector is L2-normalised so cosine distance works. Bigrams weigh more than unigrams
 * because a matching phrase ("bảo đảm dự thầu") says more than matching common syllables ("dự", "thầu").
 * A diacritics-less query matches the stripped features of accented text, so "bao dam du thau" still finds it.
 */
export function hashEmbed(text: string, dim: number): number[] {
  const v = new Float64Array(dim);
  for (const f of hashFeatures(text)) {
    const h = fnv1a(f);
    const weight = f.includes(' ') ? 1.5 : 1;
    v[h % dim] += h & 0x80000000 ? -weight : weight;
  }
  let norm = 0;
  for (let i = 0; i < dim; i++) norm += v[i] * v[i];
  norm = Math.sqrt(norm);
  const out = new Array<number>(dim);
  for (let i = 0; i < dim; i++) out[i] = norm > 0 ? v[i] / norm : 0;
  // An empty text would be the zero vector, whose cosine distance is undefined (NaN); give it a fixed direction.
  if (norm === 0) out[0] = 1;
  return out;
}

export class HashEmbeddings implements Embedder {
  readonly model: string;
  readonly dim: number;
  constructor(dim: number) {
    this.dim = dim;
    this.model = `hash-${dim}`;
  }
  async embedQuery(text: string): Promise<number[]> {
    return hashEmbed(text, this.dim);
  }
  async embedDocuments(texts: string[]): Promise<number[][]> {
    return texts.map((t) => hashEmbed(t, this.dim));
  }
}
