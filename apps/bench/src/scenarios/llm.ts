import path from 'node:path';
import { ROOT } from '@rag/testing';
import { startBenchStack } from '../bench-stack.ts';
import { closedLoop, createAgent, summarize } from '../load.ts';
import { loadQuestions, uniqueAsk } from '../questions.ts';
import type { ScenarioContext, ScenarioResult } from '../scenario.ts';

/**
 * LLM-bound: every answer takes 1 s at the stand-in; 200 closed-loop users. What does the queue add on top?
 * First with an exact 1 s answer (the case, and the worst one for bursts: 200 users then move in lockstep,
 * so every second all 200 asks arrive, are queued, retrieved and completed within a few ms of each other), then
 * with ±100 ms of jitter (real models vary far more), which spreads the same load over the second.
 */
export async function llm(ctx: ScenarioContext): Promise<ScenarioResult> {
  const runs: ScenarioResult['runs'] = [];
  const notes: string[] = [];
  for (const jitterMs of [0, 100]) {
    const stack = await startBenchStack({
      workers: Number(ctx.args.workers ?? 1),
      env: {
        CACHE_TTL_S: '0',
        WORKER_CONCURRENCY: String(ctx.args.concurrency ?? 256),
        ...(ctx.args.pool ? { PG_POOL_MAX: ctx.args.pool } : {}),
      },
      llm: { LLM_STUB_FIXED_LATENCY_MS: '1000', LLM_STUB_JITTER_MS: String(jitterMs) },
      corpus: [path.join(ROOT, 'data/sample')],
    });
    const agent = createAgent();
    try {
      const body = uniqueAsk(loadQuestions());
      await closedLoop({ agent, base: stack.url, users: 50, seconds: 2, body, style: 'prefer-wait' });
      await stack.markUsage();
      const r = await closedLoop({
        agent,
        base: stack.url,
        users: 200,
        seconds: ctx.seconds,
        body,
        style: 'prefer-wait',
      });
      const summary = summarize(r);
      const name = jitterMs ? `200 users, 1 s ± ${jitterMs} ms LLM` : '200 users, 1 s LLM';
      runs.push({ name, users: 200, workers: stack.procs.length - 2, summary, usage: await stack.usage() });
      notes.push(
        `${name}: queueing overhead at p95 ${Math.round(summary.e2eMs.p95 - 1000 - jitterMs * 0.9)} ms above the answer time's own p95 (${1000 + jitterMs * 0.9} ms).`,
      );
      const stage = (k: 'p50' | 'p95') =>
        `queue wait ${summary.queueWaitMs[k]}, retrieval ${summary.retrievalMs[k]} (pool wait ${summary.poolWaitMs[k]}), generation ${summary.generationMs[k]}, delivery ${summary.deliveryMs[k]}`;
      notes.push(
        `${name}: where an ask's time goes, ms: p50 ${stage('p50')}; p95 ${stage('p95')} (delivery: gateway intake, completion event and response).`,
      );
    } finally {
      await agent.close();
      await stack.close();
    }
  }
  return {
    scenario: 'llm',
    description: 'LLM-bound (1 s per answer at the stand-in), 200 closed-loop users',
    runs,
    notes,
  };
}
