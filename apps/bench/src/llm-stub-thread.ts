import { parentPort, workerData } from 'node:worker_threads';
import { type LatencyModel, startLlmStub } from '@rag/llm-stub';

/**
 * The loopback LLM stand-in on a thread of its own (see scenarios/llm-client.ts): the process's CPU minus this
 * thread's is what the client side costs. Messages: 'cpu' answers this thread's CPU µs so far; 'close' closes.
 */
const stub = await startLlmStub({ latency: (workerData as { latency: Partial<LatencyModel> }).latency });
parentPort!.on('message', async (msg: string) => {
  if (msg === 'cpu') {
    const u = process.threadCpuUsage();
    parentPort!.postMessage({ cpu: u.user + u.system });
  } else if (msg === 'close') {
    await stub.close();
    parentPort!.close();
  }
});
parentPort!.postMessage({ url: stub.url });
