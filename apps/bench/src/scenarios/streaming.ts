import path from 'node:path';
import { ROOT } from '@rag/testing';
import { startBenchStack } from '../bench-stack.ts';
import { closedLoop, createAgent, percentile, summarize } from '../load.ts';
import { loadQuestions, uniqueAsk } from '../questions.ts';
import type { Run, ScenarioContext, ScenarioResult } from '../scenario.ts';
import { streamOnce } from '../stream-once.ts';

/** The model: about 300 ms to the first token, then 40 tokens 25 ms apart. */
const TTFT_MS = 300;
const TOKENS = 40;
const GAP_MS = 25;
const STAND_IN = {
  LLM_STUB_TTFT_MS: String(TTFT_MS),
  LLM_STUB_COMPLETION_TOKENS: String(TOKENS),
  // The stand-in spreads tokens 2..n over tokens / tokensPerSecond: (n - 1) gaps of GAP_MS.
  LLM_STUB_TPS: String((TOKENS * 1000) / ((TOKENS - 1) * GAP_MS)),
  LLM_STUB_STREAM_CHUNKS: String(TOKENS),
};

interface Variant {
  name: string;
  stream: boolean;
  env: Record<string, string>;
}

const VARIANTS: Variant[] = [
  { name: 'no streaming: Prefer: wait, LLM answer in one response', stream: false, env: { LLM_STREAMING: 'false' } },
  { name: 'no streaming client: Prefer: wait, LLM streamed into Redis', stream: false, env: {} },
  { name: 'SSE, one XADD per token (STREAM_FLUSH_MS=0)', stream: true, env: { STREAM_FLUSH_MS: '0' } },
  { name: 'SSE, batched (STREAM_FLUSH_MS=50, the default)', stream: true, env: {} },
];

const r1 = (x: number) => Math.round(x * 10) / 10;

/**
 * 200 closed-loop users against the stand-in (300 ms to the first token, 40 tokens 25 ms apart): asks answered
 * whole (Prefer: wait) beside asks streamed over SSE. Reports the time to the first token the client sees minus
 * the stand-in's own, tokens delivered per second, asks per second and CPU per ask (all processes, this one too).
 * `--variants 0,2` picks runs by index.
 */
export async function streaming(ctx: ScenarioContext): Promise<ScenarioResult> {
  const runs: Run[] = [];
  const notes: string[] = [];
  const picked = ctx.args.variants ? ctx.args.variants.split(',').map((i) => VARIANTS[Number(i)]) : VARIANTS;
  const users = Number(ctx.args.users ?? 200);
  for (const v of picked.filter(Boolean)) {
    const stack = await startBenchStack({
      workers: Number(ctx.args.workers ?? 1),
      env: {
        CACHE_TTL_S: '0',
        WORKER_CONCURRENCY: String(ctx.args.concurrency ?? 256),
        ...(ctx.args.pool ? { PG_POOL_MAX: ctx.args.pool } : {}),
        ...v.env,
      },
      llm: STAND_IN,
      corpus: [path.join(ROOT, 'data/sample')],
    });
    const agent = createAgent();
    try {
      const body = uniqueAsk(loadQuestions());
      const once = v.stream ? (b: object) => streamOnce(stack.url, b) : undefined;
      ctx.log(`${v.name}: warming up`);
      await closedLoop({ agent, base: stack.url, users: 50, seconds: 2, body, style: 'prefer-wait', once });
      await stack.markUsage();
      const r = await closedLoop({
        agent,
        base: stack.url,
        users,
        seconds: ctx.seconds,
        body,
        style: 'prefer-wait',
        once,
      });
      const summary = summarize(r);
      const usage = await stack.usage();
      const cpuPercent = Object.values(usage).reduce((a, u) => a + u.cpuPercent, 0);
      const ok = r.samples.filter((s) => s.ok);
      const added = ok.filter((s) => s.ttftMs !== undefined).map((s) => s.ttftMs! - TTFT_MS);
      const events = ok.reduce((a, s) => a + (s.tokens ?? 0), 0);
      // The stand-in's tokens delivered: each streamed answer carries TOKENS of them, however they were batched.
      const tokens = ok.filter((s) => (s.tokens ?? 0) > 0).length * TOKENS;
      const extra = {
        cpuMsPerAsk: r1((cpuPercent * 10) / Math.max(summary.completedPerSecond, 0.001)),
        ...(v.stream
          ? {
              addedTtftMs: { p50: r1(percentile(added, 0.5)), p95: r1(percentile(added, 0.95)) },
              tokensPerSecond: r1(tokens / r.seconds),
              tokenEventsPerAsk: r1(events / Math.max(1, ok.length)),
            }
          : {}),
      };
      runs.push({ name: v.name, users, workers: stack.procs.length - 2, summary, usage, extra });
      ctx.log(`${v.name}: ${summary.completedPerSecond} asks/s, ${JSON.stringify(extra)}`);
      notes.push(
        `${v.name}: ${summary.completedPerSecond} asks/s, CPU ${extra.cpuMsPerAsk} ms per ask (all processes)` +
          (v.stream
            ? `; time to first token minus the stand-in's ${TTFT_MS} ms: p50 ${extra.addedTtftMs!.p50} ms, p95 ${extra.addedTtftMs!.p95} ms; ${extra.tokensPerSecond} tokens/s delivered (${extra.tokenEventsPerAsk} token events per ask)`
            : '') +
          '.',
      );
    } finally {
      await agent.close();
      await stack.close();
    }
  }
  const base = runs[0]?.summary.completedPerSecond;
  if (base)
    for (const run of runs.slice(1))
      notes.push(
        `${run.name}: asks/s ${r1((run.summary.completedPerSecond / base - 1) * 100)}% against "${runs[0].name}".`,
      );
  return {
    scenario: 'streaming',
    description: `${users} closed-loop users, stand-in ${TTFT_MS} ms to the first token then ${TOKENS} tokens ${GAP_MS} ms apart: answered whole vs streamed (SSE)`,
    runs,
    notes,
  };
}
