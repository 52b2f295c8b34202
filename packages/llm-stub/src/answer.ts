import { createHash } from 'node:crypto';

const NO_PASSAGES_ANSWER = "I don't know based on the provided documents.";

const PASSAGE_LINE = /^\s*\[(\d+)\][ \t]*(.*)$/;
/** Where the context block ends: the prompt's question or answer cue ("Question: ...", "Answer with citations:"). */
const END_OF_CONTEXT = /^\s*(Question|Answer)\b[^:\n]{0,40}:/i;

/**
 * The numbered context passages of a prompt: a line starting with `[n]` opens passage n, running to the next `[m]`
 * line or the question. When lines follow the `[n]` line, that line is a title (`[1] Title\ncontent`, the RAG
 * prompt's layout) and the lines below are the text; otherwise the text is on the `[n]` line itself.
 */
export function passagesIn(prompt: string): Map<number, string> {
  const passages = new Map<number, string>();
  const lines = prompt.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const m = PASSAGE_LINE.exec(lines[i]);
    if (!m) continue;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !PASSAGE_LINE.test(lines[j]) && !END_OF_CONTEXT.test(lines[j]); j++) body.push(lines[j]);
    const text = clean(body.join('\n'));
    const n = Number(m[1]);
    if (!passages.has(n)) passages.set(n, text || clean(m[2]));
    i = j - 1;
  }
  return passages;
}

/** Drops Markdown headings and folds whitespace. */
const clean = (s: string) =>
  s
    .replace(/^\s*#+\s.*$/gm, '')
    .replace(/\s+/g, ' ')
    .trim();

function firstSentence(text: string): string {
  return (text.split(/(?<=[.!?])\s/)[0] ?? text).trim().replace(/[.!?;:,]+$/, '');
}

/**
 * A deterministic answer from the prompt: the first sentence of context passage [1] (and [2] when present),
 * cited as a real model is asked to, so tests can check citations end to end. At most `maxWords` words
 * (tokens ≈ words), still ending with the citation.
 */
export function answerFor(prompt: string, maxWords: number, declines = false): string {
  const passages = passagesIn(prompt);
  const first = passages.get(1) ?? [...passages.values()][0];
  if (first === undefined) return NO_PASSAGES_ANSWER;
  const decline = declines ? declineFor(prompt, passages) : undefined;
  if (decline) return decline;
  let answer = `According to the documents, ${firstSentence(first) || 'the passage is empty'} [1].`;
  const second = passages.get(2);
  if (second) answer += ` See also: ${firstSentence(second)} [2].`;
  const words = answer.split(' ');
  const max = Math.max(1, Math.floor(maxWords));
  return words.length > max ? `${words.slice(0, max).join(' ')} [1].` : answer;
}

const fold = (s: string) =>
  s
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D')
    .toLowerCase();
const tokens = (s: string) => fold(s).match(/[\p{L}\p{N}]+/gu) ?? [];
const pairs = (ts: string[]) => ts.slice(1).map((t, i) => `${ts[i]} ${t}`);

/**
 * Like a model that follows the instruction "if the passages do not contain the answer, reply with exactly X": when
 * the prompt carries such an instruction and fewer than a third of the question's adjacent word pairs (diacritics
 * folded; Vietnamese words are syllables, too common alone to tell anything) occur in the passages, the answer is X
 * alone. Without the instruction it answers as before.
 */
function declineFor(prompt: string, passages: Map<number, string>): string | undefined {
  const marker = /reply with exactly ([A-Z_]{3,40}) and nothing else/.exec(prompt)?.[1];
  const question = /^\s*Question:\s*(.+)$/m.exec(prompt)?.[1];
  if (!marker || question === undefined) return undefined;
  const context = new Set(pairs(tokens([...passages.values()].join(' '))));
  const asked = pairs(tokens(question));
  const found = asked.filter((p) => context.has(p)).length;
  return asked.length > 0 && found * 3 >= asked.length ? undefined : marker;
}

/** Whitespace-separated words: the stand-in's token count. */
export const countWords = (s: string) => (s.match(/\S+/g) ?? []).length;

/** A deterministic L2-normalised vector for a text (not semantic: tests need stable vectors, not meaning). */
export function embeddingFor(text: string, dim: number): Float32Array {
  const v = new Float32Array(dim);
  let block = createHash('sha256').update(text).digest();
  let k = 0;
  let sum = 0;
  for (let i = 0; i < dim; i++) {
    if (k + 2 > block.length) {
      block = createHash('sha256').update(block).digest();
      k = 0;
    }
    const x = block.readInt16LE(k) / 32768;
    v[i] = x;
    sum += x * x;
    k += 2;
  }
  const norm = Math.sqrt(sum) || 1;
  for (let i = 0; i < dim; i++) v[i] /= norm;
  return v;
}

/** Float32 little-endian, base64: what the OpenAI API returns for `encoding_format: "base64"`. */
export function float32Base64(v: Float32Array): string {
  const buf = Buffer.allocUnsafe(v.length * 4);
  for (let i = 0; i < v.length; i++) buf.writeFloatLE(v[i], i * 4);
  return buf.toString('base64');
}
