import http from 'node:http';
import type { Socket } from 'node:net';
import { answerFor, countWords, embeddingFor, float32Base64 } from './answer.ts';
import { mulberry32 } from './random.ts';
import { answerTimeMs, defaultLatency, mergeLatency, streamPieces, type LatencyModel } from './latency.ts';

interface LlmStubStats {
  /** Chat completion requests received (counted on arrival, before the body is read). */
  chatCalls: number;
  /** Chat requests asking for a streamed response (`stream: true`); the rest of chatCalls asked for one body. */
  chatStreamed: number;
  /** Chat requests whose client went away before the response ended. */
  chatAborted: number;
  embeddingCalls: number;
  /** Texts embedded (an array input counts each element). */
  embeddingInputs: number;
  /** Injected HTTP 500s (errorRate). */
  errors: number;
  /** Chat answers being generated now. */
  inFlight: number;
  maxInFlight: number;
}

export interface LlmStub {
  /** Base URL for OpenAI clients, e.g. http://127.0.0.1:PORT/v1 */
  url: string;
  port: number;
  /** Live counters (the same object throughout; resetStats() zeroes it in place). */
  stats: LlmStubStats;
  /** Changes the latency model for requests arriving from now on; undefined puts a field back to its default. */
  setLatency(p: Partial<LatencyModel>): void;
  resetStats(): void;
  /** Idempotent; ends every connection, stalled responses included. */
  close(): Promise<void>;
}

interface LlmStubOptions {
  /** 0 (default) = a random free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  latency?: Partial<LatencyModel>;
  /** Embedding size when the request has no `dimensions` (default 384). */
  embeddingDim?: number;
  /** Seed of the PRNG behind jitter, errors and stalls (default 1). */
  seed?: number;
  /**
   * Follow a prompt's "reply with exactly X" decline instruction when the context does not fit the question (see
   * answerFor). Off by default: most tests want an answer to stream whatever they ask.
   */
  declines?: boolean;
}

const MAX_BODY_BYTES = 32 * 1024 * 1024;
const MAX_EMBEDDING_DIM = 16_384;
const MODELS = ['stub-chat', 'gpt-4o-mini', 'stub-embedding', 'text-embedding-3-small'];

const emptyStats = (): LlmStubStats => ({
  chatCalls: 0,
  chatStreamed: 0,
  chatAborted: 0,
  embeddingCalls: 0,
  embeddingInputs: 0,
  errors: 0,
  inFlight: 0,
  maxInFlight: 0,
});

/** An error answered in the OpenAI error shape. */
interface ApiError extends Error {
  status: number;
  type: string;
  code: string;
}
function apiError(
  status: number,
  message: string,
  code = 'invalid_request',
  type = status >= 500 ? 'server_error' : 'invalid_request_error',
): ApiError {
  return Object.assign(new Error(message), { status, type, code });
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const data = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) });
  res.end(data);
}

const sendError = (res: http.ServerResponse, e: ApiError) =>
  sendJson(res, e.status, { error: { message: e.message, type: e.type, param: null, code: e.code } });

/** The 500 an injected error (errorRate) answers with, as OpenAI words it. */
const sendInjectedError = (res: http.ServerResponse) =>
  sendError(
    res,
    apiError(500, 'The server had an error while processing your request (llm-stub: injected error).', 'server_error'),
  );

async function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY_BYTES) throw apiError(413, `request body over ${MAX_BODY_BYTES} bytes`, 'body_too_large');
    chunks.push(c as Buffer);
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (err) {
    throw apiError(400, `We could not parse the JSON body of your request: ${(err as Error).message}`, 'invalid_json');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw apiError(400, 'the request body must be a JSON object', 'invalid_json');
  return body as Record<string, unknown>;
}

/** The text of a message's content: a string, or an array of parts (`{ type: 'text', text }`). */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content))
    return content.map((p) => (typeof p === 'string' ? p : typeof p?.text === 'string' ? p.text : '')).join('\n');
  return '';
}

function positiveInt(body: Record<string, unknown>, key: string, max: number): number | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max)
    throw apiError(400, `${key} must be an integer from 1 to ${max}`, 'invalid_value');
  return v;
}

/** The texts to embed: a string, an array of strings, or token arrays (number[] or number[][], embedded by their text form). */
function embeddingInputs(input: unknown): string[] {
  const text = (x: unknown) =>
    typeof x === 'string'
      ? x
      : Array.isArray(x) && x.length && x.every((n) => typeof n === 'number')
        ? x.join(',')
        : undefined;
  const one = text(input);
  const all = one !== undefined ? [one] : Array.isArray(input) ? input.map(text) : [];
  if (!all.length || all.some((x) => x === undefined))
    throw apiError(400, 'input must be a string or a non-empty array of strings', 'invalid_value');
  return all as string[];
}

