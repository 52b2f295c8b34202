import fs from 'node:fs';
import path from 'node:path';
import { extractDocument, ExtractorPool } from '@rag/extract';
import { ROOT } from '@rag/testing';
import { makeManyPagesPdf, makeZipBombDocx } from '@rag/testing/documents';
import { percentile } from '../load.ts';
import type { ScenarioContext, ScenarioResult } from '../scenario.ts';

const MiB = 1024 * 1024;
const sample = (rel: string) => new Uint8Array(fs.readFileSync(path.join(ROOT, 'data/sample', rel)));

/** Runs `jobs` with at most `concurrency` at a time; returns the wall-clock seconds. */
async function pool(jobs: (() => Promise<unknown>)[], concurrency: number): Promise<number> {
  const t0 = performance.now();
  const queue = [...jobs];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let job = queue.shift(); job; job = queue.shift()) await job();
    }),
  );
  return (performance.now() - t0) / 1000;
}

/**
 * Document extraction alone (no stack): what one child process per document costs, PDF pages per second for one
 * large and many small documents (a process per document, or a pool of 1 and 2 warm processes), DOCX, and how a zip bomb ends. The end-to-end ingestion
 * figures (upload, chunk, embed, write) are the documents scenario's.
 */
export async function extract(ctx: ScenarioContext): Promise<ScenarioResult> {
  const notes: string[] = [];
  const extra: Record<string, unknown> = {};

  // A tiny HTML page: parsing is negligible, so this is what a child's start and module loading cost.
  const page = new TextEncoder().encode('<html><body><h1>Liên hệ</h1><p>Điện thoại: 024 3825 0000</p></body></html>');
  const startup: number[] = [];
  for (let i = 0; i < 10; i++) startup.push((await extractDocument(page)).stats.ms);
  extra.processStartMs = { p50: percentile(startup, 0.5), max: Math.max(...startup) };
  notes.push(
    `One child process per document: a tiny HTML page takes ${percentile(startup, 0.5).toFixed(0)} ms (p50 of 10), almost all of it process start and module loading (Markdown and text are decoded in the caller, no child).`,
  );

  const big = await makeManyPagesPdf(200);
  const bigRuns: { ms: number; rss: number }[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await extractDocument(big);
    if (r.pageCount !== 200) throw new Error(`200-page PDF gave ${r.pageCount} pages`);
    bigRuns.push({ ms: r.stats.ms, rss: r.stats.peakRssBytes });
  }
  const bigMs = percentile(
    bigRuns.map((r) => r.ms),
    0.5,
  );
  extra.pdf200 = {
    ms: bigMs,
    pagesPerSecond: (200 * 1000) / bigMs,
    peakRssMiB: Math.max(...bigRuns.map((r) => r.rss)) / MiB,
  };
  notes.push(
    `200-page PDF (${(big.length / MiB).toFixed(2)} MiB): ${bigMs.toFixed(0)} ms median of 3 = ${((200 * 1000) / bigMs).toFixed(0)} pages/s including the process start; parser peak RSS ${(Math.max(...bigRuns.map((r) => r.rss)) / MiB).toFixed(0)} MiB.`,
  );

  const small = await makeManyPagesPdf(10);
  const docs = Math.max(10, Math.min(200, Math.round(ctx.seconds * 2)));
  const rate = (label: string, key: string, seconds: number) => {
    extra[key] = { docsPerSecond: docs / seconds, pagesPerSecond: (docs * 10) / seconds };
    notes.push(
      `${docs} PDFs of 10 pages, ${label}: ${(docs / seconds).toFixed(1)} documents/s, ${((docs * 10) / seconds).toFixed(0)} pages/s.`,
    );
  };
  rate(
    'a new process each (extractDocument), 1 at a time',
    'pdf10OneShot',
    await pool(
      Array.from({ length: docs }, () => () => extractDocument(small)),
      1,
    ),
  );
  for (const processes of [1, 2]) {
    const extractors = new ExtractorPool({ processes });
    try {
      await extractors.extract(small); // start the children outside the measurement
      rate(
        `ExtractorPool of ${processes} warm process${processes > 1 ? 'es' : ''}`,
        `pdf10Pool${processes}`,
        await pool(
          Array.from({ length: docs }, () => () => extractors.extract(small)),
          processes,
        ),
      );
    } finally {
      await extractors.close();
    }
  }

  const docx = sample('vi/ho-so-moi-thau-chuong-iii-tieu-chuan-danh-gia.docx');
  const docxMs: number[] = [];
  for (let i = 0; i < 10; i++) docxMs.push((await extractDocument(docx)).stats.ms);
  notes.push(
    `Sample DOCX (${(docx.length / 1024).toFixed(0)} KiB): ${percentile(docxMs, 0.5).toFixed(0)} ms p50 of 10.`,
  );

  const bomb = makeZipBombDocx({ inflatedBytes: 2048 * MiB, declare: 'lying' });
  const before = process.memoryUsage.rss();
  let peak = before;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 10);
  const t0 = performance.now();
  const outcome = await extractDocument(bomb).then(
    () => 'extracted (unexpected)',
    (e: { code?: string }) => e.code ?? String(e),
  );
  clearInterval(timer);
  notes.push(
    `DOCX zip bomb (${(bomb.length / MiB).toFixed(1)} MiB inflating to 2 GiB, directory lying): ${outcome} after ${(performance.now() - t0).toFixed(0)} ms; this process's RSS ${(before / MiB).toFixed(0)} -> ${(peak / MiB).toFixed(0)} MiB.`,
  );
  for (const n of notes) ctx.log(n);
  return {
    scenario: 'extract',
    description: 'document extraction in child processes (no stack)',
    runs: [],
    notes,
    extra,
  };
}
