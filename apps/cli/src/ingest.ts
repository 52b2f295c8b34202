import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from '@rag/config';
import { COLLECTION_PATTERN } from '@rag/contract';
import { closePool, createPool, assertEmbeddingDim } from '@rag/db';
import { ingestPaths } from '@rag/ingest';
import { closeRedis, createRedis, publishCorpusVersion, redisKeys } from '@rag/queue';
import { createEmbedder } from '@rag/rag';

const USAGE =
  'usage: npm run ingest -- [--collection NAME] [--defer-index] [--concurrency N] [--json] <file-or-directory>...';

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      'defer-index': { type: 'boolean', default: false },
      concurrency: { type: 'string', default: '4' },
      collection: { type: 'string', default: 'default' },
      help: { type: 'boolean' },
      /** The summary as one JSON object on stdout (IngestSummary), for scripts and the bench. */
      json: { type: 'boolean', default: false },
    },
  });
  if (values.help || positionals.length === 0) {
    console.error(USAGE);
    return values.help ? 0 : 2;
  }
  if (!COLLECTION_PATTERN.test(values.collection)) {
    console.error('ingest: --collection must be 1-64 letters, digits, _ . - (starting with a letter or digit)');
    return 2;
  }
  const config = loadConfig(process.env);
  const pool = createPool({
    connectionString: config.DATABASE_URL,
    max: 8,
    connectionTimeoutMillis: config.PG_CONNECTION_TIMEOUT_MS,
    statementTimeoutMs: 600_000,
    applicationName: 'rag-ingest',
  });
  try {
    await assertEmbeddingDim(pool, config.EMBEDDING_DIM);
    const tty = process.stderr.isTTY && !values.json;
    const summary = await ingestPaths(positionals, {
      pool,
      embedder: createEmbedder(config),
      chunkSize: config.CHUNK_SIZE,
      chunkOverlap: config.CHUNK_OVERLAP,
      batchSize: config.EMBEDDING_BATCH_SIZE,
      concurrency: Number(values.concurrency) || 4,
      collection: values.collection,
      deferIndex: values['defer-index'],
      onProgress: tty
        ? (p) => process.stderr.write(`\ringest: ${p.done}/${p.total} files, ${p.chunks} chunks`)
        : undefined,
    });
    if (tty) process.stderr.write('\n');
    if (summary.documents > 0) await announceCorpusVersion(config, summary.corpusVersion);
    if (values.json) {
      console.log(JSON.stringify(summary));
      return 0;
    }
    const writeSeconds = summary.seconds - (summary.indexSeconds ?? 0);
    const rate = summary.chunks / Math.max(writeSeconds, 1e-3);
    console.log(
      `ingest: ${summary.files} files, ${summary.documents} documents written, ${summary.unchanged} unchanged, ` +
        `${summary.chunks} chunks in ${summary.seconds.toFixed(2)} s (${Math.round(rate)} chunks/s written` +
        (summary.reusedEmbeddings ? `, ${summary.reusedEmbeddings} embeddings reused` : '') +
        ')' +
        (summary.indexSeconds !== undefined ? `, HNSW index built in ${summary.indexSeconds.toFixed(2)} s` : '') +
        `, corpus version ${summary.corpusVersion}`,
    );
    return 0;
  } finally {
    await closePool(pool);
  }
}

/** Tells gateways the corpus changed: answer-cache keys include this version, so old answers stop matching. */
async function announceCorpusVersion(config: Config, version: number): Promise<void> {
  const redis = createRedis(config, 'command', { lazyConnect: true, retryStrategy: () => null });
  try {
    await redis.connect();
    await publishCorpusVersion(redis, redisKeys(config.QUEUE_PREFIX), version);
  } catch (err) {
    console.error(
      `ingest: warning: could not publish the corpus version to Redis (${(err as Error).message}); cached answers may be stale until CACHE_TTL_S`,
    );
  } finally {
    await closeRedis(redis);
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof ConfigError ? err.message : `ingest failed: ${(err as Error).message}`);
    process.exit(1);
  },
);
