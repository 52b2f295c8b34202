import { readSse, type SseEvent } from '@rag/testing';
import type { Sample } from './load.ts';

/**
 * Where one streamed ask's time to first token went, ms, from the client's clock, the ask's own timings and the
 * event ids (a Redis Stream entry id starts with the Redis server's clock, in ms, at XADD: same machine, same clock):
 * - `intake`: the POST leaving the client to the gateway stamping the ask (createdAt);
 * - `queue`: createdAt to a worker starting it (result.timings.queuedMs);
 * - `retrieval`: embedding, pool wait and the query (result.timings.retrievalMs);
 * - `llmFirstToken`: the `citations` entry's XADD to the first `token` entry's XADD: the LLM request up to its first
 *   token (the stand-in's own time to first token included) and the worker's client stack;
 * - `delivery`: the first token's XADD to the client reading it (the gateway's reader, its batching, the socket);
 * - `other`: what is left (status and citations writes, rounding of the ms clocks).
 */
export interface TtftParts {
  ttft: number;
  intake: number;
  queue: number;
  retrieval: number;
  llmFirstToken: number;
  delivery: number;
  other: number;
}

const idMs = (e: SseEvent) => Number(e.id.split('-')[0]);

/**
 * One ask streamed the way an SSE client does it: `POST /v1/ask` with `Accept: text/event-stream`, reading events
 * (with the same SSE parser the tests use) until the terminal one. Records the time to the first token and its parts.
 */
export async function streamOnce(base: string, body: object, timeoutMs = 130_000): Promise<Sample> {
  const t0 = performance.now();
  const epoch0 = Date.now();
  let first: SseEvent | undefined;
  let citations: SseEvent | undefined;
  let tokens = 0;
  try {
    const r = await readSse(
      `${base}/v1/ask`,
      { method: 'POST', json: body, signal: AbortSignal.timeout(timeoutMs) },
      {
        onEvent: (e) => {
          if (e.event === 'citations') citations = e;
          if (e.event === 'token' && tokens++ === 0) first = e;
          return false;
        },
      },
    );
    const end = r.events.at(-1);
    const view = end?.data;
    const t = view?.result?.timings;
    const ttftMs = first ? first.at - t0 : undefined;
    let ttftParts: TtftParts | undefined;
    if (first && citations && t && view?.createdAt) {
      const ttft = first.at - t0;
      const intake = Date.parse(view.createdAt) - epoch0;
      const llmFirstToken = idMs(first) - idMs(citations);
      const delivery = epoch0 + ttft - idMs(first);
      const other = ttft - intake - t.queuedMs - t.retrievalMs - llmFirstToken - delivery;
      ttftParts = { ttft, intake, queue: t.queuedMs, retrieval: t.retrievalMs, llmFirstToken, delivery, other };
    }
    return {
      e2eMs: performance.now() - t0,
      status: r.status,
      askStatus: view?.status,
      code: view?.error?.code ?? r.json?.error?.code ?? (r.ended ? undefined : 'stream_cut'),
      queuedMs: t?.queuedMs,
      retrievalMs: t?.retrievalMs,
      poolWaitMs: t?.poolWaitMs,
      generationMs: t?.generationMs,
      workerTotalMs: t?.totalMs,
      cached: view?.result?.cached,
      ok: r.status === 200 && end?.event === 'completed',
      ttftMs,
      tokens,
      ...(ttftParts ? { ttftParts: { ...ttftParts } } : {}),
    };
  } catch (err) {
    return {
      e2eMs: performance.now() - t0,
      status: 0,
      code: (err as Error).name,
      ok: false,
      ttftMs: first ? first.at - t0 : undefined,
      tokens,
    };
  }
}
