import type { ScenarioContext, ScenarioResult } from '../scenario.ts';
import { baseline } from './baseline.ts';
import { cache } from './cache.ts';
import { extract } from './extract.ts';
import { ingestion } from './ingestion.ts';
import { largeCorpus } from './large-corpus.ts';
import { llm } from './llm.ts';
import { llmClient } from './llm-client.ts';
import { offline } from './offline.ts';
import { scale } from './scale.ts';
import { search } from './search.ts';
import { streaming } from './streaming.ts';
import { structuredVectors } from './structured-vectors.ts';

export const scenarios: Record<string, { about: string; run: (ctx: ScenarioContext) => Promise<ScenarioResult> }> = {
  offline: { about: 'offline defaults, 50 closed-loop users, unique questions', run: offline },
  llm: { about: 'LLM-bound (1 s answers at the stand-in), 200 closed-loop users', run: llm },
  baseline: { about: 'synchronous baseline vs queued at 0.5x and 2x the LLM capacity', run: baseline },
  scale: { about: '1, 2 and 4 worker processes on 500 ms LLM-bound asks', run: scale },
  large: {
    about: '100,000+ chunks: ingestion rate, recall@10 vs ef_search, halfvec, retrieval under 50 users',
    run: largeCorpus,
  },
  structured: {
    about:
      '100,000 vectors shaped like real text embeddings: recall@10 vs ef_search, latency under 50 concurrent searches',
    run: structuredVectors,
  },
  search: { about: 'searchChunks alone: searches/s and client CPU per search (the retrieval round trip)', run: search },
  cache: { about: 'repeated question and Zipf mix, cache on vs off', run: cache },
  ingestion: {
    about: '200 generated 10-page PDFs uploaded over HTTP: pages/s, chunks/s, ask p95 during ingestion vs idle',
    run: ingestion,
  },
  streaming: {
    about: '200 SSE clients, 300 ms to the first token then 40 tokens 25 ms apart: added TTFT, tokens/s, CPU per ask',
    run: streaming,
  },
  'llm-client': {
    about:
      'the LLM client alone: CPU per call of invoke vs stream (LangChain ChatOpenAI) against the stand-in, 40 chunks',
    run: llmClient,
  },
  extract: {
    about: 'document extraction alone: process start, PDF pages/s (one-shot vs warm pool of 1 and 2), zip bomb',
    run: extract,
  },
};
