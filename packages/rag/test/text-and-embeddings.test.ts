import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DECLINE_ANSWERS,
  ExtractiveGenerator,
  hashEmbed,
  hashFeatures,
  normalizeQuestion,
  splitSentences,
  stripDiacritics,
} from '../src/index.ts';

const cosine = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0);

describe('text normalisation', () => {
  test('strips Vietnamese diacritics including đ', () => {
    assert.equal(stripDiacritics('Bảo đảm dự thầu ĐẤU THẦU'), 'Bao dam du thau DAU THAU');
  });
  test('the cache key form ignores case, spacing, Unicode form and trailing punctuation, not diacritics', () => {
    const nfd = 'Nhà thầu là gì?'.normalize('NFD');
    assert.equal(normalizeQuestion(`  ${nfd}  `), 'nhà thầu là gì');
    assert.equal(normalizeQuestion('NHÀ   thầu là gì ?!'), 'nhà thầu là gì');
    assert.notEqual(normalizeQuestion('bán'), normalizeQuestion('ban'));
  });
  test('splits passages into sentences, leaving out headings and list marks', () => {
    assert.deepEqual(splitSentences('# Tiêu đề dài hơn mười hai\n\nCâu thứ nhất rất dài. - Câu thứ hai cũng dài!'), [
      'Câu thứ nhất rất dài.',
      'Câu thứ hai cũng dài!',
    ]);
  });
});

describe('hash embeddings', () => {
  test('are deterministic, L2-normalised and of the requested dimension', () => {
    const a = hashEmbed('bảo đảm dự thầu', 384);
    assert.equal(a.length, 384);
    assert.deepEqual(a, hashEmbed('bảo đảm dự thầu', 384));
    assert.ok(Math.abs(cosine(a, a) - 1) < 1e-9);
  });
  test('features are syllable unigrams and bigrams, each also without diacritics', () => {
    const f = hashFeatures('Bảo đảm');
    assert.deepEqual(f.sort(), ['bao', 'bao dam', 'bảo', 'bảo đảm', 'dam', 'đảm'].sort());
  });
  test('a query without diacritics is close to the accented text, and far from unrelated text', () => {
    const doc = hashEmbed('Bảo đảm dự thầu là khoản tiền nhà thầu nộp khi tham dự thầu', 384);
    const plain = hashEmbed('bao dam du thau', 384);
    const other = hashEmbed('contract termination for convenience', 384);
    assert.ok(cosine(doc, plain) > 0.3, `similarity ${cosine(doc, plain)}`);
    assert.ok(cosine(doc, plain) > cosine(doc, other) + 0.2);
  });
  test('empty text still gives a unit vector (no NaN distances)', () => {
    const v = hashEmbed('', 16);
    assert.equal(cosine(v, v), 1);
  });
});

describe('extractive generator', () => {
  const passages = [
    {
      index: 1,
      documentId: 'a.md',
      title: 'A',
      chunkId: '1',
      score: 0.9,
      content: 'Bảo đảm dự thầu bằng 1% đến 3% giá gói thầu. Thời gian có hiệu lực được quy định rõ.',
    },
    {
      index: 2,
      documentId: 'b.md',
      title: 'B',
      chunkId: '2',
      score: 0.5,
      content: 'Hợp đồng trọn gói không điều chỉnh giá. Nhà thầu phải nộp bảo đảm dự thầu trước thời điểm đóng thầu.',
    },
  ];
  test('answers with the sentences that cover the question, citing each one', async () => {
    const g = await new ExtractiveGenerator().generate({
      question: 'bảo đảm dự thầu bao nhiêu',
      passages,
      mode: 'fast',
    });
    assert.match(g.answer, /1% đến 3% giá gói thầu \[1\]/);
    assert.match(g.answer, /nộp bảo đảm dự thầu trước thời điểm đóng thầu \[2\]/);
    assert.doesNotMatch(g.answer, /trọn gói/);
  });
  test("declines, in the question's language, when nothing was retrieved or the evidence is below its threshold", async () => {
    const none = await new ExtractiveGenerator().generate({
      question: 'What is bid security?',
      passages: [],
      mode: 'fast',
    });
    assert.equal(none.answerable, false);
    assert.equal(none.answer, DECLINE_ANSWERS.en);
    const g = new ExtractiveGenerator({ declineBelow: 0.2 });
    const weak = await g.generate({ question: 'Thủ đô của Pháp?', passages, mode: 'fast', evidence: 0.1 });
    assert.equal(weak.answerable, false);
    assert.equal(weak.answer, DECLINE_ANSWERS.vi);
    const strong = await g.generate({ question: 'bảo đảm dự thầu', passages, mode: 'fast', evidence: 0.9 });
    assert.notEqual(strong.answerable, false);
    assert.match(strong.answer, /\[1\]/);
  });
  test('respects an aborted signal', async () => {
    await assert.rejects(
      new ExtractiveGenerator().generate({ question: 'x', passages, mode: 'fast', signal: AbortSignal.abort() }),
    );
  });
});
