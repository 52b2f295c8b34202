import { type EventSourceMessage, EventSourceParserStream } from 'eventsource-parser/stream';
import { apiFetch, apiJson, errorOf } from './api.ts';
import { type AskStatus, type AskView, type Citation, isTerminal } from './types.ts';

export interface AskListener {
  status(status: AskStatus, position?: number): void;
  citations(citations: Citation[]): void;
  token(text: string): void;
  /** The terminal view (completed, failed or cancelled), the same JSON as GET /v1/ask/{id}. */
  done(view: AskView): void;
}

/** An ask the gateway accepted: its id and state, and how to follow it to its end. */
export interface Submitted {
  id: string;
  status: AskStatus;
  /** Delivers the ask's events (from the submitting response first, when it streams) until it ends. */
  follow(on: AskListener): Promise<void>;
}

const LONG_POLL_S = 25;
const MAX_RECONNECTS = 5;

type Events = ReadableStreamDefaultReader<EventSourceMessage>;

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

const eventsOf = (body: NonNullable<Response['body']>): Events =>
  body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream()).getReader();

const isEventStream = (res: Response) => /^text\/event-stream\b/i.test(res.headers.get('content-type') ?? '');

/** Where the stream resumes from: the id of the last event delivered (sent back as Last-Event-ID). */
interface Cursor {
  lastId?: string;
}

/** Hands one event to the listener; true when it was the terminal one. */
function deliver(e: EventSourceMessage, on: AskListener, at: Cursor): boolean {
  if (e.id) at.lastId = e.id;
  const data = JSON.parse(e.data);
  switch (e.event) {
    case 'status':
      on.status(data.status, data.position);
      return false;
    case 'citations':
      on.citations(data as Citation[]);
      return false;
    case 'token':
      on.token(String(data.text ?? ''));
      return false;
    case 'completed':
    case 'failed':
    case 'cancelled':
      on.done(data as AskView);
      return true;
  }
  return false;
}

/** Reads a stream until its terminal event (true), or until it ends or breaks without one (false). */
async function pump(reader: Events, on: AskListener, at: Cursor): Promise<boolean> {
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return false;
      if (deliver(value, on, at)) return true;
    }
  } catch {
    return false; // dropped (or aborted: the caller checks its signal)
  } finally {
    reader.releaseLock();
  }
}

/**
 * Submits an ask. With Server-Sent Events: `POST /v1/ask` with `Accept: text/event-stream`, which submits and
 * streams in the same response, so the worker streams the answer from the LLM whatever the timing; the id comes
 * from the `Location` header and the first `status` event. A dropped response resumes with GET
 * /v1/ask/{id}/events and Last-Event-ID. A JSON answer (a gateway that does not stream the POST, or `sse` off) is
 * followed as before: GET .../events, else long-polling. Throws the gateway's error when the ask is refused.
 */
export async function submitAsk(body: unknown, opts: { sse: boolean; signal: AbortSignal }): Promise<Submitted> {
  const { signal } = opts;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (opts.sse) headers.accept = 'text/event-stream';
  const res = await apiFetch('/v1/ask', { method: 'POST', headers, body: JSON.stringify(body), signal });
  if (!res.ok) throw await errorOf(res);
  if (!isEventStream(res) || !res.body) {
    const view = (await res.json()) as AskView;
    return {
      id: view.id,
      status: view.status,
      follow: (on) => (isTerminal(view.status) ? Promise.resolve(on.done(view)) : followAsk(view.id, on, opts)),
    };
  }
  const reader = eventsOf(res.body);
  const at: Cursor = {};
  const fromLocation = /\/v1\/ask\/([^/?#]+)$/.exec(res.headers.get('location') ?? '')?.[1];
  let first: EventSourceMessage | undefined;
  try {
    const r = await reader.read();
    first = r.done ? undefined : r.value;
  } catch {
    // dropped before the first event: the Location header may still name the ask
  }
  const opening = first?.event === 'status' ? (JSON.parse(first.data) as { id?: string; status?: AskStatus }) : {};
  const id = opening.id ?? (fromLocation && decodeURIComponent(fromLocation));
  if (!id) {
    reader.cancel().catch(() => {});
    throw new Error('the gateway ended the response before naming the ask');
  }
  return {
    id,
    status: opening.status ?? 'queued',
    async follow(on) {
      if (first && deliver(first, on, at)) return;
      if (await pump(reader, on, at)) return;
      if (signal.aborted) return;
      // The response broke off: the rest from the last event on, from this or any gateway.
      await followAsk(id, on, { sse: true, signal, after: at.lastId });
    },
  };
}

/**
 * Follows an ask to its end. With Server-Sent Events (read with fetch, so the API key header goes along; the
 * browser's EventSource cannot send one): a dropped stream resumes from the last event id (`after`: the id to
 * resume after, when some events were delivered already). Without them, or when the stream keeps failing:
 * long-polls GET /v1/ask/{id}?wait=.
 */
export async function followAsk(
  id: string,
  on: AskListener,
  opts: { sse: boolean; signal: AbortSignal; after?: string },
) {
  if (opts.sse && (await streamEvents(id, on, opts.signal, { lastId: opts.after }))) return;
  if (!opts.signal.aborted) await longPoll(id, on, opts.signal);
}

/** True when a terminal event arrived (or the caller aborted); false to fall back to long-polling. */
async function streamEvents(id: string, on: AskListener, signal: AbortSignal, at: Cursor): Promise<boolean> {
  for (let attempt = 0; attempt <= MAX_RECONNECTS && !signal.aborted; attempt++) {
    if (attempt > 0) await sleep(Math.min(250 * 2 ** attempt, 4000), signal);
    let res: Response;
    try {
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      if (at.lastId) headers['last-event-id'] = at.lastId;
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
    if (await pump(eventsOf(res.body), on, at)) return true;
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
