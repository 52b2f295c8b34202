import type { ZodOpenApiResponseObject, ZodOpenApiResponsesObject } from 'zod-openapi';
import { errorSchema } from './schemas.ts';

/** What each error status means across the API; an operation lists the ones it can answer. */
const ERRORS: Record<number, string> = {
  400: 'invalid request (`invalid_request`; `details` name the field)',
  401: 'an API key is required (`unauthorized`) when API_KEY_HASHES is set',
  403: 'the API key may not do this here (`forbidden`: ask-only key, or another collection)',
  404: 'unknown or expired id (`not_found`)',
  409: 'conflict (`idempotency_conflict`, `already_finished`)',
  413: 'body too large (`payload_too_large`)',
  415: 'unsupported body type (`unsupported_media_type`)',
  429: 'refused for now (`overloaded` or `rate_limited`), with Retry-After',
  503: 'a dependency is unreachable (`unavailable`), with Retry-After',
};

export function errorResponses(...statuses: number[]): ZodOpenApiResponsesObject {
  const out: ZodOpenApiResponsesObject = {};
  for (const s of statuses) {
    out[String(s) as '400'] = {
      description: ERRORS[s] ?? 'error',
      content: { 'application/json': { schema: errorSchema } },
    } satisfies ZodOpenApiResponseObject;
  }
  return out;
}

export const json = (description: string, schema: unknown): ZodOpenApiResponseObject => ({
  description,
  content: { 'application/json': { schema: schema as never } },
});
