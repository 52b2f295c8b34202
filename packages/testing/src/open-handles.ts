import net from 'node:net';
import { waitUntil } from './wait-until.ts';

/** What keeps this process alive now: ref'd resources by kind (`process.getActiveResourcesInfo()`), counted. */
export function activeResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

/** The resource kinds of which more are alive now than in `baseline`, with how many more. */
function surplus(baseline: Record<string, number>): Record<string, number> {
  const over: Record<string, number> = {};
  for (const [kind, n] of Object.entries(activeResources()))
    if (n > (baseline[kind] ?? 0)) over[kind] = n - (baseline[kind] ?? 0);
  return over;
}

/** The open TCP sockets, as `local -> remote` (for a failure message: which server a leaked client points at). */
function openSockets(): string[] {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  return handles
    .filter((h): h is net.Socket => h instanceof net.Socket && h.remotePort !== undefined)
    .map((s) => `:${s.localPort} -> ${s.remoteAddress}:${s.remotePort}`);
}

/**
 * Fails unless, within `timeoutMs`, no more resources that keep the process alive (sockets, timers, child
 * processes...) are open than in `baseline` (taken with activeResources() before the test started anything): a
 * client whose close leaves a reconnect timer or a socket behind makes the test file hang after its tests passed.
 * The test runner's own resources are in the baseline.
 */
export async function assertNoLeakedHandles(
  baseline: Record<string, number>,
  opts: { timeoutMs?: number } = {},
): Promise<void> {
  await waitUntil(() => Object.keys(surplus(baseline)).length === 0, {
    timeoutMs: opts.timeoutMs ?? 5000,
    intervalMs: 50,
  }).catch(() => {
    throw new Error(
      `resources left open after close: ${JSON.stringify(surplus(baseline))} beyond ${JSON.stringify(baseline)}; ` +
        `open sockets: ${openSockets().join(', ') || 'none'}`,
    );
  });
}
