import { readSse } from '@rag/testing';
import type { Sample } from './load.ts';

/**
 * One ask streamed the way an SSE client does it: `POST /v1/ask` with `Accept: text/event-stream`, reading events
 * (with the same SSE parser the tests use) until the terminal one. Records the time to the first token.
 */
export async function streamOnce(base: string, body: object, timeoutMs = 130_000): Promise<Sample> {
  const t0 = performance.now();
  let first: number | undefined;
  let tokens = 0;
  try {
    const r = await readSse(
      `${base}/v1/ask`,
      { method: 'POST', json: body, signal: AbortSignal.timeout(timeoutMs) },
      {
        onEvent: (e) => {
          if (e.event === 'token' && tokens++ === 0) first = e.at - t0;
        },
      },
    );
    const end = r.events.at(-1);
    const view = end?.data;
    const t = view?.result?.timings;
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
      ttftMs: first,
      tokens,
    };
  } catch (err) {
    return { e2eMs: performance.now() - t0, status: 0, code: (err as Error).name, ok: false, ttftMs: first, tokens };
  }
}
