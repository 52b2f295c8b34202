export type UpstreamCode = 'retrieval_failed' | 'generation_failed';

/** A dependency (PostgreSQL, the embedding or chat endpoint) failed; `retryable` says whether trying again may help. */
export class UpstreamError extends Error {
  readonly code: UpstreamCode;
  readonly retryable: boolean;
  constructor(code: UpstreamCode, message: string, retryable: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UpstreamError';
    this.code = code;
    this.retryable = retryable;
  }
}

const RETRYABLE_PG_CLASSES = ['08', '53', '57', '40']; // connection, resources, operator intervention, rollback

/** PostgreSQL / pool failures worth another try: lost connections, pool wait timeouts, server shutdown. */
export function isRetryableDbError(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  if (typeof e?.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code))
    return RETRYABLE_PG_CLASSES.includes(e.code.slice(0, 2));
  if (typeof e?.code === 'string' && /^E[A-Z]+/.test(e.code)) return true; // ECONNREFUSED, ECONNRESET, ...
  return /timeout|terminated|connect|ECONN/i.test(e?.message ?? '');
}

/** LLM / embedding endpoint failures worth another try: rate limits, server errors, network errors. */
export function isRetryableHttpError(err: unknown): boolean {
  const e = err as { status?: number; code?: string; message?: string; name?: string };
  if (typeof e?.status === 'number') return e.status === 408 || e.status === 409 || e.status === 429 || e.status >= 500;
  return /ECONN|ETIMEDOUT|socket|network|fetch failed|timed? ?out|connection/i.test(
    `${e?.code ?? ''} ${e?.message ?? ''}`,
  );
}
