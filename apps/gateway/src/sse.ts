import type { Response } from 'express';

/**
 * Server-Sent Events framing (the WHATWG "event stream" format): a few lines, so no library. Data is JSON we
 * produced (no raw newlines); a newline in it would still be framed correctly, as one `data:` line per line.
 */
export function sseFrame(id: string, event: string, data: string): string {
  const body = data.includes('\n') ? data.split('\n').join('\ndata: ') : data;
  return `id: ${id}\nevent: ${event}\ndata: ${body}\n\n`;
}

/** A comment line: ignored by clients, it keeps proxies and load balancers from closing an idle stream. */
export const SSE_KEEP_ALIVE = ': keep-alive\n\n';

/**
 * Starts an event-stream response: no caching, no proxy buffering. The headers leave with the first frame, which
 * the caller writes at once (one socket write for both, not two).
 */
export function startSse(res: Response, headers: Record<string, string> = {}): void {
  res.status(200);
  res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  res.setHeader('Cache-Control', 'no-cache, no-transform');
  // nginx buffers responses by default, which would hold tokens back until its buffer fills.
  res.setHeader('X-Accel-Buffering', 'no');
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
}
