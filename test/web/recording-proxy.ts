import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createParser } from 'eventsource-parser';

/** One event-stream response as the browser received it through the proxy. */
export interface ProxiedStream {
  method: string;
  path: string;
  /** The request's Accept and Last-Event-ID headers. */
  accept: string;
  lastEventId?: string;
  /** The events forwarded to the browser, in order (with a cut, the last may not have reached it). */
  events: { id?: string; event?: string; data: string }[];
  /** The proxy broke the connection off (cutAfterTokens). */
  cut: boolean;
}

export interface RecordingProxy {
  url: string;
  /** Every request's method and path, in order. */
  requests: { method: string; path: string; accept: string }[];
  streams: ProxiedStream[];
  /**
   * The next `POST /v1/ask` answered with an event stream is broken off (both connections destroyed, as a network
   * drop) right after this many `token` events were forwarded; 0: right after the headers, before any event.
   */
  cutNextSubmitAfter(tokens: number): void;
  close(): Promise<void>;
}

/**
 * An HTTP proxy in front of the gateway for browser tests: it records what the page requested and which events it
 * received, and can break a streamed response off mid-answer. Event-stream responses are forwarded one whole
 * event at a time (the gateway ends each with a blank line), so a cut never leaves half an event behind.
 */
export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const upstream = new URL(target);
  const agent = new http.Agent({ keepAlive: false });
  const requests: RecordingProxy['requests'] = [];
  const streams: ProxiedStream[] = [];
  let cutAfter: number | undefined;

  const server = http.createServer((req, res) => {
    const accept = String(req.headers.accept ?? '');
    const path = req.url ?? '/';
    const method = req.method ?? 'GET';
    requests.push({ method, path, accept });
    const up = http.request(
      { host: upstream.hostname, port: upstream.port, method, path, headers: req.headers, agent },
      (ur) => {
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        if (!/^text\/event-stream/.test(String(ur.headers['content-type'] ?? ''))) {
          ur.pipe(res);
          return;
        }
        const header = req.headers['last-event-id'];
        const stream: ProxiedStream = {
          method,
          path,
          accept,
          lastEventId: typeof header === 'string' ? header : undefined,
          events: [],
          cut: false,
        };
        streams.push(stream);
        let limit: number | undefined;
        if (method === 'POST' && cutAfter !== undefined) {
          limit = cutAfter;
          cutAfter = undefined;
        }
        if (limit === 0) {
          // Broken off right after the headers: the page knows the ask only by its Location header.
          stream.cut = true;
          ur.destroy();
          res.flushHeaders();
          setTimeout(() => res.destroy(), 100);
          return;
        }
        const parser = createParser({
          onEvent: (e) => stream.events.push({ id: e.id, event: e.event, data: e.data }),
        });
        let tokens = 0;
        let pending = '';
        ur.setEncoding('utf8');
        ur.on('data', (chunk: string) => {
          pending += chunk;
          for (let end = pending.indexOf('\n\n'); end >= 0 && !stream.cut; end = pending.indexOf('\n\n')) {
            const frame = pending.slice(0, end + 2);
            pending = pending.slice(end + 2);
            parser.feed(frame);
            if (/^event: token$/m.test(frame)) tokens++;
            if (limit === undefined || tokens < limit) {
              res.write(frame);
              continue;
            }
            // Forward nothing more; break the connection once this frame has been handed to the socket (the
            // browser may still see the break before the frame: the page resumes from what it did receive).
            stream.cut = true;
            ur.destroy();
            res.write(frame, () => setTimeout(() => res.destroy(), 100));
          }
        });
        ur.on('end', () => {
          if (!stream.cut) res.end(pending);
        });
        ur.on('error', () => res.destroy());
      },
    );
    up.on('error', () => res.destroy());
    res.on('close', () => up.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    streams,
    cutNextSubmitAfter: (tokens) => {
      cutAfter = tokens;
    },
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      })),
  };
}
