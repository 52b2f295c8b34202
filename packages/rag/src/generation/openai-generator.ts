import { ChatOpenAI } from '@langchain/openai';
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
      configuration: opts.baseURL ? { baseURL: opts.baseURL } : undefined,
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
      { role: 'system', content: SYSTEM_PROMPT },
      { role: 'user', content: buildUserPrompt(input.question, input.passages) },
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
    // streamEvents (LangChain's content-block stream), not stream(): stream() runs the callback set-up for every chunk
    // and merges each chunk into the whole message, ~1 ms CPU per 40-chunk answer more (apps/bench llm-client).
    const stream = this.chat.streamEvents(messages, { signal: input.signal });
    let answer = '';
    const emit = input.onToken ? trimmedTokens(input.onToken) : undefined;
    // Tokens are held back while the answer so far could still be the decline marker, then released at once.
    let held = true;
    for await (const text of stream.text) {
      // An abort between chunks ends the stream quietly in LangChain: it must fail the answer, as stream() did.
      input.signal?.throwIfAborted();
      if (!text) continue;
      answer += text;
      if (!held) emit?.(text);
      else if (!mayBecomeDecline(answer)) {
        held = false;
        emit?.(answer);
      }
    }
    input.signal?.throwIfAborted();
    const u = await stream.usage;
    const usage = u ? { promptTokens: u.input_tokens, completionTokens: u.output_tokens } : undefined;
    if (held && isLlmDecline(answer)) return decline(usage);
    if (held) emit?.(answer);
    return { answer: answer.trim(), model: this.model, usage };
  }
}
