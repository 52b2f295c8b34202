import os from 'node:os';
import type { ScenarioResult } from './scenario.ts';

export function machine() {
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.type()} ${os.release()}`,
  };
}

/** One Markdown section per scenario: a table of its runs, then its notes. */
export function toMarkdown(results: ScenarioResult[], when = new Date()): string {
  const m = machine();
  const lines = [
    `# Benchmark results (${when.toISOString()})`,
    '',
    `Machine: ${m.cpus} cores (${m.cpuModel}), ${m.memGiB} GiB, Node ${m.node}, ${m.platform}.`,
    '',
  ];
  for (const r of results) {
    lines.push(`## ${r.scenario}: ${r.description}`, '');
    // Scenarios that measure something other than asks (e.g. the search call alone) have notes only.
    if (r.runs.length) {
      lines.push(
        '| run | asks | completed/s | success | p50 ms | p95 ms | p99 ms | queue wait p95 ms | retrieval p95 ms | pool wait p95 ms | cache hit | errors | CPU % by process |',
      );
      lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
      for (const run of r.runs) {
        const s = run.summary;
        const cpu = run.usage
          ? Object.entries(run.usage)
              .map(([k, v]) => `${k} ${v.cpuPercent}`)
              .join(', ')
          : '';
        const errors =
          Object.entries(s.errors)
            .map(([k, v]) => `${k}: ${v}`)
            .join(', ') || '0';
        lines.push(
          `| ${run.name} | ${s.asks} | ${s.completedPerSecond} | ${(s.successRate * 100).toFixed(1)}% | ${s.e2eMs.p50} | ${s.e2eMs.p95} | ${s.e2eMs.p99} | ${s.queueWaitMs.p95} | ${s.retrievalMs.p95} | ${s.poolWaitMs?.p95 ?? ''} | ${(s.cacheHitRate * 100).toFixed(0)}% | ${errors} | ${cpu} |`,
        );
      }
      lines.push('');
    }
    for (const n of r.notes ?? []) lines.push(`- ${n}`);
    if (r.notes?.length) lines.push('');
  }
  return lines.join('\n');
}
