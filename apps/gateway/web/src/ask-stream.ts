import { EventSourceParserStream } from 'eventsource-parser/stream';
import { apiFetch, apiJson, errorOf } from './api.ts';
import { type AskStatus, type AskView, type Citation, isTerminal } from './types.ts';

export interface AskListener {
  status(status: AskStatus, position?: number): void;
  citations(citations: Citation[]): void;
  token(text: string): void;
  /** The terminal view (completed, failed or cancelled), the same JSON as GET /v1/ask/{id}. */
  done(view: AskView): void;
}

const LONG_POLL_S = 25;
const MAX_RECONNECTS = 5;

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });

/**
 * Follows an ask to its end. With Server-Sent Events (read with fetch, so the API key header goes along; the
 * browser's EventSource cannot send one): a dropped stream resumes from the last event id. Without them, or
 * when the stream keeps failing: long-polls GET /v1/ask/{id}?wait=.
 */
export async function followAsk(id: string, on: AskListener, opts: { sse: boolean; signal: AbortSignal }) {
  if (opts.sse && (await streamEvents(id, on, opts.signal))) return;
  if (!opts.signal.aborted) await longPoll(id, on, opts.signal);
}

/** True when a terminal event arrived (or the caller aborted); false to fall back to long-polling. */
async function streamEvents(id: string, on: AskListener, signal: AbortSignal): Promise<boolean> {
  let lastId: string | undefined;
  for (let attempt = 0; attempt <= MAX_RECONNECTS && !signal.aborted; attempt++) {
    if (attempt > 0) await sleep(Math.min(250 * 2 ** attempt, 4000), signal);
    let res: Response;
    try {
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      if (lastId) headers['last-event-id'] = lastId;
      res = await apiFetch(`/v1/ask/${encodeURIComponent(id)}/events`, { headers, signal });
    } catch {
      if (signal.aborted) return true;
      continue; // network: try again from the last event
    }
    // No stream for this ask here (e.g. a gateway without the route): long-polling still knows it.
    if (res.status === 404) return false;
    if (!res.ok || !res.body) {
      if (res.status >= 400 && res.status < 500) throw await errorOf(res);
      continue;
    }
    const events = res.body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream());
    const reader = events.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        if (value.id) lastId = value.id;
        const data = JSON.parse(value.data);
        switch (value.event) {
          case 'status':
            on.status(data.status, data.position);
            break;
          case 'citations':
            on.citations(data as Citation[]);
            break;
          case 'token':
            on.token(String(data.text ?? ''));
            break;
          case 'completed':
          case 'failed':
          case 'cancelled':
            on.done(data as AskView);
            return true;
        }
      }
    } catch {
      if (signal.aborted) return true;
    } finally {
      reader.releaseLock();
    }
  }
  return signal.aborted;
}

async function longPoll(id: string, on: AskListener, signal: AbortSignal) {
  const url = `/v1/ask/${encodeURIComponent(id)}`;
  let view = await apiJson<AskView>(url, { signal });
  while (!isTerminal(view.status)) {
    on.status(view.status);
    view = await apiJson<AskView>(`${url}?wait=${LONG_POLL_S}`, { signal });
  }
  on.done(view);
}
