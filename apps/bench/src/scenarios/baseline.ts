import path from 'node:path';
import { ROOT, startProcess } from '@rag/testing';
import { startBenchStack } from '../bench-stack.ts';
import { createAgent, openLoop, summarize } from '../load.ts';
import { loadQuestions, uniqueAsk } from '../questions.ts';
import type { Run, ScenarioContext, ScenarioResult } from '../scenario.ts';

// The LLM serves 16 answers at once in 1 s each (beyond that it slows everyone down, as a GPU server does):
// capacity 16 asks/s. Both systems get a 10 s deadline per ask.
const LLM_CAPACITY = 16;
const DEADLINE_MS = 10_000;

/**
 * The synchronous baseline (retrieval and generation inside the HTTP request, as the old system did) side by side
 * with the queued system at the same offered load, under (0.5x) and over (2x) the LLM's capacity.
 */
export async function baseline(ctx: ScenarioContext): Promise<ScenarioResult> {
  const stack = await startBenchStack({
    workers: 1,
    env: {
      CACHE_TTL_S: '0',
      WORKER_CONCURRENCY: String(LLM_CAPACITY),
      ASK_TIMEOUT_MS: String(DEADLINE_MS),
      // Admit only what can finish within the deadline: half a deadline's worth of capacity may wait.
      MAX_QUEUED_ASKS: String((LLM_CAPACITY * DEADLINE_MS) / 1000 / 2),
    },
    llm: { LLM_STUB_FIXED_LATENCY_MS: '1000', LLM_STUB_CAPACITY: String(LLM_CAPACITY) },
    corpus: [path.join(ROOT, 'data/sample')],
  });
  const sync = await startProcess(
    'sync-baseline',
    'apps/bench/src/sync-baseline-main.ts',
    {
      DATABASE_URL: stack.db.url,
      PORT: '0',
      LOG_LEVEL: 'warn',
      LLM_PROVIDER: 'openai',
      OPENAI_BASE_URL: stack.stubUrl!,
      OPENAI_API_KEY: 'bench',
      PG_POOL_MAX: '20',
    },
    { readyLine: /sync baseline listening/ },
  );
  const syncUrl = /"url":"(http:[^"]+)"/.exec(sync.output())![1];
  const agent = createAgent(2048);
  const body = uniqueAsk(loadQuestions());
  const runs: Run[] = [];
  // Long enough for an overloaded baseline's backlog to reach the deadline (it degrades over time, not at once).
  const seconds = Math.max(ctx.seconds, 30);
  try {
    const stubBase = stack.stubUrl!.replace(/\/v1$/, '');
    // The LLM must be idle before each run: an overloaded baseline leaves calls running at the LLM long after its
    // clients gave up (nothing cancels them), and they would slow down whatever runs next.
    const idleLlm = async () => {
      const t0 = Date.now();
      while (Date.now() - t0 < 180_000) {
        const s = (await (await fetch(`${stubBase}/_stub/stats`)).json()) as { inFlight: number };
        if (s.inFlight === 0) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      await fetch(`${stubBase}/_stub/reset`, { method: 'POST' });
    };
    for (const factor of [0.5, 2]) {
      const rate = LLM_CAPACITY * factor;
      await idleLlm();
      const q = await openLoop({
        agent,
        base: stack.url,
        rate,
        seconds,
        body,
        style: 'prefer-wait',
        timeoutMs: DEADLINE_MS + 2000,
      });
      const summary = summarize(q);
      const accepted = q.samples.filter((s) => s.status !== 429);
      const acceptedOk = accepted.filter((s) => s.ok && s.e2eMs <= DEADLINE_MS).length;
      runs.push({
        name: `queued, ${rate}/s (${factor}x capacity)`,
        rate,
        summary,
        extra: {
          accepted: accepted.length,
          acceptedWithinDeadline: acceptedOk,
          refused429: q.samples.length - accepted.length,
        },
      });
      ctx.log(`${runs.at(-1)!.name}: accepted ${accepted.length}, within deadline ${acceptedOk}`);
      await idleLlm();
      const b = await openLoop({ agent, base: syncUrl, rate, seconds, body, style: 'sync', timeoutMs: DEADLINE_MS });
      runs.push({ name: `synchronous baseline, ${rate}/s (${factor}x capacity)`, rate, summary: summarize(b) });
      ctx.log(`${runs.at(-1)!.name}: ${JSON.stringify(runs.at(-1)!.summary.errors)}`);
    }
  } finally {
    await agent.close();
    await sync.stop();
    await stack.close();
  }
  const notes = runs
    .filter((r) => r.extra)
    .map(
      (r) =>
        `${r.name}: ${r.extra!.accepted} accepted, ${r.extra!.acceptedWithinDeadline} of them answered within the ${DEADLINE_MS / 1000} s deadline, ${r.extra!.refused429} refused at once with 429 + Retry-After.`,
    );
  return {
    scenario: 'baseline',
    description: `Synchronous baseline vs queued, LLM capacity ${LLM_CAPACITY} answers/s (1 s each), ${DEADLINE_MS / 1000} s deadline, open-loop arrivals`,
    runs,
    notes,
  };
}
