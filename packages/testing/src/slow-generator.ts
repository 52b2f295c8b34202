import type { GenerateInput, Generation, Generator } from '@rag/rag';

/**
 * A generator that takes `delayMs` and honours the abort signal, counting calls: for deadline, cancel and
 * shutdown tests that need generation to be slower than the deadline without a network stand-in. With `stream`,
 * it hands the answer to `onToken` word by word, spread over the delay (for event-stream tests).
 */
export class SlowGenerator implements Generator {
  readonly model = 'slow-test';
  calls = 0;
  aborted = 0;
  completed = 0;
  delayMs: number;
  private readonly stream: boolean;
  constructor(delayMs: number, opts: { stream?: boolean } = {}) {
    this.delayMs = delayMs;
    this.stream = opts.stream ?? false;
  }
  generate(input: GenerateInput): Promise<Generation> {
    this.calls++;
    const answer = `Slow answer from ${input.passages[0]?.title ?? 'nothing'} [1].`;
    const delayMs = this.delayMs;
    return new Promise((resolve, reject) => {
      const timers: NodeJS.Timeout[] = [];
      if (this.stream && input.onToken) {
        const words = answer.split(/(?<= )/);
        for (const [i, w] of words.entries())
          timers.push(setTimeout(() => input.onToken?.(w), ((i + 1) * delayMs) / (words.length + 1)));
      }
      timers.push(
        setTimeout(() => {
          input.signal?.removeEventListener('abort', onAbort);
          this.completed++;
          resolve({ answer, model: this.model });
        }, delayMs),
      );
      const onAbort = () => {
        for (const t of timers) clearTimeout(t);
        this.aborted++;
        reject(input.signal!.reason);
      };
      input.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
