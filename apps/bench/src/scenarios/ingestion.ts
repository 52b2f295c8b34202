import path from 'node:path';
import { ROOT } from '@rag/testing';
import { makeWrappedPdf } from '@rag/testing/documents';
import type { Agent } from 'undici';
import { startBenchStack } from '../bench-stack.ts';
import { askOnce, createAgent, summarize, type LoadResult, type Sample } from '../load.ts';
import { loadQuestions, uniqueAsk } from '../questions.ts';
import type { Run, ScenarioContext, ScenarioResult } from '../scenario.ts';

const PAGES = 10;
const TOPICS = ['road works', 'school furniture', 'hospital beds', 'water pipes', 'street lights', 'laptops'];

/** A generated 10-page English PDF (Helvetica, wrapped paragraphs), different text per document and page. */
function benchPdf(n: number): Promise<Uint8Array> {
  const blocks: Parameters<typeof makeWrappedPdf>[0]['blocks'] = [];
  const topic = TOPICS[n % TOPICS.length];
  for (let p = 1; p <= PAGES; p++) {
    if (p > 1) blocks.push('pageBreak');
    blocks.push({ kind: 'heading', text: `Tender ${n}: ${topic}, part ${p}` });
    for (let k = 0; k < 4; k++)
      blocks.push({
        kind: 'paragraph',
        text:
          `Clause ${p}.${k + 1} of tender ${n}. The contractor delivers the ${topic} of lot ${p} within ${30 + k} days ` +
          'of signing, provides a performance security of five percent of the contract price, and accepts the ' +
          `inspection of the procuring entity before acceptance; penalties for late delivery are ${k + 1} per mille a day.`,
      });
  }
  return makeWrappedPdf({ title: `Tender ${n}`, blocks, font: 'helvetica' });
}

/** Closed-loop asks by `users` clients until `stop()` says so. */
async function askUntil(agent: Agent, base: string, users: number, stop: () => boolean): Promise<LoadResult> {
  const questions = loadQuestions();
  const body = uniqueAsk(questions);
  const samples: Sample[] = [];
  let n = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: users }, async () => {
      while (!stop()) samples.push(await askOnce(agent, base, body(n++), 'prefer-wait'));
    }),
  );
  return { samples, seconds: (performance.now() - start) / 1000 };
}

/**
 * Documents over HTTP, end to end: N generated 10-page PDFs uploaded to the gateway (4 uploads at a time) while
 * closed-loop users keep asking in the default collection. Pages/s and chunks/s run from the first upload to the
 * last document `ready`; ask latency during ingestion is compared with the same load on the idle system before and
 * after it (asks must not starve: within 2x of the mean idle p95).
 */
