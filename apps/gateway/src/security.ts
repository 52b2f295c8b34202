import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { HttpError } from './errors.ts';

const sha256 = (s: string) => createHash('sha256').update(s).digest();

/** The API key a request presents: `Authorization: Bearer <key>` or `X-API-Key: <key>`. */
export function presentedApiKey(req: Request): string | undefined {
  const auth = req.get('authorization');
  if (auth && /^bearer\s+/i.test(auth)) return auth.replace(/^bearer\s+/i, '').trim();
  return req.get('x-api-key') ?? undefined;
}

/**
 * Requires one of the configured API keys. Keys are stored as SHA-256 digests only; the presented key is hashed
 * and compared with every stored digest in constant time (no early exit that would leak which one matched).
 */
export function requireApiKey(hashesHex: string[]): RequestHandler {
  const stored = hashesHex.map((h) => Buffer.from(h, 'hex'));
  return (req, _res, next) => {
    const key = presentedApiKey(req);
    let ok = false;
    if (key) {
      const digest = sha256(key);
      for (const s of stored) ok = timingSafeEqual(digest, s) || ok;
    }
    if (!ok) {
      next(
        new HttpError(401, 'unauthorized', 'a valid API key is required (Authorization: Bearer <key> or X-API-Key)', {
          headers: { 'WWW-Authenticate': 'Bearer' },
        }),
      );
      return;
    }
    next();
  };
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
