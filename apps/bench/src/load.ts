import { Agent, request } from 'undici';
import type { AskView } from '@rag/contract';

/** What an ask answers: the contract's view, or the synchronous baseline's body (`answer`), or an error. */
type AskAnswer = Partial<AskView> & { answer?: unknown; error?: { code: string } };

export interface Sample {
  /** Submit to terminal state, ms. */
  e2eMs: number;
  status: number;
  askStatus?: string;
  code?: string;
  queuedMs?: number;
  retrievalMs?: number;
  poolWaitMs?: number;
  generationMs?: number;
  /** Submission to the end of the ask as the worker saw it (result.timings.totalMs). */
  workerTotalMs?: number;
  cached?: boolean;
  /** Completed within its deadline. */
  ok: boolean;
  /** Streamed asks: submission to the first token event, ms. */
  ttftMs?: number;
  /** Streamed asks: token events received. */
  tokens?: number;
  /** Streamed asks: where the time to the first token went (stream-once.ts `TtftParts`). */
  ttftParts?: Record<string, number>;
}

export interface LoadResult {
  samples: Sample[];
  seconds: number;
  offered?: number;
}

export type Style = 'prefer-wait' | 'long-poll' | 'sync';

/** One keep-alive connection pool for the whole load, sized so connections are never the bottleneck. */
export function createAgent(connections = 512): Agent {
  return new Agent({
    connections,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    headersTimeout: 130_000,
    bodyTimeout: 130_000,
  });
}

/** One ask, the way a client of the queued API does it (or, for the baseline, one synchronous request). */
export async function askOnce(
  agent: Agent,
  base: string,
  body: object,
  style: Style,
  timeoutMs?: number,
): Promise<Sample> {
  const t0 = performance.now();
  const signal = timeoutMs ? AbortSignal.timeout(timeoutMs) : undefined;
  try {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (style === 'prefer-wait') headers.prefer = 'wait=30';
    const res = await request(`${base}${style === 'sync' ? '/ask' : '/v1/ask'}`, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      dispatcher: agent,
      signal,
    });
    let json = (await res.body.json().catch(() => undefined)) as AskAnswer | undefined;
    let status = res.statusCode;
    // Long-poll until terminal (at most 4 rounds of 30 s: the longest deadline is 120 s).
    for (let i = 0; style !== 'sync' && status === 202 && json?.id && i < 5; i++) {
      const r = await request(`${base}/v1/ask/${json.id}?wait=30`, { dispatcher: agent, signal });
      status = r.statusCode;
      json = (await r.body.json().catch(() => undefined)) as AskAnswer | undefined;
      if (json?.status === 'queued' || json?.status === 'active') status = 202;
    }
    const e2eMs = performance.now() - t0;
    const t = json?.result?.timings;
    return {
      e2eMs,
      status,
      askStatus: json?.status,
      code: json?.error?.code,
      queuedMs: t?.queuedMs,
      retrievalMs: t?.retrievalMs,
      poolWaitMs: t?.poolWaitMs,
      generationMs: t?.generationMs,
      workerTotalMs: t?.totalMs,
      cached: json?.result?.cached,
      ok: status === 200 && (style === 'sync' ? Boolean(json?.answer ?? json?.result) : json?.status === 'completed'),
    };
  } catch (err) {
    const code = signal?.aborted ? 'client_timeout' : (err as Error).message;
    return { e2eMs: performance.now() - t0, status: 0, code, ok: false };
  }
}

/** `users` closed-loop clients, each asking again as soon as its answer arrives, for `seconds`. */
export async function closedLoop(opts: {
  agent: Agent;
  base: string;
  users: number;
  seconds: number;
  body: (i: number) => object;
  style: Style;
  timeoutMs?: number;
  /** Asks another way than `style` (e.g. streamed over SSE). */
  once?: (body: object) => Promise<Sample>;
}): Promise<LoadResult> {
  const samples: Sample[] = [];
  const once = opts.once ?? ((body: object) => askOnce(opts.agent, opts.base, body, opts.style, opts.timeoutMs));
  const end = performance.now() + opts.seconds * 1000;
  let n = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: opts.users }, async () => {
      while (performance.now() < end) samples.push(await once(opts.body(n++)));
    }),
  );
  return { samples, seconds: (performance.now() - start) / 1000 };
}

