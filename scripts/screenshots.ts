/**
 * Screenshots of the page for the README (docs/screenshots/): an answered question with its citations, at
 * desktop and phone width. Runs a gateway and a worker on a throwaway database with the sample corpus, and
 * Debian's chromium through playwright-core. Usage: npm run screenshots
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { launchBrowser } from '../test/web/browser.ts';
import { startTestStack } from '../test/support/test-stack.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const OUT = path.join(ROOT, 'docs/screenshots');

const stack = await startTestStack({ workers: 1, ingest: [path.join(ROOT, 'data/sample')] });
const browser = await launchBrowser();
try {
  const shoot = async (name: string, width: number, height: number, fullPage: boolean) => {
    const page: Page = await browser.context.newPage();
    await page.setViewportSize({ width, height });
    await page.goto(`${stack.url}/`);
    await page.locator('body[data-ready="true"]').waitFor();
    for (const q of ['Hợp đồng trọn gói là gì?', 'Quyết định phê duyệt kết quả lựa chọn nhà thầu gói thầu số 05']) {
      await page.getByLabel('Question', { exact: true }).fill(q);
      await page.getByRole('button', { name: 'Ask', exact: true }).click();
      await page.waitForFunction(() => /Answered in/.test(document.getElementById('ask-status')?.textContent ?? ''));
    }
    await page.locator('#answer a.cite-ref').first().click();
    await page.evaluate(() => window.scrollTo(0, 0));
    const file = path.join(OUT, `${name}.png`);
    await page.screenshot({ path: file, fullPage });
    console.log(`wrote ${path.relative(ROOT, file)}`);
    await page.close();
  };
  await shoot('page-desktop', 1280, 860, false);
  await shoot('page-phone', 360, 780, false);
} finally {
  await browser.close();
  await stack.close();
}
