import os from 'node:os';
import { z } from 'zod';
import { COLLECTION_PATTERN } from '@rag/contract';

/**
 * The one environment schema of the project (CONTRACT.md "Environment" plus the tuning knobs we added).
 * Parsed once, in each `main.ts`, by `loadConfig(process.env)`; nothing else reads `process.env`.
 */

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes' || v === 'on');
const url = (protocols: string[]) =>
  z.string().refine(
    (v) => {
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    `must be a URL with protocol ${protocols.join(' or ')}`,
  );
const optionalString = z.string().trim().min(1).optional();

/** An accepted API key: its SHA-256 digest, whether it may write documents, and the collections it may use. */
export interface ApiKeyGrant {
  hash: string;
  /** May upload and delete documents (and ask); otherwise only ask and read documents. */
  write: boolean;
  /** null: every collection. */
  collections: string[] | null;
}

const envSchema = z.object({
  PORT: int(0, 65535).default(8000),
  HOST: z.string().default('0.0.0.0'),
  DATABASE_URL: url(['postgres:', 'postgresql:']).default('postgres://postgres@127.0.0.1:5432/rag'),
  /** Optional read replica used for retrieval; writes (ingestion, migrations) always go to DATABASE_URL. */
  DATABASE_READ_URL: url(['postgres:', 'postgresql:']).optional(),
  /**
   * With DATABASE_READ_URL: how long an ask waits for the replica to replay the corpus version it was asked under
   * (a document that just became ready) before it reads the primary instead. 0 = read the primary at once.
   */
  REPLICA_MAX_WAIT_MS: int(0, 60000).default(1000),
  REDIS_URL: url(['redis:', 'rediss:']).default('redis://127.0.0.1:6379'),
  /** Comma-separated `host:port` seed nodes of a Redis Cluster; when set, used instead of REDIS_URL. */
  REDIS_CLUSTER_NODES: z
    .string()
    .regex(/^\s*[^\s,:]+:\d{1,5}\s*(,\s*[^\s,:]+:\d{1,5}\s*)*$/, 'must be comma-separated host:port pairs')
    .optional(),
  /**
   * Replicas that must have an ask before the gateway answers 202 (Redis `WAIT`): 0 (default) answers as soon as the
   * primary has it, which a failover can lose (replication is asynchronous); 1 closes most of that window.
   */
  REDIS_WAIT_REPLICAS: int(0, 16).default(0),
  /** How long the gateway waits for REDIS_WAIT_REPLICAS before answering 503 unavailable instead of 202. */
  REDIS_WAIT_TIMEOUT_MS: int(1, 60000).default(500),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_{}.-]{1,64}$/, 'must be 1-64 characters of letters, digits, _ - . { }')
    .default('rag'),
  /** Asks one worker process runs at once. Generation is I/O bound (the LLM), so this is well above the cores. */
  WORKER_CONCURRENCY: int(1, 1000).optional(),
  /** Connections in one process's pool; retrieval holds a connection for a few ms of an ask, so far fewer than slots. */
  PG_POOL_MAX: int(1, 500).optional(),
  /** How long a worker's lock on an ask lasts without renewal; a killed worker's asks are recovered after about this long. */
  WORKER_LOCK_DURATION_MS: int(1000, 600000).default(15000),
  PG_CONNECTION_TIMEOUT_MS: int(100, 60000).default(3000),
  PG_STATEMENT_TIMEOUT_MS: int(100, 600000).default(10000),
  PG_IDLE_TIMEOUT_MS: int(1000, 3600000).default(30000),
  HNSW_EF_SEARCH: int(1, 1000).default(64),
  /** `hybrid`: the vector and full-text arms fused in one statement; `vector`: the HNSW arm alone (for comparison). */
  RETRIEVAL: z.enum(['hybrid', 'vector']).default('hybrid'),
  /**
   * The extractive generator declines (answerable: false) when the best retrieved passage covers less than this
   * share of the question's words and adjacent pairs; measured on data/eval (docs/retrieval-quality.md). 0 = never.
   */
  DECLINE_THRESHOLD: z.coerce.number().min(0).max(1).default(0.2),
  EMBEDDINGS_PROVIDER: z.enum(['hash', 'openai']).default('hash'),
  EMBEDDING_DIM: int(16, 4000).default(384),
  EMBEDDING_MODEL: z.string().min(1).default('text-embedding-3-small'),
  EMBEDDING_BATCH_SIZE: int(1, 2048).default(128),
  LLM_PROVIDER: z.enum(['extractive', 'openai']).default('extractive'),
  LLM_MODEL: z.string().min(1).default('gpt-4o-mini'),
  LLM_MAX_TOKENS: int(16, 32000).default(512),
  LLM_TEMPERATURE: z.coerce.number().min(0).max(2).default(0.1),
  /** Stream answers from the LLM token by token (into the ask's event stream, for SSE clients). */
  LLM_STREAMING: bool.default(true),
  /** When the LLM circuit is open or the call fails, answer extractively and mark the result degraded. */
  LLM_FALLBACK: z.enum(['none', 'extractive']).default('none'),
  /** Consecutive LLM / embedding endpoint failures that open its circuit breaker. */
  CIRCUIT_THRESHOLD: int(1, 1000).default(5),
  /** How long an open circuit fails fast before letting one trial call through. */
  CIRCUIT_HALF_OPEN_MS: int(100, 600000).default(10000),
  OPENAI_API_KEY: optionalString,
  OPENAI_BASE_URL: url(['http:', 'https:']).optional(),
  ASK_TIMEOUT_MS: int(1000, 120000).default(30000),
  MAX_QUEUED_ASKS: int(1, 100_000_000).default(100000),
  RESULT_TTL_S: int(1, 30 * 86400).default(3600),
  CACHE_TTL_S: int(0, 30 * 86400).default(3600),
  CHUNK_SIZE: int(100, 8000).default(800),
  CHUNK_OVERLAP: int(0, 2000).default(120),
  ADMIN_USER: optionalString,
  ADMIN_PASSWORD: optionalString,
  ADMIN_READ_ONLY: bool.default(false),
  /**
   * Comma-separated accepted API keys, each `<sha256 hex>[:ask|:write][:coll1|coll2...]`; when set, /v1/* requires
   * `Authorization: Bearer <key>` or `X-API-Key`. A bare digest may do everything in every collection.
   */
  API_KEY_HASHES: z.string().optional(),
  /** Largest document upload, bytes; refused with 413 while it streams in. */
  MAX_UPLOAD_BYTES: int(1, 1024 * 1024 * 1024).default(52428800),
  /** Documents one worker process ingests at once (its own slots; asks keep WORKER_CONCURRENCY). 0 = none. */
  INGEST_CONCURRENCY: int(0, 64).default(2),
  /** Per-document ingestion time limit (extraction, embedding and storing), ms. */
  INGEST_TIMEOUT_MS: int(1000, 3_600_000).default(300000),
  /** Per-client asks per minute (API key, else IP), shared across gateway replicas through Redis; 0 = off. */
  RATE_LIMIT_PER_MIN: int(0, 1_000_000).default(0),
  CORS_ORIGINS: z.string().optional(),
  TRUST_PROXY: z.string().optional(),
  /** Standard Webhooks signing key, `whsec_` + base64 of 24-64 random bytes; without it callbackUrl is refused. */
  WEBHOOK_SECRET: optionalString,
  /** Let callbacks reach loopback/private/link-local addresses (tests with a local receiver only). */
  WEBHOOK_ALLOW_PRIVATE: bool.default(false),
  /** Delay before the first retry of a delivery; retry n waits this x 2^(n-1). 20 s spans about 42 min over 8 attempts. */
  WEBHOOK_BACKOFF_MS: int(100, 3_600_000).default(20_000),
  /** Bound on one delivery attempt (connect, response headers, capped body). */
  WEBHOOK_TIMEOUT_MS: int(100, 60_000).default(10_000),
  /** Deliveries one worker process sends at once (beside its asks). */
  WEBHOOK_CONCURRENCY: int(1, 100).default(4),
  /** Interval of the `: keep-alive` comment on open event streams (SSE), ms; CONTRACT.md asks for at least every 15 s. */
  SSE_KEEPALIVE_MS: int(100, 15000).default(15000),
  /**
   * Token batching into an ask's event stream: tokens within this many ms of the ask's last write go together at
   * the next tick of a clock all the worker's answers share (one pipeline for all); a token after a quiet spell this
   * long goes at once. 0 = one write per token.
   */
  STREAM_FLUSH_MS: int(0, 1000).default(50),
  /**
   * The longest token batching period, ms: under load (STREAM_FLUSH_BUDGET) the period stretches in steps of
   * STREAM_FLUSH_MS up to this.
   */
  STREAM_FLUSH_MAX_MS: int(0, 5000).default(250),
  /**
   * Token entries per second one worker process aims to stay under: with more answers streaming at once than this
   * allows at STREAM_FLUSH_MS, their tokens are batched over longer periods (fewer, longer entries; the first token
   * of each answer still goes at once). 0 = always STREAM_FLUSH_MS.
   */
  STREAM_FLUSH_BUDGET: int(0, 1_000_000).default(400),
  /**
   * Worker /metrics and /healthz port (0 = any free port). Unset: DEFAULT_METRICS_PORT, or a free port when that is
   * taken (a second worker on one machine), logged.
   */
  METRICS_PORT: int(0, 65535).optional(),
  SHUTDOWN_TIMEOUT_MS: int(0, 600000).default(25000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

type Env = z.infer<typeof envSchema>;

export interface Config
  extends Omit<Env, 'WORKER_CONCURRENCY' | 'PG_POOL_MAX' | 'API_KEY_HASHES' | 'CORS_ORIGINS' | 'REDIS_CLUSTER_NODES'> {
  /** Seed nodes (`host:port`) when Redis is a cluster; undefined for one server at REDIS_URL. */
  REDIS_CLUSTER_NODES?: string[];
  WORKER_CONCURRENCY: number;
  PG_POOL_MAX: number;
  /** The digests alone (every key, whatever its scope). */
  API_KEY_HASHES: string[];
  API_KEYS: ApiKeyGrant[];
  CORS_ORIGINS: string[];
}

/** The worker's metrics port when METRICS_PORT is unset (Prometheus' registry of default ports lists 9464). */
export const DEFAULT_METRICS_PORT = 9464;

/** The variable names the schema knows (used by the deployment-manifest checks). */
export const knownEnvNames: readonly string[] = Object.keys(envSchema.shape);

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Default slots per worker process: I/O-bound generation wants many, offline (CPU-bound) generation wants few. */
function defaultConcurrency(llmProvider: string, cpus = os.availableParallelism()): number {
  return llmProvider === 'openai' ? 32 : Math.max(4, cpus * 4);
}

/** Retrieval holds a connection for a few ms per ask; a quarter of the slots, at least 2 and at most 20, keeps waits rare. */
function defaultPoolMax(concurrency: number): number {
  return Math.min(20, Math.max(2, Math.ceil(concurrency / 4)));
}

/**
 * Standard Webhooks keys are `whsec_` + base64 of 24-64 bytes. The value is never echoed: it is a secret.
 * (Generate one: `node -e "console.log('whsec_' + require('crypto').randomBytes(32).toString('base64'))"`.)
 */
function checkWebhookSecret(secret: string): void {
  const b64 = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : undefined;
  const bytes =
    b64 && /^[A-Za-z0-9+/]+={0,2}$/.test(b64) && b64.length % 4 === 0 ? Buffer.from(b64, 'base64').length : 0;
  if (bytes < 24 || bytes > 64)
    throw new ConfigError(
      'Invalid configuration: WEBHOOK_SECRET: must be "whsec_" followed by the base64 of 24-64 random bytes',
    );
}

/**
 * Parses the environment. Throws ConfigError whose message is one line naming the variable and what is wrong.
 * Empty strings count as unset, as shells and compose files produce them.
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const cleaned: Record<string, string> = {};
  for (const key of knownEnvNames) {
    const v = env[key];
    if (v !== undefined && v.trim() !== '') cleaned[key] = v;
  }
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue.path[0] ?? 'environment');
    const got = cleaned[name] === undefined ? '' : ` (got ${JSON.stringify(cleaned[name].slice(0, 80))})`;
    throw new ConfigError(`Invalid configuration: ${name}: ${issue.message}${got}`);
  }
  const e = parsed.data;
  if (e.CHUNK_OVERLAP >= e.CHUNK_SIZE)
    throw new ConfigError('Invalid configuration: CHUNK_OVERLAP: must be smaller than CHUNK_SIZE');
  if ((e.ADMIN_USER === undefined) !== (e.ADMIN_PASSWORD === undefined)) {
    throw new ConfigError('Invalid configuration: ADMIN_PASSWORD: ADMIN_USER and ADMIN_PASSWORD must be set together');
  }
  if ((e.LLM_PROVIDER === 'openai' || e.EMBEDDINGS_PROVIDER === 'openai') && !e.OPENAI_API_KEY && !e.OPENAI_BASE_URL) {
    throw new ConfigError(
      'Invalid configuration: OPENAI_API_KEY: required when a provider is "openai" (or set OPENAI_BASE_URL for a keyless local endpoint)',
    );
  }
  if (e.WEBHOOK_SECRET !== undefined) checkWebhookSecret(e.WEBHOOK_SECRET);
  const keys = (e.API_KEY_HASHES ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(parseApiKey);
  const hashes = keys.map((k) => k.hash);
  const clusterNodes = e.REDIS_CLUSTER_NODES?.split(',').map((n) => n.trim());
  // On a cluster, a multi-key command (every BullMQ script) must find all its keys in one slot: only a hash tag in
  // the prefix makes a deployment's keys share one. Without it the first ask would fail with CROSSSLOT.
  if (clusterNodes && !/\{[^{}]+\}/.test(e.QUEUE_PREFIX)) {
    throw new ConfigError(
      `Invalid configuration: QUEUE_PREFIX: must carry a hash tag on Redis Cluster (REDIS_CLUSTER_NODES is set), e.g. "{${e.QUEUE_PREFIX.replace(/[{}]/g, '')}}" (got ${JSON.stringify(e.QUEUE_PREFIX)})`,
    );
  }
  const concurrency = e.WORKER_CONCURRENCY ?? defaultConcurrency(e.LLM_PROVIDER);
  return {
    ...e,
    WORKER_CONCURRENCY: concurrency,
    PG_POOL_MAX: e.PG_POOL_MAX ?? defaultPoolMax(concurrency),
    REDIS_CLUSTER_NODES: clusterNodes,
    API_KEY_HASHES: hashes,
    API_KEYS: keys,
    CORS_ORIGINS: (e.CORS_ORIGINS ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  };
}

/** One API_KEY_HASHES entry: `<sha256 hex>[:ask|:write][:coll1|coll2...]`. */
function parseApiKey(entry: string): ApiKeyGrant {
  const [hash, scope, collections, ...rest] = entry.split(':');
  const fail = (why: string) => {
    throw new ConfigError(
      `Invalid configuration: API_KEY_HASHES: ${why} (entry ${JSON.stringify(entry.slice(0, 80))})`,
    );
  };
  if (!/^[0-9a-fA-F]{64}$/.test(hash))
    fail(
      'each entry must start with a SHA-256 hex digest (64 hex characters), e.g. <sha256>[:ask|:write][:coll1|coll2]',
    );
  if (rest.length) fail('too many ":" parts; expected <sha256>[:ask|:write][:coll1|coll2]');
  if (scope !== undefined && scope !== 'ask' && scope !== 'write')
    fail('the scope after the digest must be "ask" or "write"');
  let names: string[] | null = null;
  if (collections !== undefined) {
    names = collections.split('|').filter(Boolean);
    if (!names.length || names.some((n) => !COLLECTION_PATTERN.test(n)))
      fail('collections are names of letters, digits, _ . - separated by "|"');
  }
  return { hash: hash.toLowerCase(), write: scope !== 'ask', collections: names };
}
