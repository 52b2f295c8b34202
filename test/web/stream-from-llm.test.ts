import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { AskView } from '@rag/contract';
import { startLlmStub, type LlmStub } from '@rag/llm-stub';
import { api, ROOT } from '@rag/testing';
import { launchBrowser, type TestBrowser } from './browser.ts';
import { startRecordingProxy, type ProxiedStream, type RecordingProxy } from './recording-proxy.ts';
import { startTestStack, type TestStack } from '../support/test-stack.ts';

const CORPUS = path.join(ROOT, 'test/fixtures/procurement');

/** The answer a client assembles from events: the tokens after the last `citations`. */
const tokensOf = (events: ProxiedStream['events']) => {
  const last = events.findLastIndex((e) => e.event === 'citations');
  return events.slice(last + 1).filter((e) => e.event === 'token');
};
const textOf = (events: ProxiedStream['events']) => tokensOf(events).map((e) => JSON.parse(e.data).text as string);
const compareIds = (a: string, b: string) => {
  const [am, as] = a.split('-').map(BigInt);
  const [bm, bs] = b.split('-').map(BigInt);
  return am === bm ? Number(as - bs) : Number(am - bm);
};

/**
 * The page against the `openai` provider and the LLM stand-in streaming slowly: the page submits with
 * `Accept: text/event-stream`, so its ask is streamed from the LLM whatever the timing (a plain POST followed by
 * GET .../events could arrive after generation started, and then the answer came whole). A proxy between the
 * browser and the gateway records the events the page received and can break the response off mid-answer.
 */
