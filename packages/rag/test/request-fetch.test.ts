import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import OpenAI from 'openai';
import { type RequestFetchBody, requestFetch } from '../src/generation/request-fetch.ts';
import { isRetryableHttpError } from '../src/errors.ts';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** Resolves true when the response was cut before its end (the client went away), false when it ended. */
  closed: Promise<boolean>;
}

/** A real loopback HTTP server; each test sets the handler and reads what the requests brought. */
let server: http.Server;
let base: string;
let handler: (req: http.IncomingMessage, res: http.ServerResponse) => void = () => {};
let seen: Seen[] = [];

before(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body,
        closed: new Promise((resolve) => res.once('close', () => resolve(!res.writableFinished))),
      });
      handler(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

for (const mode of ['node', 'push', 'toWeb'] as RequestFetchBody[]) {
  describe(`requestFetch (body: ${mode}) against a loopback HTTP server`, () => {
    const fetch = requestFetch({ body: mode });

    test('sends method, headers and body; gives status, statusText, headers (repeated ones too) and the body', async () => {
      seen = [];
      handler = (_req, res) => {
        res.statusMessage = 'Made';
        res.setHeader('x-request-id', 'req_1');
        res.setHeader('set-cookie', ['a=1', 'b=2']);
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end('{"ok":true}');
      };
      const headers = new Headers({ 'content-type': 'application/json', authorization: 'Bearer k' });
      const res = await fetch(`${base}/v1/things?x=1`, { method: 'post', headers, body: '{"q":"ả"}' });
      assert.equal(res.status, 201);
      assert.equal(res.ok, true);
      assert.equal(res.statusText, 'Made');
      assert.equal(res.url, `${base}/v1/things?x=1`);
      assert.equal(res.headers.get('x-request-id'), 'req_1');
      assert.equal(res.headers.get('content-type'), 'application/json');
      assert.deepEqual(res.headers.getSetCookie(), ['a=1', 'b=2']);
      assert.deepEqual(await res.json(), { ok: true });
      assert.equal(seen.length, 1);
      assert.equal(seen[0].method, 'POST');
      assert.equal(seen[0].url, '/v1/things?x=1');
      assert.equal(seen[0].headers.authorization, 'Bearer k');
      assert.equal(seen[0].headers['content-type'], 'application/json');
      assert.equal(seen[0].body, '{"q":"ả"}');
      assert.equal(await seen[0].closed, false);
    });

    test('an error status: ok false, the error body as text; a 204 has no body', async () => {
      handler = (req, res) => {
        if (req.url === '/empty') res.writeHead(204).end();
        else res.writeHead(503, { 'content-type': 'text/plain' }).end('overloaded');
      };
      const res = await fetch(`${base}/fail`, { method: 'GET' });
      assert.equal(res.status, 503);
      assert.equal(res.ok, false);
      assert.equal(await res.text(), 'overloaded');
      const empty = await fetch(`${base}/empty`, { method: 'DELETE' });
      assert.equal(empty.status, 204);
      assert.equal(empty.body, null);
    });

    test('a gzip body is decoded', async () => {
      handler = (_req, res) => res.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync('squeezed'));
      assert.equal(await (await fetch(`${base}/gz`, { method: 'GET' })).text(), 'squeezed');
    });

    test('an abort mid-body errors the body with an AbortError and ends the HTTP request', async () => {
      seen = [];
      handler = (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: first\n\n'); // and nothing more: the response stays open
      };
      const ac = new AbortController();
      const res = await fetch(`${base}/stream`, { method: 'POST', body: '{}', signal: ac.signal });
      assert.equal(res.status, 200);
      const chunks: string[] = [];
      await assert.rejects(
        (async () => {
          for await (const c of res.body as unknown as AsyncIterable<Uint8Array>) {
            chunks.push(Buffer.from(c).toString('utf8'));
            ac.abort();
          }
        })(),
        (e: Error) => e.name === 'AbortError',
      );
      assert.deepEqual(chunks, ['data: first\n\n']);
      assert.equal(await seen[0].closed, true, 'the server saw the request end early');
    });

    if (mode !== 'node')
      test('a status the Response refuses rejects, and the connection is freed, not left open', async () => {
        seen = [];
        handler = (_req, res) => {
          res.writeHead(600, { 'content-type': 'text/plain' });
          res.write('odd'); // and the response stays open
        };
        await assert.rejects(fetch(`${base}/odd`, { method: 'GET' }), RangeError);
        assert.equal(await seen[0].closed, true, 'the server saw the request end');
      });

    test('an abort before the response rejects with the reason and ends the HTTP request', async () => {
      seen = [];
      handler = () => {}; // never answers
      const ac = new AbortController();
      const reason = new Error('deadline');
      const p = fetch(`${base}/slow`, { method: 'POST', body: '{}', signal: ac.signal });
      while (seen.length === 0) await new Promise((r) => setTimeout(r, 5));
      ac.abort(reason);
      await assert.rejects(p, (e) => e === reason);
      assert.equal(await seen[0].closed, true);
    });
  });
}

/** What the OpenAI SDK (the generator's client) relies on, through this fetch: retries, error mapping, the stream. */
describe('the OpenAI SDK over requestFetch', () => {
  let client: OpenAI | undefined;
  const sse = (res: http.ServerResponse, pieces: string[]) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (const p of pieces) {
      const chunk = { id: 'c', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [] as unknown[] };
      chunk.choices = [{ index: 0, delta: { content: p }, finish_reason: null }];
      res.write(`data: ${JSON.stringify(chunk)}\n\n`);
    }
  };
  const ask = (stream: boolean, signal?: AbortSignal) => {
    client ??= new OpenAI({ apiKey: 'k', baseURL: `${base}/v1`, maxRetries: 1, fetch: requestFetch() });
    return client.chat.completions.create(
      { model: 'm', messages: [{ role: 'user', content: 'q' }], stream: stream as true },
      { signal },
    );
  };

  test('a 500 is retried once, then an APIError with status 500 that the queue retries', async () => {
    seen = [];
    handler = (_req, res) =>
      res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"message":"boom"}}');
    await assert.rejects(
      ask(false),
      (e) => e instanceof OpenAI.APIError && e.status === 500 && isRetryableHttpError(e),
    );
    assert.equal(seen.length, 2);
  });

  test('a 400 is not retried: APIError with status 400 and the message from the body', async () => {
    seen = [];
    handler = (_req, res) =>
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":{"message":"bad q"}}');
    await assert.rejects(ask(false), (e) => e instanceof OpenAI.BadRequestError && /bad q/.test(e.message));
    assert.equal(seen.length, 1);
  });

  test('a streamed answer, then leaving the loop ends the HTTP request', async () => {
    seen = [];
    handler = (_req, res) => sse(res, ['Hel', 'lo']); // the stream stays open
    const text: string[] = [];
    for await (const c of await ask(true)) {
      text.push(c.choices[0]?.delta.content ?? '');
      if (text.length === 2) break;
    }
    assert.deepEqual(text, ['Hel', 'lo']);
    assert.equal(await seen[0].closed, true);
  });

  test('an abort mid-stream ends the iteration and the HTTP request', async () => {
    seen = [];
    handler = (_req, res) => sse(res, ['a']);
    const ac = new AbortController();
    const text: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const c of await ask(true, ac.signal)) {
          text.push(c.choices[0]?.delta.content ?? '');
          ac.abort();
        }
        ac.signal.throwIfAborted();
      })(),
      (e: Error) => e.name === 'AbortError',
    );
    assert.deepEqual(text, ['a']);
    assert.equal(await seen[0].closed, true);
  });
});
