import http from 'node:http';
import type { Socket } from 'node:net';
import { answerFor, embeddingFor } from './answer.ts';
import { mulberry32 } from './random.ts';
import { answerTimeMs, defaultLatency, type LatencyModel } from './latency.ts';

export interface LlmStubStats {
  chatCalls: number;
  chatAborted: number;
  embeddingCalls: number;
  embeddingInputs: number;
  errors: number;
  inFlight: number;
  maxInFlight: number;
}

export interface LlmStub {
  /** Base URL for OpenAI clients, e.g. http://127.0.0.1:PORT/v1 */
  url: string;
  port: number;
  stats: LlmStubStats;
  setLatency(p: Partial<LatencyModel>): void;
  resetStats(): void;
  /** Idempotent; ends stalled responses too. */
  close(): Promise<void>;
}

const emptyStats = (): LlmStubStats => ({ chatCalls: 0, chatAborted: 0, embeddingCalls: 0, embeddingInputs: 0, errors: 0, inFlight: 0, maxInFlight: 0 });

function sendJson(res: http.ServerResponse, status: number, body: unknown) {
  const data = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) });
  res.end(data);
}

const openAiError = (res: http.ServerResponse, status: number, message: string, type = 'server_error') =>
  sendJson(res, status, { error: { message, type, code: status === 404 ? 'not_found' : type } });

async function readBody(req: http.IncomingMessage): Promise<any> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
}

/**
 * An OpenAI-compatible stand-in (chat completions, streaming or not; embeddings; models) with a latency model,
 * so generation-bound behaviour can be tested and benchmarked without a model. Loopback only by default.
 */
export async function startLlmStub(opts: { port?: number; host?: string; latency?: Partial<LatencyModel>; embeddingDim?: number; seed?: number } = {}): Promise<LlmStub> {
  let model: LatencyModel = { ...defaultLatency, ...opts.latency };
  const stats = emptyStats();
  const rand = mulberry32(opts.seed ?? 1);
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const sleep = (ms: number, signal: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
      signal.addEventListener('abort', () => {
        clearTimeout(t);
        timers.delete(t);
        reject(signal.reason);
      }, { once: true });
    });

  async function chat(req: http.IncomingMessage, res: http.ServerResponse, body: any) {
    stats.chatCalls++;
    stats.inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    const aborted = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) {
        stats.chatAborted++;
        aborted.abort(new Error('client went away'));
      }
    });
    try {
      const { ttft, total } = answerTimeMs(model, stats.inFlight, rand);
      if (rand() < model.errorRate) {
        await sleep(Math.min(ttft, 50), aborted.signal);
        stats.errors++;
        return openAiError(res, 500, 'stub: injected server error');
      }
      const stall = rand() < model.stallRate;
      const messages: { role: string; content: string }[] = Array.isArray(body.messages) ? body.messages : [];
      const prompt = messages.filter((m) => m.role === 'user').map((m) => String(m.content)).join('\n');
      const answer = answerFor(prompt, Number(body.max_tokens ?? body.max_completion_tokens ?? 512));
      const id = `chatcmpl-stub-${stats.chatCalls}`;
      const created = Math.floor(Date.now() / 1000);
      const usage = { prompt_tokens: Math.ceil(prompt.length / 4), completion_tokens: answer.split(' ').length, total_tokens: 0 };
      usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
      const name = String(body.model ?? 'stub');
      if (!body.stream) {
        if (stall) await sleep(24 * 3600_000, aborted.signal);
        await sleep(total, aborted.signal);
        return sendJson(res, 200, {
          id, object: 'chat.completion', created, model: name,
          choices: [{ index: 0, message: { role: 'assistant', content: answer }, finish_reason: 'stop' }],
          usage,
        });
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      const send = (delta: object, finish: string | null = null, extra: object = {}) =>
        res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: name, choices: [{ index: 0, delta, finish_reason: finish }], ...extra })}\n\n`);
      await sleep(ttft, aborted.signal);
      const words = answer.split(' ');
      send({ role: 'assistant', content: '' });
      if (stall) await sleep(24 * 3600_000, aborted.signal);
      // A handful of chunks spread over the answer time (not one timer per token).
      const pieces = Math.min(8, words.length);
      const per = Math.ceil(words.length / pieces);
      const gap = Math.max(0, total - ttft) / pieces;
      for (let i = 0; i < pieces; i++) {
        await sleep(gap, aborted.signal);
        const part = words.slice(i * per, (i + 1) * per).join(' ');
        if (part) send({ content: (i ? ' ' : '') + part });
      }
      send({}, 'stop');
      if (body.stream_options?.include_usage) res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: name, choices: [], usage })}\n\n`);
      res.end('data: [DONE]\n\n');
    } catch {
      // The client went away (abort); nothing to answer.
    } finally {
      stats.inFlight--;
    }
  }

  async function embeddings(res: http.ServerResponse, body: any) {
    stats.embeddingCalls++;
    const inputs: string[] = Array.isArray(body.input) ? body.input.map(String) : [String(body.input ?? '')];
    stats.embeddingInputs += inputs.length;
    if (rand() < model.errorRate) {
      stats.errors++;
      return openAiError(res, 500, 'stub: injected server error');
    }
    const dim = Number(body.dimensions ?? opts.embeddingDim ?? 384);
    await new Promise((r) => setTimeout(r, model.embeddingLatencyMs));
    const data = inputs.map((text, index) => {
      const v = embeddingFor(text, dim);
      const embedding = body.encoding_format === 'base64' ? Buffer.from(new Float32Array(v).buffer).toString('base64') : v;
      return { object: 'embedding', index, embedding };
    });
    const tokens = inputs.reduce((n, t) => n + Math.ceil(t.length / 4), 0);
    sendJson(res, 200, { object: 'list', data, model: String(body.model ?? 'stub-embedding'), usage: { prompt_tokens: tokens, total_tokens: tokens } });
  }

  const server = http.createServer(async (req, res) => {
    const url = (req.url ?? '').split('?')[0];
    try {
      if (req.method === 'POST' && url === '/v1/chat/completions') return await chat(req, res, await readBody(req));
      if (req.method === 'POST' && url === '/v1/embeddings') return await embeddings(res, await readBody(req));
      if (req.method === 'GET' && url === '/v1/models') return sendJson(res, 200, { object: 'list', data: [{ id: 'stub-chat', object: 'model' }, { id: 'stub-embedding', object: 'model' }] });
      if (req.method === 'GET' && url === '/healthz') return sendJson(res, 200, { status: 'ok' });
      if (req.method === 'GET' && url === '/_stub/stats') return sendJson(res, 200, stats);
      if (req.method === 'POST' && url === '/_stub/latency') {
        model = { ...model, ...(await readBody(req)) };
        return sendJson(res, 200, model);
      }
      if (req.method === 'POST' && url === '/_stub/reset') {
        Object.assign(stats, emptyStats(), { inFlight: stats.inFlight });
        return sendJson(res, 200, stats);
      }
      openAiError(res, 404, `no route ${req.method} ${url}`, 'invalid_request_error');
    } catch (err) {
      if (!res.headersSent) openAiError(res, 400, `bad request: ${(err as Error).message}`, 'invalid_request_error');
    }
  });
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 121_000;
  server.requestTimeout = 0;
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };
  let closing: Promise<void> | undefined;
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}/v1`,
    port,
    stats,
    setLatency: (p) => (model = { ...model, ...p }),
    resetStats: () => Object.assign(stats, emptyStats(), { inFlight: stats.inFlight }),
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      })),
  };
}
