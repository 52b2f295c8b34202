import { startLlmStub } from './llm-stub.ts';
import { latencyProblem, type LatencyModel } from './latency.ts';

/**
 * Runs the stand-in as its own process (benchmarks, `npm run start:llm-stub`), configured by LLM_STUB_* variables;
 * prints its base URL, then runs until SIGTERM/SIGINT. Control it over HTTP: GET /_stub/stats, POST /_stub/latency,
 * POST /_stub/reset.
 */
const fail = (message: string): never => {
  console.error(`Invalid configuration: ${message}`);
  process.exit(1);
};

const env = (name: string) => {
  const raw = process.env[name]?.trim();
  return raw === undefined || raw === '' ? undefined : raw;
};

const intVar = (name: string, min: number, max: number, fallback?: number): number | undefined => {
  const raw = env(name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  return Number.isInteger(n) && n >= min && n <= max
    ? n
    : fail(`${name}: must be an integer from ${min} to ${max} (got ${JSON.stringify(raw)})`);
};

const latencyVars: [string, keyof LatencyModel][] = [
  ['LLM_STUB_TTFT_MS', 'ttftMs'],
  ['LLM_STUB_TPS', 'tokensPerSecond'],
  ['LLM_STUB_JITTER_MS', 'jitterMs'],
  ['LLM_STUB_ERROR_RATE', 'errorRate'],
  ['LLM_STUB_STALL_RATE', 'stallRate'],
  ['LLM_STUB_FIXED_LATENCY_MS', 'fixedLatencyMs'],
  ['LLM_STUB_COMPLETION_TOKENS', 'completionTokens'],
  ['LLM_STUB_EMBEDDING_LATENCY_MS', 'embeddingLatencyMs'],
  ['LLM_STUB_CAPACITY', 'capacity'],
  ['LLM_STUB_STREAM_CHUNKS', 'streamChunks'],
];
const latency: Partial<LatencyModel> = {};
for (const [name, key] of latencyVars) {
  const raw = env(name);
  if (raw === undefined) continue;
  const n = Number(raw);
  const problem = latencyProblem(key, n);
  if (problem) fail(`${name}: ${problem} (got ${JSON.stringify(raw)})`);
  latency[key] = n;
}
const port = intVar('LLM_STUB_PORT', 0, 65535, 8089) as number;
const host = env('LLM_STUB_HOST') ?? '127.0.0.1';
const embeddingDim = intVar('LLM_STUB_EMBEDDING_DIM', 1, 16_384);
const seed = intVar('LLM_STUB_SEED', 0, 2 ** 32 - 1);

const stub = await startLlmStub({ port, host, latency, embeddingDim, seed }).catch((err: NodeJS.ErrnoException) => {
  console.error(`llm stub: cannot listen on ${host}:${port}: ${err.code ?? err.message}`);
  process.exit(1);
});
console.log(`llm stub listening on ${stub.url}`);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  stub.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
