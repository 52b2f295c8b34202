import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { api } from '@rag/testing';
import { launchBrowser, type TestBrowser } from './browser.ts';
import { startTestStack, type TestStack } from '../support/test-stack.ts';

const SAMPLE = path.resolve(import.meta.dirname, '../../data/sample');
const WRITER = 'writer-key-for-the-page-test';
const ASKER = 'asker-key-for-the-page-test';
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

const NOTE = (title: string, fact: string) => `# ${title}\n\n${fact}\n`;

/** The documents panel: list with states, upload by file picker and by drag and drop, delete after confirming. */
describe('documents on the page (Chromium)', () => {
  let stack: TestStack;
  let browser: TestBrowser;
  before(async () => {
    browser = await launchBrowser();
    stack = await startTestStack({
      workers: 1,
      ingest: [SAMPLE],
      env: { API_KEY_HASHES: `${sha(WRITER)}:write,${sha(ASKER)}:ask`, CACHE_TTL_S: '0' },
    });
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  const open = async (): Promise<Page> => {
    const page = await browser.context.newPage();
    await page.goto(`${stack.url}/`);
    await page.locator('body[data-ready="true"]').waitFor();
    return page;
  };
  const useKey = async (page: Page, key: string) => {
    await page.getByLabel(/^Key/).fill(key);
    await page.getByLabel(/^Key/).press('Tab');
  };
  const docStatus = (page: Page) => page.locator('#documents-status');
  const row = (page: Page, title: string) => page.locator('#documents li', { hasText: title });
  const waitReady = (page: Page, title: string) =>
    row(page, title).locator('.badge-ready').waitFor({ timeout: 30_000 });

  test('without a key the panel says one is needed; with a writer key it lists the collection', async () => {
    const page = await open();
    await docStatus(page)
      .getByText(/API key/)
      .waitFor();
    await useKey(page, WRITER);
    await row(page, 'Bảo đảm dự thầu').first().waitFor();
    assert.equal(await docStatus(page).textContent(), '');
    assert.ok((await page.locator('#documents li .badge-ready').count()) > 0, 'the sample documents are ready');
    await page.close();
  });

  test('upload with the file picker and by drag and drop; the new documents answer questions', async () => {
    const page = await open();
    await useKey(page, WRITER);
    await page.locator('#file-input').setInputFiles({
      name: 'chim-canh-cut.md',
      mimeType: 'text/markdown',
      buffer: Buffer.from(NOTE('Chim cánh cụt hoàng đế', 'Chim cánh cụt hoàng đế ấp trứng suốt mùa đông ở Nam Cực.')),
    });
    await waitReady(page, 'Chim cánh cụt hoàng đế');
    // A drop carries files the way a file manager does.
    await page.evaluate(
      (text) => {
        const dt = new DataTransfer();
        dt.items.add(new File([text], 'ca-voi.md', { type: 'text/markdown' }));
        const zone = document.getElementById('dropzone')!;
        zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
        zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
      },
      NOTE('Cá voi xanh', 'Cá voi xanh là loài động vật lớn nhất từng sống trên Trái Đất.'),
    );
    await waitReady(page, 'Cá voi xanh');
    await page.getByLabel('Question', { exact: true }).fill('Chim cánh cụt hoàng đế ấp trứng ở đâu?');
    await page.getByRole('button', { name: 'Ask', exact: true }).click();
    await page.waitForFunction(
      () => /Answered in/.test(document.getElementById('ask-status')?.textContent ?? ''),
      undefined,
      {
        timeout: 20_000,
      },
    );
    assert.match((await page.locator('#citations li').first().textContent()) ?? '', /Chim cánh cụt hoàng đế/);
    await page.close();
  });

  test('delete asks for confirmation first; confirmed, the document is gone', async () => {
    const page = await open();
    await useKey(page, WRITER);
    const target = row(page, 'Cá voi xanh');
    await target.waitFor();
    const id = await target.getAttribute('data-id');
    page.once('dialog', (d) => void d.dismiss());
    await target.getByRole('button', { name: /^Delete/ }).click();
    assert.equal(
      (await api(stack.url, `/v1/documents/${id}`, { headers: { authorization: `Bearer ${WRITER}` } })).status,
      200,
    );
    assert.equal(await target.count(), 1, 'dismissed: still listed');
    page.once('dialog', (d) => {
      assert.match(d.message(), /Cá voi xanh/);
      void d.accept();
    });
    await target.getByRole('button', { name: /^Delete/ }).click();
    await docStatus(page)
      .getByText(/deleted/)
      .waitFor();
    assert.equal(await target.count(), 0);
    assert.equal(
      (await api(stack.url, `/v1/documents/${id}`, { headers: { authorization: `Bearer ${WRITER}` } })).status,
      404,
    );
    await page.close();
  });

  test('a key that may only ask cannot upload or delete, and the page says why', async () => {
    const page = await open();
    await useKey(page, ASKER);
    await row(page, 'Chim cánh cụt hoàng đế').waitFor();
    await page.locator('#file-input').setInputFiles({
      name: 'khong-duoc.md',
      mimeType: 'text/markdown',
      buffer: Buffer.from(NOTE('Không được phép', 'Tài liệu này không được tải lên.')),
    });
    await docStatus(page)
      .getByText(/not uploaded.*key allowed to write/)
      .waitFor();
    page.once('dialog', (d) => void d.accept());
    await row(page, 'Chim cánh cụt hoàng đế')
      .getByRole('button', { name: /^Delete/ })
      .click();
    await docStatus(page)
      .getByText(/not deleted/)
      .waitFor();
    assert.equal(await row(page, 'Chim cánh cụt hoàng đế').count(), 1);
    assert.equal(await row(page, 'Không được phép').count(), 0);
    await page.close();
  });
});
