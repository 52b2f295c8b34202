import { createHash } from 'node:crypto';
import type { Embedder } from './embedder.ts';

/** The little of a Redis client the cache needs (ioredis fits). */
interface BinaryKv {
  getBuffer(key: string): Promise<Buffer | null>;
  set(key: string, value: Buffer, mode: 'EX', seconds: number): Promise<unknown>;
}

/**
 * Query embeddings cached in Redis as raw float32 (1.5 KiB for 384 dimensions), keyed by model and exact text:
 * a repeated question costs one GET instead of a paid embedding call. Cache failures fall through to the model.
 */
export class CachedEmbedder implements Embedder {
  readonly model: string;
  readonly dim: number;
  hits = 0;
  misses = 0;
  private readonly inner: Embedder;
  private readonly kv: BinaryKv;
  private readonly key: (hash: string) => string;
  private readonly ttlS: number;
  private readonly onLookup?: (hit: boolean) => void;

  constructor(
    inner: Embedder,
    opts: { kv: BinaryKv; key: (hash: string) => string; ttlS: number; onLookup?: (hit: boolean) => void },
  ) {
    this.inner = inner;
    this.model = inner.model;
    this.dim = inner.dim;
    this.kv = opts.kv;
    this.key = opts.key;
    this.ttlS = opts.ttlS;
    this.onLookup = opts.onLookup;
  }

  async embedQuery(text: string, signal?: AbortSignal): Promise<number[]> {
    const key = this.key(createHash('sha256').update(`${this.model}\n${this.dim}\n${text}`).digest('hex'));
    const raw = await this.kv.getBuffer(key).catch(() => null);
    if (raw && raw.length === this.dim * 4) {
      this.hits++;
      this.onLookup?.(true);
      return Array.from(new Float32Array(raw.buffer, raw.byteOffset, this.dim));
    }
    this.misses++;
    this.onLookup?.(false);
    const v = await this.inner.embedQuery(text, signal);
    await this.kv.set(key, Buffer.from(new Float32Array(v).buffer), 'EX', this.ttlS).catch(() => {});
    return v;
  }

  embedDocuments(texts: string[], signal?: AbortSignal): Promise<number[][]> {
    return this.inner.embedDocuments(texts, signal);
  }
}
