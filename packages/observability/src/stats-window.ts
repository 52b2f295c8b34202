interface StageSummary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

/**
 * Recent samples per named series (e.g. stage durations, outcomes) over a sliding window, for the
 * /monitoring endpoints: exact percentiles over the last `windowMs`, bounded to `maxSamples` per series.
 */
export class StatsWindow {
  private readonly series = new Map<string, { t: number[]; v: number[] }>();
  private readonly windowMs: number;
  private readonly maxSamples: number;
  constructor(opts: { windowMs?: number; maxSamples?: number } = {}) {
    this.windowMs = opts.windowMs ?? 60_000;
    this.maxSamples = opts.maxSamples ?? 20_000;
  }

  record(name: string, value: number, now = Date.now()): void {
    let s = this.series.get(name);
    if (!s) {
      s = { t: [], v: [] };
      this.series.set(name, s);
    }
    s.t.push(now);
    s.v.push(value);
    if (s.t.length > this.maxSamples) {
      s.t.splice(0, s.t.length - this.maxSamples);
      s.v.splice(0, s.v.length - this.maxSamples);
    }
  }

  private trim(now: number): void {
    const cutoff = now - this.windowMs;
    for (const s of this.series.values()) {
      let i = 0;
      while (i < s.t.length && s.t[i] < cutoff) i++;
      if (i > 0) {
        s.t.splice(0, i);
        s.v.splice(0, i);
      }
    }
  }

  count(name: string, now = Date.now()): number {
    this.trim(now);
    return this.series.get(name)?.t.length ?? 0;
  }

  summary(now = Date.now()): Record<string, StageSummary> {
    this.trim(now);
    const out: Record<string, StageSummary> = {};
    for (const [name, s] of this.series) {
      const sorted = [...s.v].sort((a, b) => a - b);
      out[name] = {
        count: sorted.length,
        p50: round(quantile(sorted, 0.5)),
        p95: round(quantile(sorted, 0.95)),
        p99: round(quantile(sorted, 0.99)),
      };
    }
    return out;
  }

  get windowSeconds(): number {
    return this.windowMs / 1000;
  }
}

const round = (x: number) => Math.round(x * 10) / 10;