describe('the page streams the LLM answer token by token (Chromium, openai provider against the stand-in)', () => {
  let stub: LlmStub;
  let stack: TestStack;
  let proxy: RecordingProxy;
  let browser: TestBrowser;
  before(async () => {
    // 12 chunks about 250 ms apart after the first: several token events, slow enough to cut mid-answer.
    stub = await startLlmStub({
      latency: { ttftMs: 200, tokensPerSecond: 12, completionTokens: 36, streamChunks: 12 },
    });
    stack = await startTestStack({
      workers: 1,
      ingest: [CORPUS],
      env: { LLM_PROVIDER: 'openai', OPENAI_BASE_URL: stub.url, OPENAI_API_KEY: 'test', CACHE_TTL_S: '0' },
    });
    proxy = await startRecordingProxy(stack.url);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await proxy?.close();
    await stack?.close();
    await stub?.close();
  });

  /** Opens the page; records every text the answer area shows while the ask is busy. */
  const open = async (): Promise<Page> => {
    const page = await browser.context.newPage();
    await page.goto(`${proxy.url}/`);
    await page.locator('body[data-ready="true"]').waitFor();
    await page.evaluate(() => {
      const el = document.getElementById('answer') as HTMLElement;
      const seen: string[] = [];
      (window as unknown as { partials: string[] }).partials = seen;
      new MutationObserver(() => {
        const text = el.textContent ?? '';
        if (el.getAttribute('aria-busy') === 'true' && text && text !== seen.at(-1)) seen.push(text);
      }).observe(el, { childList: true, subtree: true, characterData: true });
    });
    return page;
  };
  const ask = async (page: Page, question: string): Promise<AskView> => {
    await page.getByLabel('Question', { exact: true }).fill(question);
    await page.getByRole('button', { name: 'Ask', exact: true }).click();
    await page.waitForFunction(
      () => /Answered in/.test(document.getElementById('ask-status')?.textContent ?? ''),
      undefined,
      { timeout: 30_000 },
    );
    const id = await page.evaluate(() => JSON.parse(sessionStorage.getItem('rag.history') ?? '[]')[0].id as string);
    const view = (await api<AskView>(stack.url, `/v1/ask/${id}`)).json;
    assert.equal(view.status, 'completed');
    assert.equal(await page.locator('#answer').textContent(), view.result?.answer);
    return view;
  };
  const partials = (page: Page) => page.evaluate(() => (window as unknown as { partials: string[] }).partials);

  test('the ask is submitted as an event stream, the LLM is asked to stream, and the answer arrives in several token events', async () => {
    const page = await open();
    const calls = stub.stats.chatCalls;
    const streamed = stub.stats.chatStreamed;
    const from = { requests: proxy.requests.length, streams: proxy.streams.length };
    const view = await ask(page, 'Bảo đảm dự thầu là gì?');
    const answer = view.result?.answer ?? '';
    assert.equal(stub.stats.chatCalls, calls + 1, 'one LLM request for the ask');
    assert.equal(stub.stats.chatStreamed, streamed + 1, 'the LLM was asked for a streamed answer');

    const asks = proxy.requests.slice(from.requests).filter((r) => r.path.startsWith('/v1/ask'));
    assert.deepEqual(
      asks.map((r) => [r.method, r.path, r.accept]),
      [['POST', '/v1/ask', 'text/event-stream']],
      'submitted with Accept: text/event-stream; no GET .../events, no long-poll',
    );
    const [stream] = proxy.streams.slice(from.streams);
    const names = stream.events.map((e) => e.event);
    assert.equal(names[0], 'status');
    assert.equal(JSON.parse(stream.events[0].data).id, view.id, 'the first event names the ask');
    assert.equal(names.at(-1), 'completed');
    const tokens = tokensOf(stream.events);
    assert.ok(tokens.length >= 3, `the answer came in several token events: ${names.join(',')}`);
    assert.equal(textOf(stream.events).join(''), answer);

    // On screen it grew while the ask was busy: several partial answers, each the start of the final one.
    const shown = await partials(page);
    assert.ok(shown.length >= 2, `partial answers shown: ${JSON.stringify(shown)}`);
    for (const p of shown) assert.ok(answer.startsWith(p), `a partial answer is a prefix of the answer: ${p}`);
    assert.match((await page.locator('#history li').first().textContent()) ?? '', /completed/);
    await page.close();
  });

  test('a response broken off mid-answer resumes with GET .../events and Last-Event-ID: no gap, no duplicate', async () => {
    const page = await open();
    const calls = stub.stats.chatCalls;
    const streamed = stub.stats.chatStreamed;
    const from = proxy.streams.length;
    proxy.cutNextSubmitAfter(3);
    const view = await ask(page, 'Hồ sơ mời thầu gồm những gì?');
    const answer = view.result?.answer ?? '';
    assert.equal(stub.stats.chatCalls, calls + 1, 'the drop did not start the ask again');
    assert.equal(stub.stats.chatStreamed, streamed + 1);

    const [submit, resumed, ...more] = proxy.streams.slice(from);
    assert.equal(more.length, 0, 'one resumption was enough');
    assert.equal(submit.method, 'POST');
    assert.ok(submit.cut, 'the submitting response was broken off');
    assert.equal(tokensOf(submit.events).length, 3);
    assert.equal(resumed.method, 'GET');
    assert.equal(resumed.path, `/v1/ask/${view.id}/events`);
    // Resumed after an event the page received: a token (the first two were on screen long before the cut; the
    // third may or may not have reached the page before the connection broke).
    const at = submit.events.findIndex((e) => e.id === resumed.lastEventId);
    assert.ok(at >= 0 && submit.events[at].event === 'token', `Last-Event-ID ${resumed.lastEventId} is a token's`);
    const received = submit.events.slice(0, at + 1);
    // The resumed stream opens with a status event at the resume point, then only later events, up to the end.
    const rest = resumed.events.slice(1);
    assert.ok(rest.length > 0 && rest.every((e) => compareIds(e.id ?? '', resumed.lastEventId ?? '') > 0));
    assert.equal(rest.filter((e) => e.event === 'citations').length, 0, 'the answer did not restart');
    assert.ok(tokensOf(rest).length >= 1, 'tokens came after the resumption');
    assert.equal(resumed.events.at(-1)?.event, 'completed');
    assert.equal([...textOf(received), ...textOf(rest)].join(''), answer, 'tokens received = the answer');

    const shown = await partials(page);
    for (const p of shown) assert.ok(answer.startsWith(p), `a partial answer is a prefix of the answer: ${p}`);
    assert.ok(
      shown.some((p) => p.length > textOf(received).join('').length),
      `the answer grew on screen after the resumption: ${JSON.stringify(shown)}`,
    );
    await page.close();
  });

  test('a response broken off before its first event: the id from the Location header, the events from the start', async () => {
    const page = await open();
    const streamed = stub.stats.chatStreamed;
    const from = proxy.streams.length;
    proxy.cutNextSubmitAfter(0);
    const view = await ask(page, 'Gói thầu là gì?');
    assert.equal(stub.stats.chatStreamed, streamed + 1, 'the ask was still streamed from the LLM');
    const [submit, resumed, ...more] = proxy.streams.slice(from);
    assert.equal(more.length, 0);
    assert.ok(submit.cut && submit.events.length === 0, 'no event reached the page on the POST');
    assert.equal(resumed.path, `/v1/ask/${view.id}/events`);
    assert.equal(resumed.lastEventId, undefined, 'nothing to resume after: the whole stream');
    assert.equal(textOf(resumed.events).join(''), view.result?.answer);
    const entry = page.locator('#history li').first();
    assert.match((await entry.textContent()) ?? '', /Gói thầu là gì\?[\s\S]*completed/);
    await page.close();
  });
});
