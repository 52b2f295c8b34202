/**
 * Waits until `condition` returns a truthy value (awaited), checking every `intervalMs`, and returns that value;
 * after `timeoutMs` it fails with `message` and the last value or error seen. The one way tests wait for
 * something to happen (instead of sleeping a guessed time or writing a polling loop).
 */
export async function waitUntil<T>(
  condition: () => T | Promise<T>,
  opts: { timeoutMs?: number; intervalMs?: number; message?: string } = {},
): Promise<NonNullable<T>> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const intervalMs = opts.intervalMs ?? 20;
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value as NonNullable<T>;
      last = value;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= until) {
      const seen = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`${opts.message ?? 'condition not met'} (within ${timeoutMs} ms; last: ${seen})`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
