import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { ApiKeyGrant } from '@rag/config';
import { HttpError } from './errors.ts';

const sha256 = (s: string) => createHash('sha256').update(s).digest();

/** The API key a request presents: `Authorization: Bearer <key>` or `X-API-Key: <key>`. */
function presentedApiKey(req: Request): string | undefined {
  const auth = req.get('authorization');
  if (auth && /^bearer\s+/i.test(auth)) return auth.replace(/^bearer\s+/i, '').trim();
  return req.get('x-api-key') ?? undefined;
}

/**
 * Requires one of the configured API keys and records its grant in `res.locals.grant` for the routes' scope
 * checks. Keys are stored as SHA-256 digests only; the presented key is hashed and compared with every stored
 * digest in constant time (no early exit that would leak which one matched).
 */
export function requireApiKey(keys: ApiKeyGrant[]): RequestHandler {
  const stored = keys.map((k) => ({ grant: k, digest: Buffer.from(k.hash, 'hex') }));
  return (req, res, next) => {
    const key = presentedApiKey(req);
    let match: ApiKeyGrant | undefined;
    if (key) {
      const digest = sha256(key);
      for (const s of stored) if (timingSafeEqual(digest, s.digest)) match ??= s.grant;
    }
    if (!match) {
      next(
        new HttpError(401, 'unauthorized', 'a valid API key is required (Authorization: Bearer <key> or X-API-Key)', {
          headers: { 'WWW-Authenticate': 'Bearer' },
        }),
      );
      return;
    }
    res.locals.grant = match;
    next();
  };
}

/**
 * Checks the request's key may do `action` in `collection` (403 otherwise). Without configured keys (local use)
 * there is no grant and everything is allowed.
 */
export function checkScope(res: Response, action: 'read' | 'write', collection?: string): void {
  const grant = res.locals.grant as ApiKeyGrant | undefined;
  if (!grant) return;
  if (action === 'write' && !grant.write)
    throw new HttpError(403, 'forbidden', 'this API key may ask and read documents but not write them');
  if (collection !== undefined && grant.collections && !grant.collections.includes(collection))
    throw new HttpError(403, 'forbidden', `this API key may not use the collection "${collection}"`);
}

/** HTTP basic auth with constant-time comparison of both user and password. */
export function requireBasicAuth(user: string, password: string): RequestHandler {
  const expected = sha256(`${user}:${password}`);
  return (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const m = /^basic\s+(.+)$/i.exec(header);
    const given = m ? Buffer.from(m[1], 'base64').toString('utf8') : '';
    if (m && timingSafeEqual(sha256(given), expected)) {
      next();
      return;
    }
    res.setHeader('WWW-Authenticate', 'Basic realm="rag admin", charset="UTF-8"');
    res.status(401).json({ error: { code: 'unauthorized', message: 'dashboard credentials required' } });
  };
}

/** Who a request counts against for rate limits and idempotency keys: its API key's digest, else its IP. */
export function clientId(req: Request): string {
  const key = presentedApiKey(req);
  return key ? `key:${sha256(key).toString('hex').slice(0, 32)}` : `ip:${req.ip ?? 'unknown'}`;
}
