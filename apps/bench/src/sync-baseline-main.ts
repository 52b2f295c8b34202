/**
 * The synchronous baseline, for comparison only: the same retrieval and generation code as the workers
 * (answerQuestion), called inside the HTTP request the way the old system did it: no queue, no admission
 * control, no per-ask deadline; every request holds its connection until its answer is ready.
 */
import http from 'node:http';
import express from 'express';
import { loadConfig } from '@rag/config';
import { closePool, createPool } from '@rag/db';
import { answerQuestion, createEmbedder, createGenerators } from '@rag/rag';

const config = loadConfig(process.env);
const pool = createPool({
  connectionString: config.DATABASE_URL,
  max: config.PG_POOL_MAX,
  connectionTimeoutMillis: config.PG_CONNECTION_TIMEOUT_MS,
  statementTimeoutMs: config.PG_STATEMENT_TIMEOUT_MS,
  applicationName: 'rag-sync-baseline',
});
const embedder = createEmbedder(config);
const { generator } = createGenerators(config);
const app = express();
app.use(express.json({ limit: '64kb' }));
app.post('/ask', async (req, res) => {
  try {
    const out = await answerQuestion(
      { question: String(req.body?.question ?? ''), mode: 'fast', topK: 5, deadline: Date.now() + 600_000 },
      { pool, embedder, generator, efSearch: config.HNSW_EF_SEARCH, retrieval: config.RETRIEVAL },
    );
    res.json({ answer: out.answer, citations: out.citations, timings: out.timings });
  } catch (err) {
    res.status(500).json({ error: { code: 'internal', message: (err as Error).message } });
  }
});
const server = http.createServer(app);
server.listen(config.PORT, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  console.log(JSON.stringify({ msg: 'sync baseline listening', url: `http://127.0.0.1:${port}` }));
});
const stop = () => server.close(() => closePool(pool).then(() => process.exit(0)));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
