import { Worker } from 'node:worker_threads';
import { HumanMessage, SystemMessage } from '@langchain/core/messages';
import { ChatOpenAI } from '@langchain/openai';
import { OpenAIGenerator, type Passage, requestFetch } from '@rag/rag';
import OpenAI from 'openai';
import { Agent, fetch as undiciFetch } from 'undici';
import type { ScenarioContext, ScenarioResult } from '../scenario.ts';

/** One call's outcome: the text and whether usage figures came with it (each variant must return both). */
interface Outcome {
  text: string;
  usage: boolean;
}
type Variant = (signal: AbortSignal) => Promise<Outcome>;

const CONCURRENCY = 20;

const passages: Passage[] = Array.from({ length: 5 }, (_, i) => ({
  index: i + 1,
  documentId: `d${i}`,
  title: `Thông tư ${i + 1}/2024`,
  chunkId: `c${i}`,
  content: `Bảo đảm dự thầu được nộp trước thời điểm đóng thầu theo quy định tại điều ${i + 3}. `.repeat(9),
  score: 0.8,
}));
const question = 'Bảo đảm dự thầu nộp khi nào?';

/** CPU µs of this process and of the stand-in's thread so far. */
async function stubCpu(w: Worker): Promise<number> {
  return new Promise((resolve) => {
    w.once('message', (m: { cpu: number }) => resolve(m.cpu));
    w.postMessage('cpu');
  });
}

/**
 * The LLM client alone: CPU per call of LangChain's ChatOpenAI against the loopback stand-in (on its own thread of
 * this process, its CPU subtracted), answered whole (`invoke`) or streamed (`stream`, `streamEvents`,
 * `_streamChatModelEvents`, `_streamResponseChunks`, `invoke` with a streaming handleLLMNewToken callback, with the
 * OpenAI SDK's own fetch or undici's), through the worker's OpenAIGenerator, and, as the floor, the OpenAI SDK alone;
 * `_streamResponseChunks [<fetch>]`, `invoke [<fetch>]` and `SDK alone [<fetch>]` for each fetch the SDK may be given
 * (Node's global fetch, undici's, undici's request() under request-fetch.ts with each kind of body).
 * 40 chunks per answer, 20 calls at once, 200 calls per variant and round, rounds alternating the variants after a
 * warm-up round. `--rounds N` (default 5), `--calls N` per variant and round (default 200), `--variants stream,invoke` (default all).
 */
