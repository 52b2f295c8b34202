/**
 * What a process (or a start-up in progress) has opened, in order, each with its close step. `close()` runs the
 * steps in reverse order of opening, every one of them even when one fails, once: a failed start closes exactly
 * what it had opened so far, and a normal shutdown is the same call.
 */
export class Resources {
  private readonly steps: { name: string; close: () => unknown }[] = [];
  private closing?: Promise<void>;

  /** Registers `close` for a resource just opened; returns the resource for chaining. */
  add<T>(name: string, resource: T, close: (r: T) => unknown): T {
    this.steps.push({ name, close: () => close(resource) });
    return resource;
  }

  /** Closes everything (reverse order); failures are reported to `onError` and do not stop the other steps. */
  close(onError: (name: string, err: unknown) => void = () => {}): Promise<void> {
    this.closing ??= (async () => {
      for (const step of this.steps.reverse()) {
        try {
          await step.close();
        } catch (err) {
          onError(step.name, err);
        }
      }
    })();
    return this.closing;
  }
}
