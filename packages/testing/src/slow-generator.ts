import type { GenerateInput, Generation, Generator } from '@rag/rag';

/**
 * A generator that takes `delayMs` and honours the abort signal, counting calls: for deadline, cancel and
 * shutdown tests that need generation to be slower than the deadline without a network stand-in.
 */
export class SlowGenerator implements Generator {
  readonly model = 'slow-test';
  calls = 0;
  aborted = 0;
  completed = 0;
  delayMs: number;
  constructor(delayMs: number) {
    this.delayMs = delayMs;
  }
  generate(input: GenerateInput): Promise<Generation> {
    this.calls++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        input.signal?.removeEventListener('abort', onAbort);
        this.completed++;
        resolve({ answer: `Slow answer from ${input.passages[0]?.title ?? 'nothing'} [1].`, model: this.model });
      }, this.delayMs);
      const onAbort = () => {
        clearTimeout(timer);
        this.aborted++;
        reject(input.signal!.reason);
      };
      input.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
