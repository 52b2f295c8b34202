import path from 'node:path';
import { ROOT } from '@rag/testing';
import { startBenchStack, type BenchStack } from '../bench-stack.ts';
import { closedLoop, createAgent, openLoop, percentile, summarize, type LoadResult, type Sample } from '../load.ts';
import { loadQuestions, uniqueAsk } from '../questions.ts';
import type { Run, ScenarioContext, ScenarioResult } from '../scenario.ts';
import { streamOnce } from '../stream-once.ts';

/** The issue's model: about 300 ms to the first token, then 40 tokens 25 ms apart. */
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
 * The open loops' arrival rates, as shares of the saturated SSE run's asks/s (unless `--rate a,b` says): a light and
 * a busy load, so the time to first token is seen against the load, not at one chosen point.
 */
const SUSTAINABLE_SHARES = [0.4, 0.65];

const STYLES = [
  { name: 'Prefer: wait (answered whole)', stream: false },
  { name: 'SSE (POST with Accept: text/event-stream)', stream: true },
];

interface Window {
  res: LoadResult;
  usage: Usage;
  /** Chat requests the stand-in received during the window, and how many of them asked for a streamed answer. */
  llm: { calls: number; streamed: number };
}

/**
 * 200 closed-loop users against the stand-in (300 ms to the first token, 40 tokens 25 ms apart), then open loops at
 * two sustainable rates. Both compare, on one stack with the defaults, alternating windows of clients answered whole
 * (`Prefer: wait`) and clients streaming over SSE, so both see the same background load (on a shared machine that
 * matters more than anything measured). The closed loop with no think time saturates this machine: its added time
 * to first token is mostly queueing that both styles share. The open loops at SUSTAINABLE_SHARES of the capacity the
 * closed loop found show what the streaming path itself adds, at a light and a busy load; each streamed ask's time to first token is split by
 * stage (stream-once.ts). Reports the time to the first token the client sees minus the stand-in's own, tokens
 * delivered per second, asks per second, CPU per ask (all processes, the load generator too), and how many of the
 * stand-in's requests were streamed (an ask nobody streams is answered whole).
 */
