import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import type { AskView } from '@rag/contract';
import { api } from '@rag/testing';
import { axeViolations, launchBrowser, type TestBrowser } from './browser.ts';
import { startTestStack, type TestStack } from '../support/test-stack.ts';

const SAMPLE = path.resolve(import.meta.dirname, '../../data/sample');
const ANSWERED = /Answered in/;
/** The text a reader sees in `l` (Playwright's Locator.innerText, layout-aware). */
// biome-ignore lint/performance/useDomNodeTextContent: Playwright's Locator.innerText (rendered text), not the DOM property the rule is about
const shownText = (l: Locator): Promise<string> => l.innerText();

/**
 * The page at / in Debian's Chromium, clicked and typed into as a person would, against a real gateway, worker,
 * Redis and PostgreSQL. The stack starts with no worker, so the first ask stays queued (to cancel it).
 */
describe('the page at / (Chromium)', () => {
  let stack: TestStack;
  let browser: TestBrowser;
  before(async () => {
    browser = await launchBrowser();
    stack = await startTestStack({ workers: 0, ingest: [SAMPLE] });
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.url });
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  const open = async (width = 1280): Promise<Page> => {
    const page = await browser.context.newPage();
    await page.setViewportSize({ width, height: 900 });
    await page.goto(`${stack.url}/`);
    await page.locator('body[data-ready="true"]').waitFor();
    return page;
  };
  const waitForStatus = (page: Page, re: RegExp) =>
    page.waitForFunction(
      (src) => new RegExp(src).test(document.getElementById('ask-status')?.textContent ?? ''),
      re.source,
      {
        timeout: 20_000,
      },
    );
  const askVia = async (page: Page, question: string) => {
    await page.getByLabel('Question', { exact: true }).fill(question);
    await page.getByRole('button', { name: 'Ask', exact: true }).click();
  };

  test('a queued ask shows its state and is cancelled from the page', async () => {
    const page = await open();
    await askVia(page, 'Hồ sơ dự thầu gồm những gì?');
    // Its position comes in the first event of the submitting response.
    await waitForStatus(page, /Queued \(position 1 in the queue\)/);
    const cancel = page.getByRole('button', { name: 'Cancel' });
    assert.equal(await cancel.isEnabled(), true);
    await cancel.click();
    await waitForStatus(page, /Cancelled/);
    assert.equal(await cancel.isEnabled(), false);
    const entry = page.locator('#history li').first();
    assert.match(await shownText(entry), /Hồ sơ dự thầu gồm những gì\?[\s\S]*cancelled/);
    // The gateway agrees.
    const id = await page.evaluate(() => JSON.parse(sessionStorage.getItem('rag.history') ?? '[]')[0].id);
    assert.equal((await api<AskView>(stack.url, `/v1/ask/${id}`)).json.status, 'cancelled');
    await page.close();
  });

  describe('with a worker', () => {
    before(async () => {
      await stack.addWorker();
    });

    test('asking shows the answer, its citations with snippets, and [1] jumps to its source', async () => {
      const page = await open();
      await askVia(page, 'Bảo đảm dự thầu là gì?');
      await waitForStatus(page, ANSWERED);
      const id = await page.evaluate(() => JSON.parse(sessionStorage.getItem('rag.history') ?? '[]')[0].id);
      const result = (await api<AskView>(stack.url, `/v1/ask/${id}`)).json.result!;
      assert.equal(await shownText(page.locator('#answer')), result.answer);
      const items = page.locator('#citations li');
      assert.equal(await items.count(), result.citations.length);
      assert.ok(result.citations.length > 0);
      for (const [i, c] of result.citations.entries()) {
        const text = await shownText(items.nth(i));
        assert.ok(text.includes(c.title), `citation ${i + 1} shows its title`);
        assert.ok(text.includes(c.snippet.trim().slice(0, 40)), `citation ${i + 1} shows its snippet`);
      }
      const ref = page.locator('#answer a.cite-ref[data-index="1"]').first();
      await ref.click();
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'cite-1');
      assert.equal(await page.locator('#cite-1').isVisible(), true);
      assert.match((await page.locator('#cite-1').getAttribute('class')) ?? '', /flash/);
      await page.close();
    });

    test('copy puts the answer on the clipboard', async () => {
      const page = await open();
      await askVia(page, 'nhà thầu liên danh');
      await waitForStatus(page, ANSWERED);
      await page.getByRole('button', { name: 'Copy answer' }).click();
      await waitForStatus(page, /copied/);
      const copied = await page.evaluate(() => navigator.clipboard.readText());
      assert.equal(copied, await shownText(page.locator('#answer')));
      assert.ok(copied.length > 20);
      await page.close();
    });

    test("the session's earlier asks are listed, survive a reload and reopen", async () => {
      const page = await open();
      await askVia(page, 'Thời gian có hiệu lực của hồ sơ dự thầu');
      await waitForStatus(page, ANSWERED);
      const first = await shownText(page.locator('#answer'));
      await askVia(page, 'hợp đồng trọn gói');
      await waitForStatus(page, ANSWERED);
      await page.reload();
      await page.locator('body[data-ready="true"]').waitFor();
      const questions = await page.locator('#history .history-item').allInnerTexts();
      assert.equal(questions[0], 'hợp đồng trọn gói');
      assert.equal(questions[1], 'Thời gian có hiệu lực của hồ sơ dự thầu');
      await page.getByRole('button', { name: 'Thời gian có hiệu lực của hồ sơ dự thầu' }).click();
      await waitForStatus(page, ANSWERED);
      assert.equal(await shownText(page.locator('#answer')), first);
      assert.equal(
        await page.getByLabel('Question', { exact: true }).inputValue(),
        'Thời gian có hiệu lực của hồ sơ dự thầu',
      );
      await page.close();
    });

    test('keyboard only: Tab reaches the question, Enter asks, focus is visible, Tab reaches [1] and Copy', async () => {
      const page = await open();
      const focused = () =>
        page.evaluate(() => {
          const el = document.activeElement as HTMLElement | null;
          return { id: el?.id ?? '', tag: el?.tagName ?? '', outline: el ? getComputedStyle(el).outlineStyle : '' };
        });
      await page.keyboard.press('Tab');
      assert.match((await focused()).tag, /^A$/, 'the skip link comes first');
      await page.keyboard.press('Enter');
      assert.equal((await focused()).id, 'question');
      await page.keyboard.type('Bảo lãnh thực hiện hợp đồng');
      await page.keyboard.press('Shift+Enter');
      await page.keyboard.type('là gì?');
      assert.equal(
        await page.getByLabel('Question', { exact: true }).inputValue(),
        'Bảo lãnh thực hiện hợp đồng\nlà gì?',
      );
      await page.keyboard.press('Enter');
      await waitForStatus(page, ANSWERED);
      // Forward through the form to the answer's first [n] link: every stop shows a focus outline.
      let reached = false;
      for (let i = 0; i < 15 && !reached; i++) {
        await page.keyboard.press('Tab');
        const f = await focused();
        assert.notEqual(f.outline, 'none', `focus is visible on ${f.tag}#${f.id}`);
        reached = await page.evaluate(() => document.activeElement?.classList.contains('cite-ref') ?? false);
        if (f.id === 'copy-button') {
          await page.keyboard.press('Enter');
          await waitForStatus(page, /copied/);
        }
      }
      assert.ok(reached, 'a [n] link is reachable by Tab');
      await page.keyboard.press('Enter');
      assert.match(await page.evaluate(() => document.activeElement?.id ?? ''), /^cite-\d+$/);
      await page.close();
    });

    test('Vietnamese input: Enter while an input method composes does not ask; the question is sent as NFC', async () => {
      const page = await open();
      const posted: string[] = [];
      page.on('request', (r) => {
        if (r.method() === 'POST' && new URL(r.url()).pathname === '/v1/ask') posted.push(r.postData() ?? '');
      });
      const decomposed = 'Bảo đảm dự thầu là gì?'.normalize('NFD');
      assert.notEqual(decomposed, decomposed.normalize('NFC'));
      await page.getByLabel('Question', { exact: true }).fill(decomposed);
      await page.locator('#question').dispatchEvent('keydown', { key: 'Enter', isComposing: true, bubbles: true });
      await page.locator('#question').dispatchEvent('keydown', { key: 'Enter', keyCode: 229, bubbles: true });
      // Nothing sent: a real Enter afterwards is the first ask.
      await page.locator('#question').press('Enter');
      await waitForStatus(page, ANSWERED);
      assert.equal(posted.length, 1);
      assert.equal(JSON.parse(posted[0]).question, 'Bảo đảm dự thầu là gì?'.normalize('NFC'));
      await page.close();
    });

    test('axe finds no WCAG 2.1 A/AA violation (contrast, labels, landmarks), wide and at phone width', async () => {
      const page = await open();
      assert.deepEqual(await axeViolations(page), [], 'empty page');
      await askVia(page, 'Bảo đảm dự thầu là gì?');
      await waitForStatus(page, ANSWERED);
      await page.locator('#answer a.cite-ref').first().click();
      assert.deepEqual(await axeViolations(page), [], 'answered, a source highlighted');
      await page.setViewportSize({ width: 360, height: 800 });
      assert.deepEqual(await axeViolations(page), [], 'phone width');
      await page.close();
    });

    test('at 360 px wide nothing scrolls sideways, before and after an answer', async () => {
      const page = await open(360);
      const overflow = () =>
        page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.equal(await overflow(), 0);
      await askVia(page, 'Bảo đảm dự thầu là gì? '.repeat(3));
      await waitForStatus(page, ANSWERED);
      assert.ok((await page.locator('#citations li').count()) > 0);
      assert.equal(await overflow(), 0);
      await page.close();
    });

    test('the page and the API reference load nothing from outside 127.0.0.1, under a CSP with no violation', async () => {
      const page = await open();
      const res = await page.goto(`${stack.url}/`);
      assert.match(res?.headers()['content-security-policy'] ?? '', /default-src 'self'/);
      assert.equal(res?.headers()['cache-control'], 'no-cache', 'the HTML is revalidated (it names hashed assets)');
      await page.goto(`${stack.url}/docs`);
      await page.locator('.opblock').first().waitFor({ timeout: 20_000 });
      assert.ok((await page.locator('.opblock').count()) >= 10, 'the reference lists the operations');
      await page.close();
      const outside = browser.requests.filter((u) => !/^(data:|blob:)/.test(u) && new URL(u).hostname !== '127.0.0.1');
      assert.ok(browser.requests.length > 20, 'requests were recorded');
      assert.deepEqual(outside, [], 'requests that left 127.0.0.1');
      const csp = browser.errors.filter((e) => /Content Security Policy|Refused to/i.test(e));
      assert.deepEqual(csp, [], 'CSP violations');
    });
  });
});
