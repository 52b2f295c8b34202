import { askRequestSchema, type AskRequest } from '@rag/contract';
import { ValidationError } from './errors.ts';

export function parseAskRequest(body: unknown): AskRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ValidationError('the request body must be a JSON object', [
      { field: '(body)', message: 'expected an object' },
    ]);
  }
  const r = askRequestSchema.safeParse(body);
  if (r.success) return r.data;
  const details = r.error.issues.map((i) => ({
    field: i.path.length
      ? i.path.join('.')
      : i.code === 'unrecognized_keys'
        ? ((i as { keys?: string[] }).keys?.join(', ') ?? '(body)')
        : '(body)',
    message: i.message,
  }));
  throw new ValidationError(`invalid request: ${details.map((d) => `${d.field}: ${d.message}`).join('; ')}`, details);
}

/** `Prefer: wait=N` (RFC 7240) or `?wait=N`: seconds to hold the request for a terminal state, at most 30. */
export function parseWait(value: unknown, source: string): number {
  if (value === undefined || value === null || value === '') return 0;
  const s = String(value).trim();
  if (!/^\d+(\.\d+)?$/.test(s))
    throw new ValidationError(`${source} must be a number of seconds between 0 and 30`, [
      { field: source, message: 'expected 0-30' },
    ]);
  const n = Number(s);
  if (n > 30)
    throw new ValidationError(`${source} must be at most 30 seconds`, [{ field: source, message: 'expected 0-30' }]);
  return n;
}

export function preferWait(header: string | undefined): number {
  if (!header) return 0;
  const m = /(?:^|[,;\s])wait\s*=\s*"?([^",;\s]*)"?/i.exec(header);
  return m ? parseWait(m[1], 'Prefer: wait') : 0;
}
