import fs from 'node:fs';

/** Live (non-zombie) child processes of this process, from /proc. */
export function liveChildren(): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/u.test(entry)) continue;
    try {
      // Fields after the parenthesised command: state, ppid, ...
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) === process.pid && state !== 'Z') out.push(Number(entry));
    } catch {
      // Exited while we looked.
    }
  }
  return out;
}

/** Samples this process's resident memory while `run` runs; returns its result and the peak growth. */
export async function withPeakRss<T>(run: () => Promise<T>): Promise<{ value: T; baseMiB: number; peakMiB: number }> {
  const base = process.memoryUsage.rss();
  let peak = base;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 10);
  try {
    const value = await run();
    peak = Math.max(peak, process.memoryUsage.rss());
    return { value, baseMiB: base / 1048576, peakMiB: peak / 1048576 };
  } finally {
    clearInterval(timer);
  }
}
