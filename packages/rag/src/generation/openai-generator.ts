import { HumanMessage, SystemMessage } from '@langchain/core/messages';
import type { AIMessageChunk, UsageMetadata } from '@langchain/core/messages';
import { ChatOpenAI } from '@langchain/openai';
import { requestFetch } from './request-fetch.ts';
import { trimmedTokens } from './trimmed-tokens.ts';
import { declineAnswer, isLlmDecline, LLM_DECLINE_MARKER, mayBecomeDecline } from '../decline.ts';
import type { GenerateInput, Generation, Generator, Passage } from './generator.ts';

interface OpenAIGeneratorOptions {
  model: string;
  apiKey?: string;
  baseURL?: string;
  maxTokens: number;
  temperature: number;
  /** The queue owns retries (with backoff, within the deadline); the client retries at most once. */
  maxRetries?: number;
  /**
   * Stream the answer (token by token, to `onToken`) instead of one response (an abort ends either kind of request
   * at once), when `GenerateInput.watched` does not say that no one is watching. @defaultValue true
   */
  streaming?: boolean;
}

const SYSTEM_PROMPT = [
  'You answer questions about public procurement using only the numbered context passages.',
  'Cite every statement with the number of its passage in square brackets, like [1] or [2][3].',
  `If the passages do not contain the answer, reply with exactly ${LLM_DECLINE_MARKER} and nothing else.`,
  'Answer in the language of the question.',
].join(' ');

function buildUserPrompt(question: string, passages: Passage[]): string {
  const context = passages.map((p) => `[${p.index}] ${p.title}\n${p.content.trim()}`).join('\n\n');
  return `Context passages:\n${context}\n\nQuestion: ${question}\nAnswer with citations:`;
}

const sharedFetch = requestFetch();

/** Any OpenAI-compatible chat endpoint (OpenAI, Azure, vLLM, Ollama, llama.cpp) through LangChain, streamed. */
export class OpenAIGenerator implements Generator {
  readonly model: string;
  private readonly chat: ChatOpenAI;
  private readonly streaming: boolean;
  constructor(opts: OpenAIGeneratorOptions) {
    this.model = opts.model;
    this.streaming = opts.streaming ?? true;
    this.chat = new ChatOpenAI({
      model: opts.model,
      apiKey: opts.apiKey ?? 'not-needed',
      maxTokens: opts.maxTokens,
      temperature: opts.temperature,
      maxRetries: opts.maxRetries ?? 1,
      streamUsage: true,
      // The SDK's HTTP through undici's request() instead of the global fetch (request-fetch.ts): none of fetch's
      // internals (~6% of the worker's main thread in a profile). apps/bench llm-client, CPU per 40-chunk answer,
      // _streamResponseChunks [request→push] vs [default fetch]: ~4.3 vs ~5.0-6.4 ms; whole (invoke): ~1.4 vs ~2.2.
      configuration: { ...(opts.baseURL ? { baseURL: opts.baseURL } : {}), fetch: sharedFetch },
    });
  }

  async generate(input: GenerateInput): Promise<Generation> {
    input.signal?.throwIfAborted();
    // The model's decline (the marker it was told to reply) becomes the contract's: answerable false, in the
    // question's language; streamed as that text, never as the marker.
    const decline = (usage?: Generation['usage']): Generation => {
      input.onToken?.(declineAnswer(input.question));
      return { answer: declineAnswer(input.question), answerable: false, model: this.model, usage };
    };
    if (input.passages.length === 0) return decline();
    const messages = [
      new SystemMessage(SYSTEM_PROMPT),
      new HumanMessage(buildUserPrompt(input.question, input.passages)),
    ];
    // Streaming costs only when someone can watch: an unwatched answer is one response (a failed check streams).
    const streamed = this.streaming && (input.watched ? await input.watched().catch(() => true) : true);
    if (!streamed) {
      const msg = await this.chat.invoke(messages, { signal: input.signal });
      const u = msg.usage_metadata;
      const usage = u ? { promptTokens: u.input_tokens, completionTokens: u.output_tokens } : undefined;
      const answer = String(msg.content).trim();
      if (isLlmDecline(answer)) return decline(usage);
      input.onToken?.(answer);
      return { answer, model: this.model, usage };
    }
    // The abort signal ends the HTTP request mid-answer, and a stalled stream is cut at the deadline.
    // The model's own stream of chunks (_streamResponseChunks: BaseChatModel's hook, public in its typing, that
    // stream() and a streaming invoke read too), read directly: no callbacks and no tracing run (none are set up
    // here; streamEvents() ran none either), and none of the layers the public methods add per chunk: stream()
    // merges every chunk into the whole message; streamEvents() converts chunks into content-block events, buffers
    // them for replay and projects text and usage from the buffer, one async generator each (apps/bench llm-client:
    // CPU per call _streamResponseChunks < _streamChatModelEvents < streamEvents < stream). Leaving the loop (a
    // throw, an abort) closes the generators, which ends the HTTP request; streamEvents() read the response to its
    // end in the background.
    const chunks = this.chat._streamResponseChunks(messages, {
      signal: input.signal,
    } as ChatOpenAI['ParsedCallOptions']);
    let answer = '';
    let u: UsageMetadata | undefined;
    const emit = input.onToken ? trimmedTokens(input.onToken) : undefined;
    // Tokens are held back while the answer so far could still be the decline marker, then released at once.
    let held = true;
    try {
      for await (const chunk of chunks) {
        // An abort between chunks ends the stream quietly in LangChain: it must fail the answer, as stream() did.
        input.signal?.throwIfAborted();
        // The usage figures come on a chunk of their own, with no text, after the answer (streamUsage).
        u = (chunk.message as AIMessageChunk).usage_metadata ?? u;
        const text = chunk.text;
        if (!text) continue;
        answer += text;
        if (!held) emit?.(text);
        else if (!mayBecomeDecline(answer)) {
          held = false;
          emit?.(answer);
        }
      }
    } catch (e) {
      // An abort mid-request ends the model's stream with a plain Error('AbortError'): the answer fails with the reason.
      input.signal?.throwIfAborted();
      throw e;
    }
    input.signal?.throwIfAborted();
    const usage = u ? { promptTokens: u.input_tokens, completionTokens: u.output_tokens } : undefined;
    if (held && isLlmDecline(answer)) return decline(usage);
    if (held) emit?.(answer);
    return { answer: answer.trim(), model: this.model, usage };
  }
}
