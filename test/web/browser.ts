import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

/** Debian's chromium package (scripts/ensure-chromium.sh installs it); never a browser Playwright downloads. */
export const CHROMIUM = '/usr/bin/chromium';

/** Flags that keep the browser from talking to anything but the page under test. */
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface TestBrowser {
  context: BrowserContext;
  /** Every URL the pages requested, in order. */
  requests: string[];
  /** Console errors and page errors (a CSP violation shows up here). */
  errors: string[];
  close(): Promise<void>;
}

/** Chromium with a fresh profile; fails loudly (never skips) when the package is missing. */
export async function launchBrowser(): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Debian's chromium is not installed (${CHROMIUM} missing): the browser tests cannot run. ` +
        'Install it with `apt-get install chromium` as root (scripts/ensure-chromium.sh, run by npm test, does this).',
    );
  }
  const profile = mkdtempSync(path.join(os.tmpdir(), 'rag-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: { width: 1280, height: 900 },
      locale: 'vi-VN',
    });
  } catch (err) {
    rmSync(profile, { recursive: true, force: true });
    throw err;
  }
  const requests: string[] = [];
  const errors: string[] = [];
  context.on('request', (r) => requests.push(r.url()));
  context.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  context.on('weberror', (e) => errors.push(String(e.error())));
  let closing: Promise<void> | undefined;
  return {
    context,
    requests,
    errors,
    close: () =>
      (closing ??= (async () => {
        try {
          await context.close();
        } finally {
          rmSync(profile, { recursive: true, force: true });
        }
      })()),
  };
}

/**
 * WCAG 2.1 A and AA violations axe-core finds on the page as it is now (contrast, labels, landmarks, ARIA...).
 * axe is evaluated through the DevTools protocol, which the page's CSP does not govern; the page loads nothing.
 */
export async function axeViolations(page: Page): Promise<string[]> {
  const source = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(`${source};0`);
  const violations = await page.evaluate(async () => {
    type AxeResults = { violations: { id: string; help: string; nodes: { target: string[] }[] }[] };
    const axe = (globalThis as unknown as { axe: { run: (ctx: Document, opts: unknown) => Promise<AxeResults> } }).axe;
    const r = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return r.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  });
  return violations as string[];
}
