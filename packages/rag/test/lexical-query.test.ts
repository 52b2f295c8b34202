import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { lexicalQuery } from '../src/index.ts';
import { coverage } from '../src/evidence.ts';
import { questionTerms } from '../src/text.ts';

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
