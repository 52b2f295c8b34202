import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { stripDiacritics } from '@rag/rag';
import { ROOT } from '@rag/testing';

/** data/eval/questions.json: the labelled set (see its `about`). */
const questionSchema = z.discriminatedUnion('answerable', [
  z.strictObject({
    id: z.string().min(1),
    lang: z.enum(['vi', 'en']),
    kind: z.enum(['direct', 'paraphrase']),
    question: z.string().min(1),
    answerable: z.literal(true).default(true),
    documentIds: z.array(z.string().min(1)).min(1),
    facts: z.array(z.string().min(1)).min(1),
  }),
  z.strictObject({
    id: z.string().min(1),
    lang: z.enum(['vi', 'en']),
    kind: z.enum(['off-topic', 'near-topic']),
    question: z.string().min(1),
    answerable: z.literal(false),
  }),
]);
const fileSchema = z.object({ about: z.string(), questions: z.array(questionSchema).min(1) });

/** One question as asked. `slice`: Vietnamese with diacritics, the same without them, or English. */
export interface EvalItem {
  id: string;
  slice: 'vi' | 'vi-plain' | 'en';
  kind: string;
  question: string;
  answerable: boolean;
  documentIds: string[];
  facts: string[];
}

const EVAL_SET = path.join(ROOT, 'data/eval/questions.json');

/**
 * Loads the set and adds, for every Vietnamese question, the same question without diacritics ("bao dam du thau
 * la gi"), which is how it is typed without a Vietnamese keyboard: the two slices are the same questions, so their
 * figures compare directly.
 */
export function loadEvalSet(file = EVAL_SET): EvalItem[] {
  // zod's discriminated union needs the discriminator present: an answerable question may omit it.
  const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as { questions?: Record<string, unknown>[] };
  for (const q of raw.questions ?? []) q.answerable ??= true;
  const parsed = fileSchema.parse(raw);
  const ids = new Set<string>();
  const out: EvalItem[] = [];
  for (const q of parsed.questions) {
    if (ids.has(q.id)) throw new Error(`${file}: duplicate question id ${q.id}`);
    ids.add(q.id);
    const item: EvalItem = {
      id: q.id,
      slice: q.lang,
      kind: q.kind,
      question: q.question,
      answerable: q.answerable,
      documentIds: q.answerable ? q.documentIds : [],
      facts: q.answerable ? q.facts : [],
    };
    out.push(item);
    if (q.lang === 'vi')
      out.push({ ...item, id: `${q.id}-plain`, slice: 'vi-plain', question: stripDiacritics(q.question) });
  }
  return out;
}