/** A promise settled by a timer, or rejected when the signal aborts (the timer is then cleared). */
function sleep(ms: number, signal: AbortSignal, timers: Set<NodeJS.Timeout>): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(t);
      timers.delete(t);
      reject(signal.reason);
    };
    const t = setTimeout(
      () => {
        timers.delete(t);
        signal.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    timers.add(t);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Never resolves; rejects when the client goes away (or the stand-in closes). Holds no timer. */
const stallUntilAborted = (signal: AbortSignal) =>
  new Promise<never>((_, reject) => {
    if (signal.aborted) return reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });

/** Aborts when the client disconnects before the response has ended; `onAbort` runs once then. */
function clientGone(res: http.ServerResponse, onAbort?: () => void): AbortSignal {
  const ac = new AbortController();
  res.once('close', () => {
    if (res.writableFinished) return;
    onAbort?.();
    ac.abort(new Error('client went away'));
  });
  return ac.signal;
}

/**
 * An OpenAI-compatible stand-in (chat completions, streaming or not; embeddings; models) with a latency model,
 * so generation-bound behaviour can be tested and benchmarked without a model. Loopback only by default.
 */
export async function startLlmStub(opts: LlmStubOptions = {}): Promise<LlmStub> {
  let model: LatencyModel = mergeLatency({ ...defaultLatency }, opts.latency ?? {});
  const embeddingDim = opts.embeddingDim ?? 384;
  if (!Number.isInteger(embeddingDim) || embeddingDim < 1 || embeddingDim > MAX_EMBEDDING_DIM)
    throw new RangeError(`embeddingDim must be an integer from 1 to ${MAX_EMBEDDING_DIM}`);
  const stats = emptyStats();
  const rand = mulberry32(opts.seed ?? 1);
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let completionIds = 0;

  async function chat(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    stats.chatCalls++;
    const signal = clientGone(res, () => stats.chatAborted++);
    const body = await readJson(req);
    if (!Array.isArray(body.messages) || body.messages.length === 0)
      throw apiError(400, 'messages must be a non-empty array', 'invalid_value');
    const maxTokens =
      positiveInt(body, 'max_completion_tokens', 1_000_000) ?? positiveInt(body, 'max_tokens', 1_000_000);
    const m = model; // the model at arrival, for the whole answer
    if (body.stream) stats.chatStreamed++;
    stats.inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    try {
      const messages = body.messages as { role?: string; content?: unknown }[];
      const texts = messages.map((msg) => ({ role: msg?.role, text: contentText(msg?.content) }));
      // Passages are looked for in the user messages first, then in the others (a context in the system prompt).
      const prompt = [...texts.filter((t) => t.role === 'user'), ...texts.filter((t) => t.role !== 'user')]
        .map((t) => t.text)
        .join('\n');
      const { ttft, total } = answerTimeMs(
        m,
        stats.inFlight,
        rand,
        Math.min(m.completionTokens, maxTokens ?? Infinity),
      );
      if (rand() < m.errorRate) {
        await sleep(Math.min(ttft, 50), signal, timers);
        stats.errors++;
        return sendInjectedError(res);
      }
      const stall = rand() < m.stallRate;
      const fullAnswer = answerFor(prompt, Number.MAX_SAFE_INTEGER, opts.declines);
      const answer = maxTokens === undefined ? fullAnswer : answerFor(prompt, maxTokens, opts.declines);
      const finishReason = answer === fullAnswer ? 'stop' : 'length';
      const promptTokens = texts.reduce((n, t) => n + countWords(t.text), 0);
      const completionTokens = countWords(answer);
      const usage = {
        prompt_tokens: promptTokens,
        completion_tokens: completionTokens,
        total_tokens: promptTokens + completionTokens,
      };
      const id = `chatcmpl-stub-${++completionIds}`;
      const created = Math.floor(Date.now() / 1000);
      const name = typeof body.model === 'string' ? body.model : 'stub-chat';

      if (!body.stream) {
        if (stall) await stallUntilAborted(signal);
        await sleep(total, signal, timers);
        return sendJson(res, 200, {
          id,
          object: 'chat.completion',
          created,
          model: name,
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: answer, refusal: null },
              logprobs: null,
              finish_reason: finishReason,
            },
          ],
          usage,
        });
      }

      const includeUsage = (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
      const chunk = (choices: object[], extra: object = includeUsage ? { usage: null } : {}) =>
        `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: name, choices, ...extra })}\n\n`;
      const delta = (d: object, finish: string | null = null) =>
        chunk([{ index: 0, delta: d, logprobs: null, finish_reason: finish }]);
      await sleep(ttft, signal, timers);
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
      });
      // Headers at the time to first token, as a server sends them, before any chunk.
      res.flushHeaders();
      // The role chunk goes with the first piece, and the last piece with the finish, usage and [DONE] chunks: one
      // write each, as a server sends what it has at once (every write is a packet the client reads separately).
      let head = delta({ role: 'assistant', content: '' });
      if (stall) {
        res.write(head);
        head = '';
        await stallUntilAborted(signal);
      }
      // `streamChunks` pieces: the first at the time to first token, the last at the answer's total time, the
      // others evenly between (one timer per piece, not per token).
      const pieces = streamPieces(answer, m.streamChunks);
      const gap = pieces.length > 1 ? Math.max(0, total - ttft) / (pieces.length - 1) : 0;
      let out = head;
      for (let i = 0; i < pieces.length; i++) {
        if (i > 0) {
          res.write(out);
          out = '';
          await sleep(gap, signal, timers);
        }
        out += delta({ content: pieces[i] });
      }
      res.end(`${out}${delta({}, finishReason)}${includeUsage ? chunk([], { usage }) : ''}data: [DONE]\n\n`);
    } finally {
      stats.inFlight--;
    }
  }

  async function embeddings(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    stats.embeddingCalls++;
    const signal = clientGone(res);
    const body = await readJson(req);
    const inputs = embeddingInputs(body.input);
    const dim = positiveInt(body, 'dimensions', MAX_EMBEDDING_DIM) ?? embeddingDim;
    const format = body.encoding_format ?? 'float';
    if (format !== 'float' && format !== 'base64')
      throw apiError(400, 'encoding_format must be "float" or "base64"', 'invalid_value');
    stats.embeddingInputs += inputs.length;
    const m = model;
    if (rand() < m.errorRate) {
      stats.errors++;
      return sendInjectedError(res);
    }
    await sleep(m.embeddingLatencyMs, signal, timers);
    const data = inputs.map((text, index) => {
      const v = embeddingFor(text, dim);
      return { object: 'embedding', index, embedding: format === 'base64' ? float32Base64(v) : Array.from(v) };
    });
    const tokens = inputs.reduce((n, t) => n + countWords(t), 0);
    sendJson(res, 200, {
      object: 'list',
      data,
      model: typeof body.model === 'string' ? body.model : 'stub-embedding',
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    });
  }

  const resetStats = () =>
    Object.assign(stats, emptyStats(), { inFlight: stats.inFlight, maxInFlight: stats.inFlight });

  async function route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    const key = `${req.method} ${path}`;
    switch (key) {
      case 'POST /v1/chat/completions':
        return chat(req, res);
      case 'POST /v1/embeddings':
        return embeddings(req, res);
      case 'GET /v1/models':
        return sendJson(res, 200, {
          object: 'list',
          data: MODELS.map((id) => ({ id, object: 'model', created: 0, owned_by: 'llm-stub' })),
        });
      case 'GET /healthz':
        return sendJson(res, 200, { status: 'ok' });
      case 'GET /_stub/stats':
        return sendJson(res, 200, stats);
      case 'GET /_stub/latency':
        return sendJson(res, 200, model);
      case 'POST /_stub/latency': {
        const patch = await readJson(req);
        try {
          model = mergeLatency(model, patch);
        } catch (err) {
          throw apiError(400, (err as Error).message, 'invalid_value');
        }
        return sendJson(res, 200, model);
      }
      case 'POST /_stub/reset':
        req.resume();
        resetStats();
        return sendJson(res, 200, stats);
      default:
        req.resume();
        throw apiError(404, `Unknown request URL: ${req.method} ${path}`, 'unknown_url');
    }
  }

  const server = http.createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      if (res.headersSent) {
        if (!res.writableEnded) res.destroy();
        return;
      }
      if (res.destroyed) return; // the client went away (an abort): nothing to answer
      const e = err as Partial<ApiError>;
      sendError(
        res,
        typeof e.status === 'number'
          ? (err as ApiError)
          : apiError(500, `llm-stub: ${(err as Error)?.message ?? String(err)}`, 'internal_error'),
      );
    });
  });
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 121_000;
  server.requestTimeout = 0; // a stalled answer lasts until the client gives up
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: opts.port ?? 0, host, backlog: 4096 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // After listening: an accept error under load (EMFILE) must not crash the process.
  server.on('error', () => {});
  const { port } = server.address() as { port: number };
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/v1`,
    port,
    stats,
    setLatency: (p) => {
      model = mergeLatency(model, p);
    },
    resetStats,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
        server.closeAllConnections();
        for (const t of timers) clearTimeout(t);
        timers.clear();
      })),
  };
}
