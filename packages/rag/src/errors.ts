import { getRetryable } from '@langchain/core/errors';

type UpstreamCode = 'retrieval_failed' | 'generation_failed';

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

// SQLSTATE classes worth another try: connection exception, insufficient resources, operator intervention
// (e.g. statement timeout, shutdown), transaction rollback (serialization failure, deadlock).
const RETRYABLE_PG_CLASSES = new Set(['08', '53', '57', '40']);
const SQLSTATE = /^[0-9A-Z]{5}$/;
/** Node's system errors (ECONNREFUSED, ECONNRESET, ETIMEDOUT, ...) and undici's (UND_ERR_SOCKET, ...). */
const SYSTEM_CODE = /^(E[A-Z]+|UND_ERR_[A-Z_]+)$/;

const codeOf = (err: unknown): string | undefined => {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' ? code : undefined;
};

/**
 * PostgreSQL / pool failures worth another try, by code: a SQLSTATE by its class, a system error (lost or refused
 * connection) always. pg reports its own connection-level failures (pool wait timeout, connection terminated) as
 * plain `Error`s without a code, so those are retryable too; any other class (TypeError, ...) is a bug.
 */
export function isRetryableDbError(err: unknown): boolean {
  const code = codeOf(err);
  if (code !== undefined && SQLSTATE.test(code)) return RETRYABLE_PG_CLASSES.has(code.slice(0, 2));
  if (code !== undefined && SYSTEM_CODE.test(code)) return true;
  return err instanceof Error && err.constructor === Error && code === undefined;
}

/**
 * LLM / embedding endpoint failures worth another try, by what the libraries say: LangChain's own retryable mark
 * when it set one, else the HTTP status (408, 409, 429, 5xx), else the OpenAI SDK's connection error classes and
 * system error codes (the request never got an answer).
 */
export function isRetryableHttpError(err: unknown): boolean {
  if (err === null || typeof err !== 'object') return false;
  const marked = getRetryable(err);
  if (marked !== undefined) return marked;
  const status = (err as { status?: unknown }).status;
  if (typeof status === 'number') return status === 408 || status === 409 || status === 429 || status >= 500;
  const name = (err as Error).name;
  if (name === 'APIConnectionError' || name === 'APIConnectionTimeoutError' || name === 'TimeoutError') return true;
  const code = codeOf(err) ?? codeOf((err as { cause?: unknown }).cause);
  return code !== undefined && SYSTEM_CODE.test(code);
}
