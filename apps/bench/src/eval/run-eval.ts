import { Agent, request } from 'undici';
import type { EvalItem } from './eval-set.ts';
import type { EvalOutcome } from './score.ts';

interface AskReply {
  status?: string;
  error?: { code?: string };
  result?: { answer: string; answerable?: boolean; citations: { index: number; documentId: string }[] };
}

/**
 * Asks every question of the set through a running gateway (POST /v1/ask with `Prefer: wait`), a few at a time,
 * and returns what each ask answered. Nothing is faked: the gateway queues, a worker retrieves and generates.
 */
export async function runEval(
  base: string,
  items: EvalItem[],
  opts: { mode: 'fast' | 'quality'; concurrency?: number; topK?: number },
): Promise<EvalOutcome[]> {
  const agent = new Agent({ connections: opts.concurrency ?? 4, headersTimeout: 60_000, bodyTimeout: 60_000 });
  const out: EvalOutcome[] = new Array(items.length);
  let next = 0;
  const one = async (item: EvalItem): Promise<EvalOutcome> => {
    const res = await request(`${base}/v1/ask`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', prefer: 'wait=30' },
      body: JSON.stringify({ question: item.question, mode: opts.mode, topK: opts.topK ?? 5 }),
      dispatcher: agent,
    });
    const json = (await res.body.json().catch(() => undefined)) as AskReply | undefined;
    const result = json?.result;
    if (res.statusCode !== 200 || json?.status !== 'completed' || !result) {
      const why = json?.error?.code ?? json?.status ?? `HTTP ${res.statusCode}`;
      return { item, error: String(why), answer: '', declined: false, citedDocuments: [] };
    }
    return {
      item,
      answer: String(result.answer),
      declined: result.answerable === false,
      citedDocuments: result.citations.toSorted((a, b) => a.index - b.index).map((c) => c.documentId),
    };
  };
  try {
    await Promise.all(
      Array.from({ length: opts.concurrency ?? 4 }, async () => {
        while (next < items.length) {
          const i = next++;
          out[i] = await one(items[i]);
        }
      }),
    );
  } finally {
    await agent.close();
  }
  return out;
}