export async function llmClient(ctx: ScenarioContext): Promise<ScenarioResult> {
  const rounds = Number(ctx.args.rounds ?? 5);
  const CALLS = Number(ctx.args.calls ?? 200);
  const latency = { ttftMs: 20, completionTokens: 40, tokensPerSecond: 400, streamChunks: 40 };
  const w = new Worker(new URL('../llm-stub-thread.ts', import.meta.url), { workerData: { latency } });
  const url = await new Promise<string>((resolve, reject) => {
    w.once('message', (m: { url: string }) => resolve(m.url));
    w.once('error', reject);
  });
  try {
    const chat = (fetch?: typeof undiciFetch | typeof globalThis.fetch) =>
      new ChatOpenAI({
        model: 'stub-chat',
        apiKey: 'not-needed',
        maxTokens: 256,
        temperature: 0,
        maxRetries: 1,
        streamUsage: true,
        configuration: { baseURL: url, ...(fetch ? { fetch: fetch as unknown as typeof globalThis.fetch } : {}) },
      });
    const sdkFetch = chat();
    const undici = chat(undiciFetch);
    const prompt = `Context passages:\n${passages.map((p) => `[${p.index}] ${p.title}\n${p.content}`).join('\n\n')}\n\nQuestion: ${question}`;
    const messages = [
      new SystemMessage('Answer using only the numbered passages, cite them.'),
      new HumanMessage(prompt),
    ];
    const generator = (streaming: boolean) => {
      const g = new OpenAIGenerator({ model: 'stub-chat', baseURL: url, maxTokens: 256, temperature: 0, streaming });
      return async (signal: AbortSignal): Promise<Outcome> => {
        let streamed = '';
        const r = await g.generate({ question, passages, mode: 'fast', signal, onToken: (t) => (streamed += t) });
        if (streamed !== r.answer) throw new Error('the streamed tokens do not make the answer');
        return { text: r.answer, usage: r.usage !== undefined };
      };
    };
    const viaStream = (m: ChatOpenAI) => async (signal: AbortSignal) => {
      let text = '';
      let usage = false;
      for await (const c of await m.stream(messages, { signal })) {
        if (typeof c.content === 'string') text += c.content;
        usage ||= c.usage_metadata !== undefined;
      }
      return { text, usage };
    };
    const viaEvents = (m: ChatOpenAI) => async (signal: AbortSignal) => {
      const s = m.streamEvents(messages, { signal });
      let text = '';
      for await (const t of s.text) text += t;
      return { text, usage: (await s.usage) !== undefined };
    };
    // The content-block event stream streamEvents wraps (in its replay buffer and text/usage projections), read
    // directly. (OpenAIGenerator reads _streamResponseChunks, one async generator per chunk fewer.)
    const viaModelEvents = (m: ChatOpenAI) => async (signal: AbortSignal) => {
      let text = '';
      let usage = false;
      for await (const e of m._streamChatModelEvents(messages, { signal } as ChatOpenAI['ParsedCallOptions'])) {
        if (e.event === 'content-block-delta' && e.delta.type === 'text-delta') text += e.delta.text;
        else if (e.event === 'usage') usage = true;
      }
      return { text, usage };
    };
    // invoke, streamed underneath: a handler that prefers streaming makes BaseChatModel stream the response
    // (_streamResponseChunks, each chunk merged into the message) and pass each token to handleLLMNewToken.
    const viaInvokeTokens = (callbacks: 'handler' | 'none') => async (signal: AbortSignal) => {
      let text = '';
      const handler = {
        lc_prefer_streaming: true,
        handleLLMNewToken: (t: string) => {
          text += t;
        },
      };
      const r = await sdkFetch.invoke(messages, { signal, callbacks: callbacks === 'handler' ? [handler] : [] });
      if (callbacks === 'none') text = String(r.content);
      return { text, usage: r.usage_metadata !== undefined };
    };
    // Reference, not a candidate (the product generates through LangChain): the OpenAI SDK's stream alone.
    const sdkWith = (fetch?: typeof globalThis.fetch) =>
      new OpenAI({ apiKey: 'not-needed', baseURL: url, maxRetries: 1, ...(fetch ? { fetch } : {}) });
    const sdkMessages = [
      { role: 'system' as const, content: String(messages[0].content) },
      { role: 'user' as const, content: String(messages[1].content) },
    ];
    const variants: Record<string, Variant> = {
      invoke: async (signal) => {
        const r = await sdkFetch.invoke(messages, { signal });
        return { text: String(r.content), usage: r.usage_metadata !== undefined };
      },
      'invoke (callbacks: [])': viaInvokeTokens('none'),
      'invoke + handleLLMNewToken': viaInvokeTokens('handler'),
      stream: viaStream(sdkFetch),
      'stream (undici fetch)': viaStream(undici),
      streamEvents: viaEvents(sdkFetch),
      'streamEvents (undici fetch)': viaEvents(undici),
      _streamChatModelEvents: viaModelEvents(sdkFetch),
      '_streamChatModelEvents (undici fetch)': viaModelEvents(undici),
      _streamResponseChunks: async (signal) => {
        let text = '';
        let usage = false;
        const opts = { signal } as ChatOpenAI['ParsedCallOptions'];
        for await (const c of sdkFetch._streamResponseChunks(messages, opts)) {
          text += c.text;
          usage ||= (c.message as { usage_metadata?: unknown }).usage_metadata !== undefined;
        }
        return { text, usage };
      },
      'OpenAIGenerator whole': generator(false),
      'OpenAIGenerator streamed': generator(true),
    };
    const viaChunks = (m: ChatOpenAI) => async (signal: AbortSignal) => {
      let text = '';
      let usage = false;
      const opts = { signal } as ChatOpenAI['ParsedCallOptions'];
      for await (const c of m._streamResponseChunks(messages, opts)) {
        text += c.text;
        usage ||= (c.message as { usage_metadata?: unknown }).usage_metadata !== undefined;
      }
      return { text, usage };
    };
    const viaInvoke = (m: ChatOpenAI) => async (signal: AbortSignal) => {
      const r = await m.invoke(messages, { signal });
      return { text: String(r.content), usage: r.usage_metadata !== undefined };
    };
    const viaSdk = (sdk: OpenAI) => async (signal: AbortSignal) => {
      const s = await sdk.chat.completions.create(
        {
          model: 'stub-chat',
          messages: sdkMessages,
          max_tokens: 256,
          temperature: 0,
          stream: true,
          stream_options: { include_usage: true },
        },
        { signal },
      );
      let text = '';
      let usage = false;
      for await (const c of s) {
        text += c.choices[0]?.delta.content ?? '';
        usage ||= c.usage != null;
      }
      return { text, usage };
    };
    // The fetch the OpenAI SDK streams through (ClientOptions.fetch, ChatOpenAI's configuration.fetch): by default
    // Node's global fetch (bundled undici); the undici package's fetch, on its global Agent or on a dedicated one;
    // undici's request() under a fetch-shaped function (packages/rag request-fetch.ts) with the body as
    // Readable.toWeb, as a ReadableStream fed by 'data' events, or as the Node Readable itself (a Response-shaped
    // object; the SDK iterates an async-iterable body directly).
    const pipelined = new Agent({ pipelining: 4 });
    const fetches: Record<string, typeof globalThis.fetch | undefined> = {
      'default fetch': undefined,
      'undici fetch': undiciFetch as unknown as typeof globalThis.fetch,
      'undici fetch + own Agent pipelining 4': ((input: string, init: RequestInit) =>
        undiciFetch(input, { ...(init as object), dispatcher: pipelined })) as unknown as typeof globalThis.fetch,
      'request→toWeb': requestFetch({ body: 'toWeb' }),
      'request→push': requestFetch({ body: 'push' }),
      'request→node': requestFetch({ body: 'node' }),
    };
    for (const [f, fetch] of Object.entries(fetches)) {
      const m = fetch ? chat(fetch) : sdkFetch;
      variants[`_streamResponseChunks [${f}]`] = viaChunks(m);
      variants[`invoke [${f}]`] = viaInvoke(m);
      variants[`SDK alone [${f}]`] = viaSdk(sdkWith(fetch));
    }
    variants['reference: OpenAI SDK alone'] = variants['SDK alone [default fetch]'];

    // --variants a,b: only the variants whose names are listed (exactly), e.g. for a CPU profile of one.
    const only = ctx.args.variants?.split(',').map((v) => v.trim());
    for (const name of Object.keys(variants)) if (only && !only.includes(name)) delete variants[name];
    if (!Object.keys(variants).length) throw new Error(`--variants names none of: ${Object.keys(variants).join(', ')}`);

    const measure = async (name: string, v: Variant) => {
      let next = 0;
      const p0 = process.cpuUsage();
      const t0 = process.threadCpuUsage();
      const s0 = await stubCpu(w);
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next++ < CALLS) {
            const r = await v(AbortSignal.timeout(30_000));
            if (r.text.length < 40 || !r.usage) throw new Error(`${name}: a short answer or no usage (${r.text})`);
          }
        }),
      );
      const stub = (await stubCpu(w)) - s0;
      const p = process.cpuUsage(p0);
      const t = process.threadCpuUsage(t0);
      return { process: (p.user + p.system - stub) / 1000 / CALLS, thread: (t.user + t.system) / 1000 / CALLS };
    };

    const results: Record<string, { process: number[]; thread: number[] }> = {};
    for (const [name, v] of Object.entries(variants)) await measure(name, v); // warm-up
    for (let round = 1; round <= rounds; round++) {
      // Each round starts one variant later, so no variant always follows the same one (and its garbage).
      const order = Object.entries(variants);
      order.push(...order.splice(0, (round - 1) % order.length));
      for (const [name, v] of order) {
        const r = await measure(name, v);
        results[name] ??= { process: [], thread: [] };
        results[name].process.push(r.process);
        results[name].thread.push(r.thread);
      }
      ctx.log(`round ${round}/${rounds} done`);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const f = (x: number) => x.toFixed(2);
    const notes = Object.entries(results).map(
      ([name, r]) =>
        `${name.padEnd(38)} CPU ms per call: process minus stand-in median ${f(median(r.process))} (${r.process.map(f).join(', ')}); main thread median ${f(median(r.thread))} (${r.thread.map(f).join(', ')})`,
    );
    for (const n of notes) ctx.log(n);
    return {
      scenario: 'llm-client',
      description: `LLM client CPU per call against the in-process stand-in (40 chunks, ${CONCURRENCY} at once, ${CALLS} calls per variant and round, ${rounds} rounds)`,
      runs: [],
      notes,
      extra: { results, latency, calls: CALLS, concurrency: CONCURRENCY },
    };
  } finally {
    w.postMessage('close');
    await new Promise((resolve) => w.once('exit', resolve));
  }
}
