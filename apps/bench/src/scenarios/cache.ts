import path from 'node:path';
import { ROOT } from '@rag/testing';
import { startBenchStack } from '../bench-stack.ts';
import { askOnce, closedLoop, createAgent, percentile, summarize } from '../load.ts';
import { loadQuestions, zipfAsk } from '../questions.ts';
import type { Run, ScenarioContext, ScenarioResult } from '../scenario.ts';

/**
 * Repeats: (1) one question asked again and again (first answer vs cached ones, LLM at 1 s), and (2) a
 * Zipf-distributed question mix at 50 users with the answer cache on and off.
 */
export async function cache(ctx: ScenarioContext): Promise<ScenarioResult> {
  const runs: Run[] = [];
  const notes: string[] = [];
  const questions = loadQuestions();
  for (const cacheOn of [true, false]) {
    const stack = await startBenchStack({
      workers: 1,
      env: { CACHE_TTL_S: cacheOn ? '3600' : '0', WORKER_CONCURRENCY: '128' },
      llm: { LLM_STUB_FIXED_LATENCY_MS: '1000' },
      corpus: [path.join(ROOT, 'data/sample')],
    });
    const agent = createAgent();
    try {
      if (cacheOn) {
        const first = await askOnce(agent, stack.url, { question: 'Bảo đảm dự thầu là gì?' }, 'prefer-wait');
        const repeats: number[] = [];
        for (let i = 0; i < 200; i++) {
          const q = i % 2 ? '  BẢO ĐẢM dự thầu là gì ' : 'Bảo đảm dự thầu là gì?';
          const s = await askOnce(agent, stack.url, { question: q }, 'prefer-wait');
          if (!s.cached) throw new Error('a repeated question missed the cache');
          repeats.push(s.e2eMs);
        }
        const p95 = percentile(repeats, 0.95);
        notes.push(
          `Repeated question (also in another case/spacing): first answer ${first.e2eMs.toFixed(0)} ms, cached p50 ${percentile(repeats, 0.5).toFixed(1)} ms, ` +
            `p95 ${p95.toFixed(1)} ms, p99 ${percentile(repeats, 0.99).toFixed(1)} ms: ${(first.e2eMs / p95).toFixed(0)}x faster at p95.`,
        );
      }
      await stack.markUsage();
      const r = await closedLoop({
        agent,
        base: stack.url,
        users: 50,
        seconds: ctx.seconds,
        body: zipfAsk(questions),
        style: 'prefer-wait',
      });
      runs.push({
        name: `Zipf(1.1) mix over ${questions.length} questions, 50 users, cache ${cacheOn ? 'on' : 'off'}`,
        users: 50,
        summary: summarize(r),
        usage: await stack.usage(),
      });
    } finally {
      await agent.close();
      await stack.close();
    }
  }
  const [on, off] = runs;
  notes.push(
    `Zipf mix: cache hit rate ${(on.summary.cacheHitRate * 100).toFixed(0)}% (single-flight shares the rest's in-flight duplicates); ` +
      `${on.summary.completedPerSecond} vs ${off.summary.completedPerSecond} completed/s with and without the cache (${(on.summary.completedPerSecond / off.summary.completedPerSecond).toFixed(1)}x).`,
  );
  return {
    scenario: 'cache',
    description: 'Answer cache: repeated question, and a Zipf question mix with the cache on and off (LLM 1 s)',
    runs,
    notes,
  };
}
