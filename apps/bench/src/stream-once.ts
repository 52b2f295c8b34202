import { StringDecoder } from 'node:string_decoder';
import { createParser } from 'eventsource-parser';
import { type Agent, request } from 'undici';
import type { AskView } from '@rag/contract';
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

const idMs = (id: string) => Number(id.split('-')[0]);

interface Seen {
  id: string;
  /** performance.now() when it arrived. */
  at: number;
}

/**
 * One ask streamed the way an SSE client does it: `POST /v1/ask` with `Accept: text/event-stream`, reading events
 * (with eventsource-parser, the SSE parser the tests use) until the terminal one. Records the time to the first
 * token and its parts. Uses undici's `request` on the load's keep-alive pool, as the answered-whole asks do
 * (askOnce): `fetch` and its web streams cost the load generator about twice the CPU per event, CPU taken from the
 * two cores the service runs on. Only the events the figures need are parsed as JSON.
 */
export async function streamOnce(agent: Agent, base: string, body: object, timeoutMs = 130_000): Promise<Sample> {
  const t0 = performance.now();
  const epoch0 = Date.now();
  let first: Seen | undefined;
  let citations: Seen | undefined;
  let terminal: { event: string; data: string } | undefined;
  let tokens = 0;
  try {
    const res = await request(`${base}/v1/ask`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify(body),
      dispatcher: agent,
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!String(res.headers['content-type']).startsWith('text/event-stream')) {
      const json = (await res.body.json().catch(() => undefined)) as { error?: { code?: string } } | undefined;
      return { e2eMs: performance.now() - t0, status: res.statusCode, code: json?.error?.code, ok: false, tokens };
    }
    const parser = createParser({
      onEvent: (m) => {
        const at = performance.now();
        if (m.event === 'token' && tokens++ === 0) first = { id: m.id ?? '', at };
        else if (m.event === 'citations') citations = { id: m.id ?? '', at };
        else if (m.event === 'completed' || m.event === 'failed' || m.event === 'cancelled')
          terminal = { event: m.event, data: m.data };
      },
    });
    // Node's own decoder (a chunk may end inside a character); undici's body ignores setEncoding once it flows.
    // 'data' events, not `for await`: the async iterator costs a promise round per chunk.
    const utf8 = new StringDecoder('utf8');
    await new Promise<void>((resolve, reject) => {
      res.body.on('data', (chunk: Buffer) => parser.feed(utf8.write(chunk)));
      res.body.once('end', resolve);
      res.body.once('error', reject);
    });
    const view = terminal ? (JSON.parse(terminal.data) as Partial<AskView>) : undefined;
    const t = view?.result?.timings;
    const ttftMs = first ? first.at - t0 : undefined;
    let ttftParts: TtftParts | undefined;
    if (first && citations && t && view?.createdAt) {
      const ttft = first.at - t0;
      const intake = Date.parse(view.createdAt) - epoch0;
      const llmFirstToken = idMs(first.id) - idMs(citations.id);
      const delivery = epoch0 + ttft - idMs(first.id);
      const other = ttft - intake - t.queuedMs - t.retrievalMs - llmFirstToken - delivery;
      ttftParts = { ttft, intake, queue: t.queuedMs, retrieval: t.retrievalMs, llmFirstToken, delivery, other };
    }
    return {
      e2eMs: performance.now() - t0,
      status: res.statusCode,
      askStatus: view?.status,
      code: view?.error?.code ?? (terminal ? undefined : 'stream_cut'),
      queuedMs: t?.queuedMs,
      retrievalMs: t?.retrievalMs,
      poolWaitMs: t?.poolWaitMs,
      generationMs: t?.generationMs,
      workerTotalMs: t?.totalMs,
      cached: view?.result?.cached,
      ok: res.statusCode === 200 && terminal?.event === 'completed',
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