export async function ingestion(ctx: ScenarioContext): Promise<ScenarioResult> {
  const docs = Number(ctx.args.docs ?? 200);
  const users = Number(ctx.args.users ?? 10);
  const workers = Number(ctx.args.workers ?? 1);
  ctx.log(`generating ${docs} PDFs of ${PAGES} pages`);
  const pdfs: Uint8Array[] = [];
  for (let i = 0; i < docs; i++) pdfs.push(await benchPdf(i));
  const stack = await startBenchStack({
    workers,
    env: { CACHE_TTL_S: '0', WORKER_CONCURRENCY: '16' },
    corpus: [path.join(ROOT, 'data/sample')],
  });
  const agent = createAgent();
  const runs: Run[] = [];
  try {
    await askUntil(
      agent,
      stack.url,
      users,
      (
        (end) => () =>
          performance.now() > end
      )(performance.now() + 2000),
    );
    await stack.markUsage();
    const idleEnd = performance.now() + ctx.seconds * 1000;
    const idle = await askUntil(agent, stack.url, users, () => performance.now() > idleEnd);
    runs.push({
      name: `${users} users asking, idle`,
      users,
      workers,
      summary: summarize(idle),
      usage: await stack.usage(),
    });

    await stack.markUsage();
    let ingesting = true;
    const asking = askUntil(agent, stack.url, users, () => !ingesting);
    const t0 = performance.now();
    const ids: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let i = next++; i < docs; i = next++) {
          const form = new FormData();
          form.set('collection', 'bench');
          form.set('file', new Blob([Buffer.from(pdfs[i])]), `tender-${i}.pdf`);
          const res = await fetch(`${stack.url}/v1/documents`, { method: 'POST', body: form });
          if (res.status !== 202) throw new Error(`upload ${i}: ${res.status} ${await res.text()}`);
          ids.push(((await res.json()) as { id: string }).id);
        }
      }),
    );
    const uploadedS = (performance.now() - t0) / 1000;
    let ready = 0;
    let failed = 0;
    let pages = 0;
    let chunks = 0;
    for (;;) {
      ready = failed = pages = chunks = 0;
      let cursor: string | undefined;
      do {
        const res = await fetch(
          `${stack.url}/v1/documents?collection=bench&limit=100${cursor ? `&cursor=${cursor}` : ''}`,
        );
        const page = (await res.json()) as {
          items: { status: string; pages?: number; chunks?: number }[];
          nextCursor?: string;
        };
        for (const d of page.items) {
          if (d.status === 'ready') {
            ready++;
            pages += d.pages ?? 0;
            chunks += d.chunks ?? 0;
          } else if (d.status === 'failed') failed++;
        }
        cursor = page.nextCursor;
      } while (cursor);
      if (ready + failed >= docs) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const seconds = (performance.now() - t0) / 1000;
    ingesting = false;
    const during = await asking;
    runs.push({
      name: `${users} users asking while ${docs} PDFs are ingested`,
      users,
      workers,
      summary: summarize(during),
      usage: await stack.usage(),
      extra: { docs, ready, failed, pages, chunks, seconds, uploadedS },
    });
    // Idle again: the machine's background load drifts (other processes come and go), so the ingestion phase is
    // compared with idle phases on both sides of it rather than with one before it.
    await stack.markUsage();
    const idleAgainEnd = performance.now() + ctx.seconds * 1000;
    const idleAgain = await askUntil(agent, stack.url, users, () => performance.now() > idleAgainEnd);
    runs.push({
      name: `${users} users asking, idle again after ingestion`,
      users,
      workers,
      summary: summarize(idleAgain),
      usage: await stack.usage(),
    });
    const [a, b, c] = runs;
    const idleP95 = (a.summary.e2eMs.p95 + c.summary.e2eMs.p95) / 2;
    const ratio = b.summary.e2eMs.p95 / Math.max(idleP95, 0.1);
    return {
      scenario: 'ingestion',
      description: `${docs} generated ${PAGES}-page PDFs uploaded over HTTP while ${users} users ask; ${workers} worker(s)`,
      runs,
      notes: [
        `${ready}/${docs} ready (${failed} failed): ${pages} pages, ${chunks} chunks in ${seconds.toFixed(1)} s from the first upload ` +
          `(uploads done after ${uploadedS.toFixed(1)} s): ${(pages / seconds).toFixed(1)} pages/s, ${(chunks / seconds).toFixed(1)} chunks/s end to end.`,
        `Ask p95 idle ${a.summary.e2eMs.p95} ms before and ${c.summary.e2eMs.p95} ms after, during ingestion ${b.summary.e2eMs.p95} ms ` +
          `(${ratio.toFixed(2)}x the mean idle p95; target within 2x); completed/s ${a.summary.completedPerSecond} and ` +
          `${c.summary.completedPerSecond} idle vs ${b.summary.completedPerSecond} during.`,
      ],
      extra: { pagesPerSecond: pages / seconds, chunksPerSecond: chunks / seconds, p95Ratio: ratio },
    };
  } finally {
    await agent.close();
    await stack.close();
  }
}
