import fs from 'node:fs';
import path from 'node:path';
import { mulberry32, ROOT } from '@rag/testing';

/** The question sets the k6 scripts use (load-tests/data), so the benchmark and k6 ask the same things. */
export function loadQuestions(): string[] {
  const out: string[] = [];
  for (const f of ['questions-vi.json', 'questions-en.json']) {
    const p = path.join(ROOT, 'load-tests', 'data', f);
    if (fs.existsSync(p)) {
      const data = JSON.parse(fs.readFileSync(p, 'utf8')) as unknown;
      const list = Array.isArray(data) ? data : ((data as { questions?: unknown[] }).questions ?? []);
      for (const q of list) out.push(typeof q === 'string' ? q : String((q as { question?: string }).question ?? ''));
    }
  }
  const clean = out.filter((q) => q.trim().length > 0);
  if (clean.length === 0) throw new Error('no questions found in load-tests/data/questions-*.json');
  return clean;
}

/** Unique asks (so the answer cache cannot serve them): the n-th question of the list with a counter. */
export function uniqueAsk(questions: string[]) {
  return (i: number) => ({ question: `${questions[i % questions.length]} (${i})` });
}

/** Zipf(s) over the list: a few questions very often, a long tail rarely (how real users repeat themselves). */
export function zipfAsk(questions: string[], s = 1.1, seed = 42) {
  const weights = questions.map((_, k) => 1 / (k + 1) ** s);
  const total = weights.reduce((a, b) => a + b, 0);
  const cdf: number[] = [];
  let acc = 0;
  for (const w of weights) {
    acc += w / total;
    cdf.push(acc);
  }
  // Deterministic, so the runs with and without the cache see the same sequence.
  const rand = mulberry32(seed);
  return () => {
    const r = rand();
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < r) lo = mid + 1;
      else hi = mid;
    }
    return { question: questions[lo] };
  };
}
