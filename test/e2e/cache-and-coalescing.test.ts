import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Citation, AskView } from '@rag/contract';
import { api, REDIS_URL, ROOT, SlowGenerator } from '@rag/testing';
import { startTestStack, type TestStack } from '../support/test-stack.ts';

const run = promisify(execFile);

describe('answer cache and single-flight', () => {
  let stack: TestStack;
  let dir: string;
  const slow = new SlowGenerator(300);
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rag-cache-'));
    await fs.writeFile(
      path.join(dir, 'bao-dam.md'),
      '# Bảo đảm dự thầu\n\nBảo đảm dự thầu từ 1% đến 3% giá gói thầu. Nhà thầu nộp bảo đảm dự thầu trước thời điểm đóng thầu.',
    );
    await fs.writeFile(
      path.join(dir, 'hop-dong.md'),
      '# Hợp đồng trọn gói\n\nHợp đồng trọn gói có giá cố định trong suốt thời gian thực hiện.',
    );
    stack = await startTestStack({ workers: 1, ingest: [dir], generator: slow });
    // Ingestion before the stack started: the worker published the corpus version at start.
  });
  after(async () => {
    await stack.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  test('a repeated question is served from the cache, also in another case and spacing, without an LLM call', async () => {
    const first = await api<AskView>(stack.url, '/v1/ask', {
      method: 'POST',
      headers: { prefer: 'wait=10' },
      json: { question: 'Bảo đảm dự thầu là bao nhiêu?' },
    });
    assert.equal(first.status, 200);
    assert.equal(first.json.result!.cached, false);
    const calls = slow.calls;
    const t0 = performance.now();
    const again = await api<AskView>(stack.url, '/v1/ask', {
      method: 'POST',
      json: { question: '  bảo   ĐẢM dự thầu là bao nhiêu ' },
    });
    const ms = performance.now() - t0;
    assert.equal(again.status, 200, 'answered at once, without Prefer: wait');
    assert.equal(again.json.status, 'completed');
    assert.equal(again.json.result!.cached, true);
    assert.equal(again.json.result!.answer, first.json.result!.answer);
    assert.notEqual(again.json.id, first.json.id);
    assert.equal(slow.calls, calls, 'no LLM call for a cache hit');
    assert.ok(ms < first.json.result!.timings.totalMs, `cache hit took ${ms} ms`);
    // The cached ask can be read back by its id.
    const read = await api<AskView>(stack.url, `/v1/ask/${again.json.id}`);
    assert.equal(read.status, 200);
    assert.equal(read.json.result!.cached, true);
    // Different options are a different answer.
    const other = await api<AskView>(stack.url, '/v1/ask', {
      method: 'POST',
      json: { question: 'Bảo đảm dự thầu là bao nhiêu?', topK: 1 },
    });
    assert.equal(other.status, 202);
    assert.equal((await api<AskView>(stack.url, `/v1/ask/${other.json.id}?wait=10`)).json.status, 'completed');
  });

  test('50 identical concurrent asks make exactly one LLM call and all get the answer', async () => {
    const calls = slow.calls;
    const q = { question: 'hợp đồng trọn gói có điều chỉnh giá không' };
    const subs = await Promise.all(
      Array.from({ length: 50 }, () =>
        api<AskView>(stack.url, '/v1/ask', { method: 'POST', headers: { prefer: 'wait=10' }, json: q }),
      ),
    );
    for (const s of subs) {
      assert.equal(s.status, 200);
      assert.equal(s.json.status, 'completed');
    }
    const answers = new Set(subs.map((s) => s.json.result!.answer));
    assert.equal(answers.size, 1);
    assert.equal(slow.calls, calls + 1, `LLM calls: ${slow.calls - calls}`);
  });

  test('ingesting a changed document makes the next identical question miss the cache', async () => {
    const q = { question: 'nhà thầu nộp bảo đảm dự thầu khi nào' };
    const a = await api<AskView>(stack.url, '/v1/ask', { method: 'POST', headers: { prefer: 'wait=10' }, json: q });
    assert.equal(a.json.result!.cached, false);
    const b = await api<AskView>(stack.url, '/v1/ask', { method: 'POST', json: q });
    assert.equal(b.json.result!.cached, true);
    await fs.writeFile(
      path.join(dir, 'bao-dam.md'),
      '# Bảo đảm dự thầu\n\nTừ nay, nhà thầu nộp bảo đảm dự thầu cùng hồ sơ dự thầu qua mạng.',
    );
    // Through the real CLI, which bumps the corpus version in PostgreSQL and publishes it to Redis.
    const { stdout } = await run(process.execPath, [path.join(ROOT, 'apps/cli/src/ingest.ts'), dir], {
      env: { ...process.env, DATABASE_URL: stack.db.url, REDIS_URL, QUEUE_PREFIX: stack.prefix },
    });
    assert.match(stdout, /1 documents written, 1 unchanged/);
    const c = await api<AskView>(stack.url, '/v1/ask', { method: 'POST', headers: { prefer: 'wait=10' }, json: q });
    assert.equal(c.status, 200);
    assert.equal(c.json.result!.cached, false);
    assert.match(c.json.result!.citations.map((x: Citation) => x.snippet).join(' '), /qua mạng/);
  });
});
