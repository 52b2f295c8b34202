import fs from 'node:fs';
import path from 'node:path';

export const SAMPLE_DIR = path.resolve(import.meta.dirname, '../../../../data/sample');

export const readSample = (rel: string) => new Uint8Array(fs.readFileSync(path.join(SAMPLE_DIR, rel)));

/** Whitespace-separated tokens without surrounding punctuation: the words a reader would see. */
export const words = (text: string) =>
  new Set(
    text
      .split(/\s+/u)
      .map((w) => w.replace(/^[\p{P}\p{S}]+|[\p{P}\p{S}]+$/gu, ''))
      .filter(Boolean),
  );

export const oneLine = (text: string) => text.replace(/\s+/gu, ' ').trim();