/** Open loop: `rate` asks per second for `seconds`, whatever the answers do (how real traffic arrives). */
export async function openLoop(opts: {
  agent: Agent;
  base: string;
  rate: number;
  seconds: number;
  body: (i: number) => object;
  style: Style;
  timeoutMs?: number;
  /** Asks another way than `style` (e.g. streamed over SSE). */
  once?: (body: object) => Promise<Sample>;
}): Promise<LoadResult> {
  const once = opts.once ?? ((body: object) => askOnce(opts.agent, opts.base, body, opts.style, opts.timeoutMs));
  const total = Math.round(opts.rate * opts.seconds);
  const start = performance.now();
  const pending: Promise<Sample>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / opts.rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    pending.push(once(opts.body(i)));
  }
  const samples = await Promise.all(pending);
  return { samples, seconds: (performance.now() - start) / 1000, offered: opts.rate };
}

export function percentile(values: number[], q: number): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

export interface Summary {
  asks: number;
  completed: number;
  completedPerSecond: number;
  successRate: number;
  e2eMs: { p50: number; p95: number; p99: number; max: number };
  queueWaitMs: { p50: number; p95: number; p99: number };
  /** Embedding + connection wait + query, per ask. */
  retrievalMs: { p50: number; p95: number; p99: number };
  /** The part of retrievalMs spent waiting for a pooled connection: how far the pool is from its load. */
  poolWaitMs: { p50: number; p95: number; p99: number };
  /** The LLM call (or the offline generator), per ask. */
  generationMs: { p50: number; p95: number; p99: number };
  /**
   * End to end minus the worker's own total: the gateway accepting the ask, the completion event reaching it, and
   * the answer reaching the client (what the worker's timings cannot see).
   */
  deliveryMs: { p50: number; p95: number; p99: number };
  errors: Record<string, number>;
  cacheHitRate: number;
}

const r1 = (x: number) => Math.round(x * 10) / 10;

export function summarize(r: LoadResult): Summary {
  const ok = r.samples.filter((s) => s.ok);
  const e2e = ok.map((s) => s.e2eMs);
  const q = ok.map((s) => s.queuedMs ?? 0);
  const ret = ok.filter((s) => !s.cached).map((s) => s.retrievalMs ?? 0);
  const pw = ok.filter((s) => !s.cached).map((s) => s.poolWaitMs ?? 0);
  const gen = ok.filter((s) => !s.cached).map((s) => s.generationMs ?? 0);
  const delivery = ok
    .filter((s) => !s.cached && s.workerTotalMs !== undefined)
    .map((s) => Math.max(0, s.e2eMs - s.workerTotalMs!));
  const pcts = (xs: number[]) => ({
    p50: r1(percentile(xs, 0.5)),
    p95: r1(percentile(xs, 0.95)),
    p99: r1(percentile(xs, 0.99)),
  });
  const errors: Record<string, number> = {};
  for (const s of r.samples)
    if (!s.ok) errors[s.code ?? `http_${s.status}`] = (errors[s.code ?? `http_${s.status}`] ?? 0) + 1;
  return {
    asks: r.samples.length,
    completed: ok.length,
    completedPerSecond: r1(ok.length / r.seconds),
    successRate: r.samples.length ? Math.round((ok.length / r.samples.length) * 10000) / 10000 : 0,
    e2eMs: {
      p50: r1(percentile(e2e, 0.5)),
      p95: r1(percentile(e2e, 0.95)),
      p99: r1(percentile(e2e, 0.99)),
      max: r1(Math.max(0, ...e2e)),
    },
    queueWaitMs: { p50: r1(percentile(q, 0.5)), p95: r1(percentile(q, 0.95)), p99: r1(percentile(q, 0.99)) },
    retrievalMs: { p50: r1(percentile(ret, 0.5)), p95: r1(percentile(ret, 0.95)), p99: r1(percentile(ret, 0.99)) },
    poolWaitMs: pcts(pw),
    generationMs: pcts(gen),
    deliveryMs: pcts(delivery),
    errors,
    cacheHitRate: ok.length ? r1((ok.filter((s) => s.cached).length / ok.length) * 100) / 100 : 0,
  };
}
