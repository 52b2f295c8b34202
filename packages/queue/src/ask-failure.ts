import { ASK_ERROR_CODES, type AskErrorCode } from '@rag/contract';

const CODES: ReadonlySet<string> = new Set(ASK_ERROR_CODES);

/**
 * A job's failure travels as its BullMQ failedReason, `"<code>: <message>"`, so that any reader of the job hash
 * (gateway, Bull Board, redis-cli) sees the code without another key.
 */
export function formatFailure(code: AskErrorCode, message: string): string {
  return `${code}: ${message}`;
}

export function parseFailure(failedReason: string | undefined): { code: AskErrorCode; message: string } {
  const m = /^([a-z_]+): ([\s\S]*)$/.exec(failedReason ?? '');
  if (m && CODES.has(m[1])) return { code: m[1] as AskErrorCode, message: m[2] };
  // Failures BullMQ itself records (e.g. a job stalled more than maxStalledCount times) carry no code of ours.
  return { code: 'internal', message: failedReason || 'the ask failed' };
}
