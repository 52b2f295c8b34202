import { startLlmStub } from './llm-stub.ts';
import type { LatencyModel } from './latency.ts';

/** Runs the stand-in as its own process (benchmarks, `npm run start:llm-stub`), configured by LLM_STUB_* variables. */
const numeric: [string, keyof LatencyModel, number, number][] = [
  ['LLM_STUB_TTFT_MS', 'ttftMs', 0, 600_000],
  ['LLM_STUB_TPS', 'tokensPerSecond', 1, 1_000_000],
  ['LLM_STUB_JITTER_MS', 'jitterMs', 0, 600_000],
  ['LLM_STUB_ERROR_RATE', 'errorRate', 0, 1],
  ['LLM_STUB_STALL_RATE', 'stallRate', 0, 1],
  ['LLM_STUB_FIXED_LATENCY_MS', 'fixedLatencyMs', 0, 600_000],
  ['LLM_STUB_COMPLETION_TOKENS', 'completionTokens', 1, 100_000],
  ['LLM_STUB_CAPACITY', 'capacity', 0, 1_000_000],
];
const latency: Partial<LatencyModel> = {};
for (const [env, key, min, max] of numeric) {
  const raw = process.env[env];
  if (raw === undefined || raw === '') continue;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) {
    console.error(`Invalid configuration: ${env}: must be a number between ${min} and ${max} (got ${JSON.stringify(raw)})`);
    process.exit(1);
  }
  (latency as Record<string, number>)[key] = n;
}
const port = Number(process.env.LLM_STUB_PORT ?? 8089);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error('Invalid configuration: LLM_STUB_PORT: must be a port number');
  process.exit(1);
}
const stub = await startLlmStub({ port, host: process.env.LLM_STUB_HOST ?? '127.0.0.1', latency });
console.log(`llm stub listening on ${stub.url}`);
const stop = () => stub.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
