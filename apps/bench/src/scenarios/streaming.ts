import path from 'node:path';
import { ROOT } from '@rag/testing';
import { startBenchStack, type BenchStack } from '../bench-stack.ts';
import { closedLoop, createAgent, percentile, summarize, type LoadResult, type Sample } from '../load.ts';
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

/** Separate stacks (`--variants 0,1`): what the LLM's streaming and the batching cost, run one after the other. */
const VARIANTS: { name: string; stream: boolean; env: Record<string, string> }[] = [
  {
    name: 'Prefer: wait, LLM answer in one response (LLM_STREAMING=false)',
    stream: false,
    env: { LLM_STREAMING: 'false' },
  },
  { name: 'SSE, one XADD per token (STREAM_FLUSH_MS=0)', stream: true, env: { STREAM_FLUSH_MS: '0' } },
];

const r1 = (x: number) => Math.round(x * 10) / 10;

type Usage = Record<string, { cpuPercent: number; rssMiB: number }>;

/**
 * 200 closed-loop users against the stand-in (300 ms to the first token, 40 tokens 25 ms apart). The comparison
 * the issue asks for runs on one stack with the defaults, alternating windows of clients answered whole
 * (`Prefer: wait`) and clients streaming over SSE, so both see the same background load (on a shared machine that
 * matters more than anything measured). Reports the time to the first token the client sees minus the stand-in's
 * own, tokens delivered per second, asks per second and CPU per ask (all processes, the load generator too).
 */
