import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { AskView } from '@rag/contract';
import { api } from '@rag/testing';
import { startTestStack, type TestStack } from '../support/test-stack.ts';

const SAMPLE = path.resolve(import.meta.dirname, '../../data/sample');

/**
 * The question's text reaches SQL in hybrid retrieval (as escaped literals into websearch_to_tsquery). Whatever a
 * client types ends in an answer or a 400, never a 500 or a failed ask.
 */
describe('hostile questions over HTTP (hybrid retrieval)', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startTestStack({ workers: 1, ingest: [SAMPLE], env: { RETRIEVAL: 'hybrid', CACHE_TTL_S: '0' } });
  });
  after(() => stack.close());

  const hostile: [string, string][] = [
    ['single quotes', "bảo đảm dự thầu'); DROP TABLE chunks; --"],
    ['double quotes', '"bảo đảm" "dự thầu" " "'],
    ['backslashes', "bảo\\ đảm\\\\ dự\\' thầu \\x00 \\"],
    ['NUL characters', 'bảo\u0000đảm dự\u0000thầu'],
    ['tsquery operators', "& | ! : * ( ) <-> <2> 'thầu':* !(bảo & đảm) | (dự <-> thầu)"],
    ['websearch syntax', '"unclosed or -bảo or or -- dự thầu'],
    ['only operators', '&|!:*()<->'],
    ['4000 characters', 'bảo đảm dự thầu & '.repeat(250).slice(0, 4000)],
    ['emoji', '🤔 bảo đảm dự thầu 💰💰 là gì? 👍🏽'],
    ['only emoji', '🤔🤔🤔'],
    ['mixed scripts', 'Bảo đảm 投标保证金 دور гарантия bid security दस्तावेज़'],
    ['combining marks (NFD)', 'bảo đảm dự thầu'.normalize('NFD')],
    ['percent and underscores', '100% _ %% \\% bảo_đảm'],
  ];
  for (const mode of ['fast', 'quality'] as const) {
    for (const [name, question] of hostile) {
      test(`${mode}: ${name} -> a completed answer`, async () => {
        const res = await api<AskView>(stack.url, '/v1/ask', {
          method: 'POST',
          headers: { prefer: 'wait=20' },
          json: { question, mode },
        });
        assert.equal(res.status, 200, JSON.stringify(res.json));
        assert.equal(res.json.status, 'completed', JSON.stringify(res.json));
        assert.equal(typeof res.json.result!.answer, 'string');
        assert.ok(res.json.result!.answer.length > 0);
      });
    }
  }

  test('the corpus is intact after all of them', async () => {
    const res = await api<AskView>(stack.url, '/v1/ask', {
      method: 'POST',
      headers: { prefer: 'wait=20' },
      json: { question: 'Bảo đảm dự thầu là gì?' },
    });
    assert.equal(res.json.result!.citations[0].documentId, 'vi/bao-dam-du-thau.md');
  });

  for (const [name, question] of [
    ['4001 characters', 'x'.repeat(4001)],
    ['only whitespace', ' \t\n '],
  ] as const) {
    test(`${name} -> 400 invalid_request`, async () => {
      const res = await api<AskView>(stack.url, '/v1/ask', { method: 'POST', json: { question } });
      assert.equal(res.status, 400);
      assert.equal(res.json.error!.code, 'invalid_request');
    });
  }
});
