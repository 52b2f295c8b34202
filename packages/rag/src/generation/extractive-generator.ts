import { COMMON_WORDS, splitSentences, stripDiacritics, tokenize } from '../text.ts';
import { declineAnswer } from '../decline.ts';
import type { GenerateInput, Generation, Generator } from './generator.ts';

function terms(text: string): { uni: Set<string>; bi: Set<string> } {
  const toks = tokenize(stripDiacritics(text));
  const uni = new Set(toks.filter((t) => !COMMON_WORDS.has(t)));
  const bi = new Set<string>();
  for (let i = 0; i + 1 < toks.length; i++) bi.add(`${toks[i]} ${toks[i + 1]}`);
  return { uni, bi };
}

/**
 * Offline generator: picks the sentences of the retrieved passages that best cover the question (matching
 * syllables and syllable pairs, diacritics-insensitive, with a small bonus for the passage's rank) and composes
 * them into an answer that cites each sentence's passage as [n].
 */
export class ExtractiveGenerator implements Generator {
  readonly model = 'extractive-v1';
  /** Declines when the retrieval evidence (GenerateInput.evidence) is below this (DECLINE_THRESHOLD). */
  private readonly declineBelow: number;
  constructor(opts: { declineBelow?: number } = {}) {
    this.declineBelow = opts.declineBelow ?? 0;
  }

  async generate(input: GenerateInput): Promise<Generation> {
    input.signal?.throwIfAborted();
    const whole = (answer: string): Generation => {
      input.onToken?.(answer);
      return { answer, model: this.model };
    };
    // It cannot tell an answer from a passage that merely shares words, so it declines on the retrieval evidence.
    if (input.passages.length === 0 || (input.evidence ?? 1) < this.declineBelow) {
      input.onToken?.(declineAnswer(input.question));
      return { answer: declineAnswer(input.question), answerable: false, model: this.model };
    }
    const q = terms(input.question);
    const want = input.mode === 'quality' ? 5 : 3;
    const scored: { sentence: string; index: number; order: number; score: number }[] = [];
    let order = 0;
    for (const p of input.passages) {
      for (const sentence of splitSentences(p.content)) {
        const s = terms(sentence);
        let score = 0;
        for (const t of q.uni) if (s.uni.has(t)) score += 1;
        for (const t of q.bi) if (s.bi.has(t)) score += 2;
        // Earlier (better-ranked) passages win ties; very long sentences make poor answers.
        score += 0.5 / p.index - Math.max(0, sentence.length - 300) / 600;
        scored.push({ sentence, index: p.index, order: order++, score });
      }
    }
    const seen = new Set<string>();
    const picked = scored
      .sort((a, b) => b.score - a.score)
      .filter((s) => {
        const key = stripDiacritics(s.sentence.toLowerCase());
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      })
      .slice(0, want)
      .sort((a, b) => a.order - b.order);
    if (picked.length === 0) {
      const first = input.passages[0];
      return whole(`${first.content.slice(0, 300).trim()} [${first.index}]`);
    }
    // Each cited sentence is one token of the stream: the pieces concatenate to the answer.
    const pieces = picked.map((s, i) => `${i ? ' ' : ''}${s.sentence.replace(/[.;!?]*$/u, '')} [${s.index}].`);
    for (const piece of pieces) input.onToken?.(piece);
    return { answer: pieces.join(''), model: this.model };
  }
}
