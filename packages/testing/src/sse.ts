import { createParser } from 'eventsource-parser';
import type { LooseJson } from './api.ts';

export interface SseEvent {
  id: string;
  event: string;
  /** The parsed JSON data. */
  data: LooseJson;
  /** performance.now() when it arrived. */
  at: number;
}

interface SseResult {
  status: number;
  headers: Headers;
  events: SseEvent[];
  /** Comment lines received (`: keep-alive`). */
  comments: number;
  /** The body, when the answer was not an event stream (an error). */
  json?: LooseJson;
  /** The server ended the response (false: the reader stopped early or the connection broke). */
  ended: boolean;
}

/**
 * Reads a Server-Sent Events response with a real SSE parser (eventsource-parser), as a browser's EventSource
 * would, until the server ends it or `onEvent` returns true (then the connection is dropped, like a client that
 * leaves). Tests read event streams through this one helper; the benchmark's load generator has a leaner one
 * (apps/bench stream-once.ts).
 */
export async function readSse(
  url: string,
  init: RequestInit & { json?: unknown } = {},
  opts: { onEvent?: (e: SseEvent, all: SseEvent[]) => boolean | undefined; onComment?: () => boolean | undefined } = {},
): Promise<SseResult> {
  const headers = new Headers(init.headers);
  headers.set('accept', 'text/event-stream');
  let body = init.body;
  if (init.json !== undefined) {
    headers.set('content-type', 'application/json');
    body = JSON.stringify(init.json);
  }
  const ac = new AbortController();
  const signal = init.signal ? AbortSignal.any([init.signal, ac.signal]) : ac.signal;
  const res = await fetch(url, { ...init, headers, body, signal });
  const result: SseResult = { status: res.status, headers: res.headers, events: [], comments: 0, ended: false };
  if (!res.headers.get('content-type')?.startsWith('text/event-stream')) {
    const text = await res.text();
    try {
      result.json = JSON.parse(text);
    } catch {
      result.json = text;
    }
    result.ended = true;
    return result;
  }
  let stop = false;
  const parser = createParser({
    onEvent: (m) => {
      if (stop) return;
      const e: SseEvent = {
        id: m.id ?? '',
        event: m.event ?? 'message',
        data: JSON.parse(m.data),
        at: performance.now(),
      };
      result.events.push(e);
      if (opts.onEvent?.(e, result.events)) stop = true;
    },
    onComment: () => {
      result.comments++;
      if (opts.onComment?.()) stop = true;
    },
  });
  const decoder = new TextDecoder();
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      parser.feed(decoder.decode(chunk, { stream: true }));
      if (stop) break;
    }
    result.ended = !stop;
  } catch {
    result.ended = false;
  } finally {
    if (stop) ac.abort();
  }
  return result;
}
