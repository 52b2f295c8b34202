import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { AskView } from '@rag/contract';
import type { GenerateInput, Generation, Generator } from '@rag/rag';
import { api } from '@rag/testing';
import { launchBrowser, type TestBrowser } from './browser.ts';
import { startTestStack, type TestStack } from '../support/test-stack.ts';

const SAMPLE = path.resolve(import.meta.dirname, '../../data/sample');

/** Streams a fixed answer in `pieces` tokens `gapMs` apart, citing [1] and [2]; honours the abort signal. */
class TickingGenerator implements Generator {
  readonly model = 'ticking-test';
  gapMs = 150;
  pieces = ['Câu trả lời ', 'đến từng phần ', 'theo nguồn [1]', ', rồi nguồn [2]', '. Hết.'];
  generate(input: GenerateInput): Promise<Generation> {
    return new Promise((resolve, reject) => {
      let i = 0;
      const tick = () => {
        if (i === this.pieces.length) {
          input.signal?.removeEventListener('abort', onAbort);
          resolve({ answer: this.pieces.join(''), model: this.model });
          return;
        }
        input.onToken?.(this.pieces[i++]);
        timer = setTimeout(tick, this.gapMs);
      };
      let timer = setTimeout(tick, this.gapMs);
      const onAbort = () => {
        clearTimeout(timer);
        reject(input.signal!.reason);
      };
      input.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

describe('the page streams an answer over Server-Sent Events (Chromium)', () => {
  let stack: TestStack;
  let browser: TestBrowser;
  const generator = new TickingGenerator();
  before(async () => {
    browser = await launchBrowser();
    stack = await startTestStack({ workers: 1, ingest: [SAMPLE], generator, env: { CACHE_TTL_S: '0' } });
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  const open = async () => {
    const page = await browser.context.newPage();
    await page.goto(`${stack.url}/`);
    await page.locator('body[data-ready="true"]').waitFor();
    return page;
  };

  test('tokens appear while the answer is generated, then the final answer and its sources', async () => {
    generator.gapMs = 150;
    const page = await open();
    const asks: string[] = [];
    page.on('request', (r) => {
      if (new URL(r.url()).pathname.startsWith('/v1/ask')) asks.push(`${r.method()} ${r.headers().accept ?? ''}`);
    });
    await page.getByLabel('Question', { exact: true }).fill('Bảo đảm dự thầu là gì?');
    await page.getByRole('button', { name: 'Ask', exact: true }).click();
    // Part of the answer on screen while the ask is still busy: it is streaming, not arriving whole.
    const partial = await page.waitForFunction(
      () => {
        const el = document.getElementById('answer');
        const text = el?.textContent ?? '';
        return el?.getAttribute('aria-busy') === 'true' && text.length > 0 && !text.endsWith('Hết.') ? text : false;
      },
      undefined,
      { timeout: 20_000 },
    );
    const seen = (await partial.jsonValue()) as string;
    assert.ok(generator.pieces.join('').startsWith(seen), `a prefix of the answer was shown: ${seen}`);
    await page.waitForFunction(
      () => /Answered in/.test(document.getElementById('ask-status')?.textContent ?? ''),
      undefined,
      {
        timeout: 20_000,
      },
    );
    assert.equal(await page.locator('#answer').textContent(), generator.pieces.join(''));
    assert.equal(await page.locator('#answer a.cite-ref').count(), 2);
    assert.ok((await page.locator('#citations li').count()) >= 2);
    assert.deepEqual(asks, ['POST text/event-stream'], 'submitted and streamed in one response, read with fetch');
    await page.close();
  });

  test('without an event stream (a gateway answering the POST with JSON and GET .../events with 404) the page long-polls to the same answer', async () => {
    generator.gapMs = 300;
    const page = await open();
    // A gateway that does not stream: the submission comes back as JSON (202), the events route is missing.
    await page.route(
      (u) => u.pathname === '/v1/ask',
      (route) => route.continue({ headers: { ...route.request().headers(), accept: 'application/json' } }),
    );
    await page.route(/\/v1\/ask\/[^/]+\/events$/, (route) =>
      route.fulfill({
        status: 404,
        contentType: 'application/json',
        body: '{"error":{"code":"not_found","message":"no route"}}',
      }),
    );
    const polls: string[] = [];
    page.on('request', (r) => {
      const u = new URL(r.url());
      if (r.method() === 'GET' && /^\/v1\/ask\/[^/]+$/.test(u.pathname)) polls.push(u.search);
    });
    await page.getByLabel('Question', { exact: true }).fill('Thời gian có hiệu lực của hồ sơ dự thầu');
    await page.getByRole('button', { name: 'Ask', exact: true }).click();
    await page.waitForFunction(
      () => /Answered in/.test(document.getElementById('ask-status')?.textContent ?? ''),
      undefined,
      {
        timeout: 20_000,
      },
    );
    assert.equal(await page.locator('#answer').textContent(), generator.pieces.join(''));
    assert.ok(polls.length >= 1, 'the answer came by GET /v1/ask/{id}');
    await page.close();
  });

  test('cancelling a streaming ask stops it where it is', async () => {
    generator.gapMs = 1000;
    const page = await open();
    await page.getByLabel('Question', { exact: true }).fill('Hợp đồng trọn gói là gì?');
    await page.getByRole('button', { name: 'Ask', exact: true }).click();
    await page.waitForFunction(() => (document.getElementById('answer')?.textContent ?? '').length > 0, undefined, {
      timeout: 20_000,
    });
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.waitForFunction(() => /Cancelled/.test(document.getElementById('ask-status')?.textContent ?? ''));
    const id = await page.evaluate(() => JSON.parse(sessionStorage.getItem('rag.history') ?? '[]')[0].id);
    const view = await api<AskView>(stack.url, `/v1/ask/${id}`);
    assert.equal(view.json.status, 'cancelled');
    assert.notEqual(
      await page.locator('#answer').textContent(),
      generator.pieces.join(''),
      'it did not run to the end',
    );
    await page.close();
  });
});
