import path from 'node:path';
import { ROOT } from '@rag/testing';
import { startBenchStack } from '../bench-stack.ts';
import { closedLoop, createAgent, summarize, type Style } from '../load.ts';
import { loadQuestions, uniqueAsk } from '../questions.ts';
import type { ScenarioContext, ScenarioResult } from '../scenario.ts';

/**
 * Offline defaults (hash embeddings, extractive answers) at 50 closed-loop users: the queue's own overhead,
 * with unique questions so that every ask does the full retrieval and generation (no cache hits).
 * `--retrieval hybrid,vector` runs it once per RETRIEVAL setting, one after the other in the same run.
 */
export async function offline(ctx: ScenarioContext): Promise<ScenarioResult> {
  const settings = (ctx.args.retrieval ?? '').split(',').filter(Boolean);
  if (settings.length === 0) return offlineOnce(ctx);
  const results = [];
  for (const retrieval of settings) results.push(await offlineOnce(ctx, retrieval));
  return { ...results[0], runs: results.flatMap((r) => r.runs) };
}

async function offlineOnce(ctx: ScenarioContext, retrieval?: string): Promise<ScenarioResult> {
  const workers = Number(ctx.args.workers ?? 2);
  const stack = await startBenchStack({
    workers,
    env: {
      CACHE_TTL_S: '0',
      WORKER_CONCURRENCY: String(ctx.args.concurrency ?? 16),
      ...(retrieval ? { RETRIEVAL: retrieval } : {}),
    },
    corpus: [path.join(ROOT, 'data/sample')],
  });
  const agent = createAgent();
  try {
    const questions = loadQuestions();
    const runs: ScenarioResult['runs'] = [];
    for (const style of ['prefer-wait', 'long-poll'] as Style[]) {
      await closedLoop({ agent, base: stack.url, users: 10, seconds: 2, body: uniqueAsk(questions), style }); // warm-up
      await stack.markUsage();
      const r = await closedLoop({
        agent,
        base: stack.url,
        users: 50,
        seconds: ctx.seconds,
        body: uniqueAsk(questions),
        style,
      });
      const name = `50 users, ${style}${retrieval ? `, ${retrieval} retrieval` : ''}`;
      runs.push({ name, users: 50, workers, summary: summarize(r), usage: await stack.usage() });
    }
    return {
      scenario: 'offline',
      description: 'Offline defaults, 50 closed-loop users, unique questions (cache cannot help)',
      runs,
    };
  } finally {
    await agent.close();
    await stack.close();
  }
}
