import { pipeline, Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { Agent, type Dispatcher, request } from 'undici';

/** How the response body is handed to the caller (the OpenAI SDK reads `body` as an async iterable if it is one). */
export type RequestFetchBody = 'toWeb' | 'push' | 'node';

export interface RequestFetchOptions {
  /**
   * @defaultValue an Agent of the `undici` package of this fetch's own (not the global dispatcher: that is the one
   * Node's bundled fetch installed, of another undici version).
   */
  dispatcher?: Dispatcher;
  /**
   * 'toWeb': a WHATWG Response whose body is `Readable.toWeb(body)`; 'push': a WHATWG Response whose body is a
   * ReadableStream fed by the Node body's 'data' events (paused while the stream's queue is full); 'node': a
   * Response-shaped object whose `body` is the Node Readable itself (async iterable, which the OpenAI SDK iterates
   * directly). apps/bench llm-client, CPU per streamed 40-chunk answer through ChatOpenAI: global fetch ~5-6 ms,
   * 'toWeb' and 'push' ~4.3 ms, 'node' ~3.9 ms. The default is 'push', a real Response: 'node' saves ~0.3 ms more
   * but relies on the SDK iterating any async-iterable body, which a later SDK need not do. @defaultValue 'push'
   */
  body?: RequestFetchBody;
}

const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

/**
 * A Node Readable as a byte ReadableStream: chunks pushed as they come, the source paused while the queue is full.
 * Once the stream is closed, errored or cancelled, nothing more reaches the controller (a cancelled source may
 * still emit what it had read), and the source's errors stay handled.
 */
function pushStream(body: Readable): ReadableStream<Uint8Array> {
  let done = false;
  return new ReadableStream<Uint8Array>(
    {
      start(c) {
        body.on('data', (chunk: Buffer) => {
          if (done) return;
          c.enqueue(chunk);
          if ((c.desiredSize ?? 1) <= 0) body.pause();
        });
        body.once('end', () => {
          if (done) return;
          done = true;
          c.close();
        });
        body.on('error', (e) => {
          if (done) return;
          done = true;
          c.error(e);
        });
      },
      pull() {
        if (!done) body.resume();
      },
      cancel(reason) {
        done = true;
        body.destroy(reason instanceof Error ? reason : undefined);
      },
    },
    { highWaterMark: 16 },
  );
}

function decoded(body: Readable, encoding: string | undefined): Readable {
  switch (encoding?.trim().toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return pipeline(body, createGunzip(), () => {});
    case 'deflate':
      return pipeline(body, createInflate(), () => {});
    case 'br':
      return pipeline(body, createBrotliDecompress(), () => {});
    default:
      return body;
  }
}

/**
 * A `fetch` for the OpenAI SDK (its `fetch` client option; ChatOpenAI's `configuration.fetch`) on undici's
 * `request`: none of fetch's machinery (request objects, fetch controller, body mixins; with the 'node' body no
 * WHATWG stream either) between the socket and the SDK's SSE decoder. It covers what the SDK
 * sends and reads: method, headers, a string or byte body (any other body goes to the global fetch), the abort
 * signal (before the response it rejects with the signal's reason; after, the body errors with it, which ends the
 * request), status, ok, statusText, headers, url and the body (streamed, or whole with `text()`/`json()`/
 * `arrayBuffer()`). With the 'node' body the response is Response-shaped, not a WHATWG Response: its `body` is the
 * Node Readable, which the SDK iterates directly (it iterates any async-iterable body, and cancels one by
 * returning its iterator); tests/request-fetch.test.ts and openai-generator.test.ts pin what the SDK relies on.
 * No redirects are followed (an API does not redirect); gzip/deflate/br bodies are decoded, though none are asked
 * for (no Accept-Encoding is sent).
 */
export function requestFetch(opts: RequestFetchOptions = {}): typeof globalThis.fetch {
  const mode = opts.body ?? 'push';
  const dispatcher = opts.dispatcher ?? new Agent();
  const fetchImpl = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const body = init.body;
    if (input instanceof Request || (body != null && typeof body !== 'string' && !ArrayBuffer.isView(body))) {
      return globalThis.fetch(input, init);
    }
    const url = typeof input === 'string' ? input : input.href;
    const method = (init.method ?? 'GET').toUpperCase();
    const headers = Object.fromEntries(init.headers instanceof Headers ? init.headers : new Headers(init.headers));
    const res = await request(url, {
      method: method as Dispatcher.HttpMethod,
      headers,
      body: body as string | Uint8Array | null | undefined,
      signal: init.signal ?? undefined,
      dispatcher,
    });
    // Anything that throws from here on (a status or header the Response refuses) must free the connection.
    try {
      const h = new Headers();
      for (const [k, v] of Object.entries(res.headers)) {
        if (Array.isArray(v)) for (const x of v) h.append(k, x);
        else if (v !== undefined) h.append(k, v);
      }
      const nullBody = method === 'HEAD' || NULL_BODY_STATUS.has(res.statusCode);
      if (nullBody) res.body.dump().catch(() => {});
      const raw = nullBody ? null : decoded(res.body, h.get('content-encoding') ?? undefined);
      // Unread, an aborted body's error must not go unhandled (an async iterator adds listeners of its own).
      if (mode === 'node') raw?.on('error', () => {});
      if (mode === 'node') return nodeResponse(url, res.statusCode, res.statusText ?? '', h, raw);
      const stream = raw === null ? null : mode === 'toWeb' ? (Readable.toWeb(raw) as ReadableStream) : pushStream(raw);
      const response = new Response(stream, { status: res.statusCode, statusText: res.statusText ?? '', headers: h });
      Object.defineProperty(response, 'url', { value: url });
      return response;
    } catch (err) {
      res.body.destroy();
      throw err;
    }
  };
  return fetchImpl as typeof globalThis.fetch;
}

/** Response-shaped (what the OpenAI SDK reads), the body the Node Readable itself: not a WHATWG Response. */
function nodeResponse(url: string, status: number, statusText: string, headers: Headers, body: Readable | null) {
  const bytes = async () => {
    if (!body) return Buffer.alloc(0);
    const parts: Buffer[] = [];
    for await (const c of body) parts.push(c as Buffer);
    return Buffer.concat(parts);
  };
  const text = async () => (await bytes()).toString('utf8');
  return {
    url,
    status,
    statusText,
    ok: status >= 200 && status < 300,
    redirected: false,
    type: 'basic',
    headers,
    body,
    bodyUsed: false,
    text,
    json: async () => JSON.parse(await text()) as unknown,
    arrayBuffer: async () => {
      const b = await bytes();
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
    },
  } as unknown as Response;
}
