import path from 'node:path';
import { ROOT } from '@rag/testing';
import { startBenchStack } from '../bench-stack.ts';
import { closedLoop, createAgent, summarize } from '../load.ts';
import { loadQuestions, uniqueAsk } from '../questions.ts';
import type { Run, ScenarioContext, ScenarioResult } from '../scenario.ts';

/**
 * Horizontal scaling with processes: 1, 2 and 4 workers of 4 slots each on LLM-bound asks (500 ms). Offered load
 * is a closed loop of twice the total slots, so every configuration is saturated and the workers are the limit.
 */
export async function scale(ctx: ScenarioContext): Promise<ScenarioResult> {
  const runs: Run[] = [];
  const body = uniqueAsk(loadQuestions());
  for (const workers of [1, 2, 4]) {
    const stack = await startBenchStack({
      workers,
      env: { CACHE_TTL_S: '0', WORKER_CONCURRENCY: '4' },
      llm: { LLM_STUB_FIXED_LATENCY_MS: '500' },
      corpus: [path.join(ROOT, 'data/sample')],
    });
    const agent = createAgent();
    try {
      const users = workers * 4 * 2;
      await closedLoop({ agent, base: stack.url, users, seconds: 2, body, style: 'prefer-wait' });
      await stack.markUsage();
      const r = await closedLoop({ agent, base: stack.url, users, seconds: ctx.seconds, body, style: 'prefer-wait' });
      runs.push({
        name: `${workers} worker(s) x 4 slots, ${users} users`,
        users,
        workers,
        summary: summarize(r),
        usage: await stack.usage(),
      });
      ctx.log(`${workers} workers: ${runs.at(-1)!.summary.completedPerSecond} completed/s`);
    } finally {
      await agent.close();
      await stack.close();
    }
  }
  const base = runs[0].summary.completedPerSecond;
  const ratios = runs.map((r) => `${r.workers}: ${(r.summary.completedPerSecond / base).toFixed(2)}x`);
  return {
    scenario: 'scale',
    description: 'Worker processes 1, 2, 4 (4 slots each) on 500 ms LLM-bound asks, saturated',
    runs,
    notes: [`Throughput relative to 1 worker: ${ratios.join(', ')} (ideal 1x, 2x, 4x: 8 asks/s per worker).`],
    extra: { speedup4: runs[2].summary.completedPerSecond / base },
  };
}
