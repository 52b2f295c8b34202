import { ChatOpenAI } from '@langchain/openai';
import { trimmedTokens } from './trimmed-tokens.ts';
import { NO_CONTEXT_ANSWER, type GenerateInput, type Generation, type Generator, type Passage } from './generator.ts';

export interface OpenAIGeneratorOptions {
  model: string;
  apiKey?: string;
  baseURL?: string;
  maxTokens: number;
  temperature: number;
  /** The queue owns retries (with backoff, within the deadline); the client retries at most once. */
  maxRetries?: number;
  /**
   * Stream the answer (token by token, to `onToken`) instead of one response (an abort ends either kind of request
   * at once). @defaultValue true
   */
  streaming?: boolean;
}

const SYSTEM_PROMPT = [
  'You answer questions about public procurement using only the numbered context passages.',
  'Cite every statement with the number of its passage in square brackets, like [1] or [2][3].',
  'If the passages do not contain the answer, say so briefly. Answer in the language of the question.',
].join(' ');

export function buildUserPrompt(question: string, passages: Passage[]): string {
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
    if (input.passages.length === 0) {
      input.onToken?.(NO_CONTEXT_ANSWER);
      return { answer: NO_CONTEXT_ANSWER, model: this.model };
    }
    const messages = [
      { role: 'system', content: SYSTEM_PROMPT },
      { role: 'user', content: buildUserPrompt(input.question, input.passages) },
    ];
    if (!this.streaming) {
      const msg = await this.chat.invoke(messages, { signal: input.signal });
      const u = msg.usage_metadata;
      const answer = String(msg.content).trim();
      input.onToken?.(answer);
      return {
        answer,
        model: this.model,
        usage: u ? { promptTokens: u.input_tokens, completionTokens: u.output_tokens } : undefined,
      };
    }
    // The abort signal ends the HTTP request mid-answer, and a stalled stream is cut at the deadline.
    const stream = await this.chat.stream(messages, { signal: input.signal });
    let answer = '';
    let usage: Generation['usage'];
    const emit = input.onToken ? trimmedTokens(input.onToken) : undefined;
    for await (const chunk of stream) {
      if (typeof chunk.content === 'string' && chunk.content) {
        answer += chunk.content;
        emit?.(chunk.content);
      }
      if (chunk.usage_metadata) {
        usage = {
          promptTokens: chunk.usage_metadata.input_tokens,
          completionTokens: chunk.usage_metadata.output_tokens,
        };
      }
    }
    return { answer: answer.trim(), model: this.model, usage };
  }
}