export async function streaming(ctx: ScenarioContext): Promise<ScenarioResult> {
  const runs: Run[] = [];
  const notes: string[] = [];
  const users = Number(ctx.args.users ?? 200);
  const rounds = Number(ctx.args.rounds ?? 3);
  const window = Math.max(3, ctx.seconds / rounds);
  const stackFor = (env: Record<string, string>) =>
    startBenchStack({
      workers: Number(ctx.args.workers ?? 1),
      env: {
        CACHE_TTL_S: '0',
        WORKER_CONCURRENCY: String(ctx.args.concurrency ?? 256),
        ...(ctx.args.pool ? { PG_POOL_MAX: ctx.args.pool } : {}),
        ...env,
      },
      llm: STAND_IN,
      corpus: [path.join(ROOT, 'data/sample')],
    });
  const body = uniqueAsk(loadQuestions());

  if (!ctx.args.variants) {
    const stack = await stackFor({});
    const agent = createAgent();
    try {
      const styles = [
        { name: 'Prefer: wait (answered whole), defaults', stream: false },
        { name: 'SSE (POST with Accept: text/event-stream), defaults', stream: true },
      ];
      const acc = styles.map(() => ({ samples: [] as Sample[], seconds: 0, cpu: {} as Usage }));
      ctx.log(`warming up`);
      await closedLoop({ agent, base: stack.url, users: 50, seconds: 2, body, style: 'prefer-wait' });
      for (let r = 0; r < rounds; r++) {
        for (const [i, s] of styles.entries()) {
          const once = s.stream ? (b: object) => streamOnce(stack.url, b) : undefined;
          await stack.markUsage();
          const res = await closedLoop({
            agent,
            base: stack.url,
            users,
            seconds: window,
            body,
            style: 'prefer-wait',
            once,
          });
          const usage = await stack.usage();
          acc[i].samples.push(...res.samples);
          acc[i].seconds += res.seconds;
          for (const [k, v] of Object.entries(usage)) {
            acc[i].cpu[k] ??= { cpuPercent: 0, rssMiB: 0 };
            const cur = acc[i].cpu[k];
            // Weighted by the window's length: divided by the total time below.
            cur.cpuPercent += v.cpuPercent * res.seconds;
            cur.rssMiB = Math.max(cur.rssMiB, v.rssMiB);
          }
          ctx.log(`round ${r + 1}, ${s.name}: ${summarize(res).completedPerSecond} asks/s`);
        }
      }
      for (const [i, s] of styles.entries()) {
        const usage: Usage = {};
        for (const [k, v] of Object.entries(acc[i].cpu))
          usage[k] = { cpuPercent: Math.round(v.cpuPercent / acc[i].seconds), rssMiB: v.rssMiB };
        runs.push(result(s.name, s.stream, { samples: acc[i].samples, seconds: acc[i].seconds }, usage, users));
      }
    } finally {
      await agent.close();
      await stack.close();
    }
  }

  const picked = ctx.args.variants ? ctx.args.variants.split(',').map((i) => VARIANTS[Number(i)]) : [];
  for (const v of picked.filter(Boolean)) {
    const stack: BenchStack = await stackFor(v.env);
    const agent = createAgent();
    try {
      const once = v.stream ? (b: object) => streamOnce(stack.url, b) : undefined;
      await closedLoop({ agent, base: stack.url, users: 50, seconds: 2, body, style: 'prefer-wait', once });
      await stack.markUsage();
      const res = await closedLoop({
        agent,
        base: stack.url,
        users,
        seconds: ctx.seconds,
        body,
        style: 'prefer-wait',
        once,
      });
      runs.push(result(v.name, v.stream, res, await stack.usage(), users));
    } finally {
      await agent.close();
      await stack.close();
    }
  }

  for (const run of runs) {
    const x = run.extra as ReturnType<typeof figures>;
    notes.push(
      `${run.name}: ${run.summary.completedPerSecond} asks/s, CPU ${x.cpuMsPerAsk} ms per ask (all processes)` +
        (x.addedTtftMs
          ? `; time to first token minus the stand-in's ${TTFT_MS} ms: p50 ${x.addedTtftMs.p50} ms, p95 ${x.addedTtftMs.p95} ms; ${x.tokensPerSecond} tokens/s delivered in ${x.tokenEventsPerAsk} token events per ask`
          : '') +
        '.',
    );
  }
  const base = runs[0]?.summary.completedPerSecond;
  if (base && runs[1])
    notes.push(
      `asks/s of "${runs[1].name}" against "${runs[0].name}": ${r1((runs[1].summary.completedPerSecond / base - 1) * 100)}%.`,
    );
  return {
    scenario: 'streaming',
    description: `${users} closed-loop users, stand-in ${TTFT_MS} ms to the first token then ${TOKENS} tokens ${GAP_MS} ms apart: answered whole vs streamed (SSE), alternating windows on one stack`,
    runs,
    notes,
  };
}

function figures(res: LoadResult, usage: Usage, completedPerSecond: number, stream: boolean) {
  const cpuPercent = Object.values(usage).reduce((a, u) => a + u.cpuPercent, 0);
  const ok = res.samples.filter((s) => s.ok);
  const added = ok.filter((s) => s.ttftMs !== undefined).map((s) => s.ttftMs! - TTFT_MS);
  const events = ok.reduce((a, s) => a + (s.tokens ?? 0), 0);
  // The stand-in's tokens delivered: each streamed answer carries TOKENS of them, however they were batched.
  const tokens = ok.filter((s) => (s.tokens ?? 0) > 0).length * TOKENS;
  return {
    cpuMsPerAsk: r1((cpuPercent * 10) / Math.max(completedPerSecond, 0.001)),
    ...(stream
      ? {
          addedTtftMs: { p50: r1(percentile(added, 0.5)), p95: r1(percentile(added, 0.95)) },
          tokensPerSecond: r1(tokens / res.seconds),
          tokenEventsPerAsk: r1(events / Math.max(1, ok.length)),
        }
      : {}),
  };
}

function result(name: string, stream: boolean, res: LoadResult, usage: Usage, users: number): Run {
  const summary = summarize(res);
  return { name, users, summary, usage, extra: figures(res, usage, summary.completedPerSecond, stream) };
}
