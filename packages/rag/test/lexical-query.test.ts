import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { lexicalQuery } from '../src/index.ts';
import { coverage } from '../src/evidence.ts';
import { questionTerms } from '../src/text.ts';
import { isLlmDecline, mayBecomeDecline, questionLanguage } from '../src/decline.ts';

/** What lexicalQuery may produce: quoted runs of letters and digits (one or two words) joined by " or ". */
const SHAPE = /^("[\p{L}\p{N}]+( [\p{L}\p{N}]+)?"( or "[\p{L}\p{N}]+( [\p{L}\p{N}]+)?")*)?$/u;

describe('the lexical query of hybrid retrieval', () => {
  test('folded content words, and adjacent pairs as phrases; question words alone are left out', () => {
    const q = lexicalQuery('Bảo đảm dự thầu là gì?');
    assert.equal(q.terms, '"dam" or "du" or "thau"');
    assert.equal(q.phrases, '"bao dam" or "dam du" or "du thau" or "thau la"');
    assert.deepEqual(lexicalQuery('là gì?'), { terms: '', phrases: '' });
  });

  test('whatever the text, only quoted words joined by "or" come out (no operator of the input survives)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => {
        const q = lexicalQuery(s);
        assert.match(q.terms, SHAPE);
        assert.match(q.phrases, SHAPE);
      }),
      { numRuns: 500 },
    );
    const q = lexicalQuery('&|!:*()<-> \'x\':* "a" \\ \u0000 -b or');
    assert.equal(q.terms, '"x" or "b"');
  });

  test('a 4000-character question uses its first 64 words', () => {
    const q = lexicalQuery(Array.from({ length: 1000 }, (_, i) => `w${i}`).join(' '));
    assert.equal(q.terms.split(' or ').length, 64);
    assert.equal(q.phrases.split(' or ').length, 63);
  });

  test('coverage: phrases count double, diacritics do not matter', () => {
    const t = questionTerms('bao dam du thau');
    assert.equal(coverage(t, 'Bảo đảm dự thầu được hoàn trả.'), 1);
    assert.ok(coverage(t, 'Thầu dự, đảm bảo.') < 0.5);
    assert.equal(coverage(t, 'nothing in common'), 0);
  });
});

describe('declining', () => {
  test("the question's language: Vietnamese letters, Vietnamese typed without them, else English", () => {
    assert.equal(questionLanguage('Thủ đô của nước Pháp là gì?'), 'vi');
    assert.equal(questionLanguage('Thu do cua nuoc Phap la gi?'), 'vi');
    assert.equal(questionLanguage('bao lau thi duoc tra lai tien bao lanh'), 'vi');
    assert.equal(questionLanguage('How do I bake sourdough bread at home?'), 'en');
    assert.equal(questionLanguage('What is the bid security?'), 'en');
    assert.equal(questionLanguage('🤔'), 'en');
  });

  test("the LLM's decline marker is recognised, also wrapped or explained, and never mistaken in an answer", () => {
    for (const a of ['NO_ANSWER', ' "NO_ANSWER".', '**NO_ANSWER**', 'NO_ANSWER - the passages are about procurement'])
      assert.equal(isLlmDecline(a), true, a);
    for (const a of ['Bid security is 1% [1].', 'The answer is NO_ANSWER', 'NO_ANSWERS'])
      assert.equal(isLlmDecline(a), false, a);
    // While streaming: held back only while it could still become the marker.
    assert.equal(mayBecomeDecline('NO_'), true);
    assert.equal(mayBecomeDecline(' "NO_ANSWER'), true);
    assert.equal(mayBecomeDecline('Bid'), false);
    assert.equal(mayBecomeDecline('NOT'), false);
  });
});