export async function streaming(ctx: ScenarioContext): Promise<ScenarioResult> {
  const runs: Run[] = [];
  const notes: string[] = [];
  const users = Number(ctx.args.users ?? 200);
  const rounds = Number(ctx.args.rounds ?? 3);
  const window = Math.max(3, ctx.seconds / rounds);
  const stackFor = (env: Record<string, string>) =>
    startBenchStack({
      // Two worker processes, as `npm run up` starts by default: one event loop per core. With one, its event loop
      // (every answer's LLM stream, stream writes, retrieval) was the bottleneck before the two cores were.
      workers: Number(ctx.args.workers ?? 2),
      env: {
        CACHE_TTL_S: '0',
        WORKER_CONCURRENCY: String(ctx.args.concurrency ?? 256),
        ...(ctx.args.pool ? { PG_POOL_MAX: ctx.args.pool } : {}),
        ...env,
      },
      llm: STAND_IN,
      corpus: [path.join(ROOT, 'data/sample')],
    });
  const unique = uniqueAsk(loadQuestions());
  let seq = 0;
  // One sequence for every window: no question repeats, so neither the cache nor single-flight serves one.
  const body = () => unique(seq++);

  if (!ctx.args.variants) {
    const stack = await stackFor({});
    const agent = createAgent();
    const stubStats = async () =>
      (await (await fetch(`${stack.stubUrl!.replace(/\/v1$/, '')}/_stub/stats`)).json()) as {
        chatCalls: number;
        chatStreamed: number;
      };
    const once = (stream: boolean) => (stream ? (b: object) => streamOnce(agent, stack.url, b) : undefined);
    /** Alternates the styles, `rounds` windows each, and merges each style's windows. */
    const alternate = async (label: string, load: (once?: (b: object) => Promise<Sample>) => Promise<LoadResult>) => {
      const acc = STYLES.map(() => [] as Window[]);
      for (let r = 0; r < rounds; r++) {
        for (const [i, s] of STYLES.entries()) {
          await stack.markUsage();
          const before = await stubStats();
          const res = await load(once(s.stream));
          const usage = await stack.usage();
          const after = await stubStats();
          acc[i].push({
            res,
            usage,
            llm: { calls: after.chatCalls - before.chatCalls, streamed: after.chatStreamed - before.chatStreamed },
          });
          ctx.log(`${label}, round ${r + 1}, ${s.name}: ${summarize(res).completedPerSecond} asks/s`);
        }
      }
      return acc.map(merge);
    };
    try {
      ctx.log('warming up');
      // Both styles: each has code paths of its own (the LLM stream, the SSE writes) that the first window would
      // otherwise run before the JIT has compiled them, which cost SSE's first saturated window up to 15%.
      for (const s of STYLES)
        await closedLoop({
          agent,
          base: stack.url,
          users: 50,
          seconds: 3,
          body,
          style: 'prefer-wait',
          once: once(s.stream),
        });
      const saturated = await alternate(`saturated (${users} users)`, (o) =>
        closedLoop({ agent, base: stack.url, users, seconds: window, body, style: 'prefer-wait', once: o }),
      );
      for (const [i, s] of STYLES.entries())
        runs.push(result(`saturated: ${users} closed-loop users, ${s.name}`, s.stream, saturated[i], { users }));
      const capacity = summarize(saturated[1].res).completedPerSecond;
      const rates = ctx.args.rate
        ? ctx.args.rate.split(',').map((r) => ({ rate: Number(r), share: '' }))
        : SUSTAINABLE_SHARES.map((x) => ({
            rate: Math.max(1, Math.round(capacity * x)),
            share: ` (${x * 100}% of the saturated SSE run's asks/s)`,
          }));
      for (const { rate, share } of rates) {
        const sustained = await alternate(`open loop ${rate}/s`, (o) =>
          openLoop({ agent, base: stack.url, rate, seconds: window, body, style: 'prefer-wait', once: o }),
        );
        for (const [i, s] of STYLES.entries())
          runs.push(
            result(`sustainable: open loop ${rate} asks/s${share}, ${s.name}`, s.stream, sustained[i], { rate }),
          );
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
      const once = v.stream ? (b: object) => streamOnce(agent, stack.url, b) : undefined;
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
      runs.push(
        result(v.name, v.stream, { res, usage: await stack.usage(), llm: { calls: 0, streamed: 0 } }, { users }),
      );
    } finally {
      await agent.close();
      await stack.close();
    }
  }

  for (const run of runs) {
    const x = run.extra as ReturnType<typeof figures>;
    const parts = x.ttftParts
      ? `; TTFT by stage, p50 / p95 ms: ${Object.entries(x.ttftParts)
          .map(([k, v]) => `${k} ${v.p50} / ${v.p95}`)
          .join(', ')}`
      : '';
    notes.push(
      `${run.name}: ${run.summary.completedPerSecond} asks/s, CPU ${x.cpuMsPerAsk} ms per ask (all processes)` +
        (x.llm.calls ? `, ${x.llm.streamed} of ${x.llm.calls} LLM requests streamed` : '') +
        (x.addedTtftMs
          ? `; time to first token minus the stand-in's ${TTFT_MS} ms: p50 ${x.addedTtftMs.p50} ms, p95 ${x.addedTtftMs.p95} ms; ${x.tokensPerSecond} tokens/s delivered in ${x.tokenEventsPerAsk} token events per ask${parts}`
          : '') +
        '.',
    );
  }
  for (let i = 0; i + 1 < runs.length; i += 2) {
    const [a, b] = [runs[i], runs[i + 1]];
    if (!a.summary.completedPerSecond || b.extra?.addedTtftMs === undefined) continue;
    notes.push(
      `asks/s of "${b.name}" against "${a.name}": ${r1((b.summary.completedPerSecond / a.summary.completedPerSecond - 1) * 100)}%.`,
    );
  }
  return {
    scenario: 'streaming',
    description: `stand-in ${TTFT_MS} ms to the first token then ${TOKENS} tokens ${GAP_MS} ms apart: answered whole vs streamed (SSE), alternating windows on one stack; ${users} closed-loop users (saturated), then open loops at two sustainable rates`,
    runs,
    notes,
  };
}

/** One style's windows as one run: samples and seconds added, CPU weighted by each window's length. */
function merge(windows: Window[]): Window {
  const samples = windows.flatMap((w) => w.res.samples);
  const seconds = windows.reduce((a, w) => a + w.res.seconds, 0);
  const weighted: Usage = {};
  for (const w of windows)
    for (const [k, v] of Object.entries(w.usage)) {
      weighted[k] ??= { cpuPercent: 0, rssMiB: 0 };
      weighted[k].cpuPercent += (v.cpuPercent * w.res.seconds) / seconds;
      weighted[k].rssMiB = Math.max(weighted[k].rssMiB, v.rssMiB);
    }
  for (const v of Object.values(weighted)) v.cpuPercent = Math.round(v.cpuPercent);
  return {
    res: { samples, seconds },
    usage: weighted,
    llm: {
      calls: windows.reduce((a, w) => a + w.llm.calls, 0),
      streamed: windows.reduce((a, w) => a + w.llm.streamed, 0),
    },
  };
}

function figures(w: Window, completedPerSecond: number, stream: boolean) {
  const cpuPercent = Object.values(w.usage).reduce((a, u) => a + u.cpuPercent, 0);
  const ok = w.res.samples.filter((s) => s.ok);
  const added = ok.filter((s) => s.ttftMs !== undefined).map((s) => s.ttftMs! - TTFT_MS);
  const events = ok.reduce((a, s) => a + (s.tokens ?? 0), 0);
  // The stand-in's tokens delivered: each streamed answer carries TOKENS of them, however they were batched.
  const tokens = ok.filter((s) => (s.tokens ?? 0) > 0).length * TOKENS;
  const withParts = ok.flatMap((s) => (s.ttftParts ? [s.ttftParts] : []));
  const ttftParts: Record<string, { p50: number; p95: number }> = {};
  for (const k of Object.keys(withParts[0] ?? {})) {
    const xs = withParts.map((p) => p[k]);
    ttftParts[k] = { p50: r1(percentile(xs, 0.5)), p95: r1(percentile(xs, 0.95)) };
  }
  return {
    cpuMsPerAsk: r1((cpuPercent * 10) / Math.max(completedPerSecond, 0.001)),
    llm: w.llm,
    ...(stream
      ? {
          addedTtftMs: { p50: r1(percentile(added, 0.5)), p95: r1(percentile(added, 0.95)) },
          tokensPerSecond: r1(tokens / w.res.seconds),
          tokenEventsPerAsk: r1(events / Math.max(1, ok.length)),
          ttftParts: withParts.length ? ttftParts : undefined,
        }
      : {}),
  };
}

function result(name: string, stream: boolean, w: Window, load: { users?: number; rate?: number }): Run {
  const summary = summarize(w.res);
  return { name, ...load, summary, usage: w.usage, extra: figures(w, summary.completedPerSecond, stream) };
}
