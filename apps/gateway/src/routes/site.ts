import { existsSync } from 'node:fs';
import path from 'node:path';
import compression from 'compression';
import express, { Router, type Response } from 'express';
import { HttpError } from '../errors.ts';

/** Where `npm run build:web` (scripts/build-web.ts) writes the page; the set-up runs it. */
const WEB_DIST = path.resolve(import.meta.dirname, '../../web/dist');

/**
 * Only this origin: no CDN, no inline script or style, nothing framed. Swagger UI's icons are data: URIs in its
 * stylesheet, hence `img-src data:`.
 */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function sendHtml(res: Response, dist: string, file: string): void {
  const full = path.join(dist, file);
  if (!existsSync(full)) {
    throw new HttpError(503, 'unavailable', `the web page is not built (${file} missing): run npm run build:web`);
  }
  res.setHeader('Content-Security-Policy', CSP);
  // HTML names the hashed assets: revalidate it every time so a new build is picked up at once.
  res.setHeader('Cache-Control', 'no-cache');
  res.sendFile(full);
}

/** The page at `/`, the API reference at `/docs`, the OpenAPI document and their static assets. */
export function siteRouter(d: { openapi: object }) {
  const dist = WEB_DIST;
  const openapiJson = JSON.stringify(d.openapi);
  const r = Router();
  // Compressed for clients that accept it (the reference viewer is 1.8 MiB as built, about a quarter of that
  // gzipped). Only these routes: on the API it would hold Server-Sent Events back in its buffer.
  const gzip = compression();
  r.get('/', gzip, (_req, res) => sendHtml(res, dist, 'index.html'));
  r.get('/docs', gzip, (_req, res) => sendHtml(res, dist, 'docs.html'));
  r.get('/openapi.json', gzip, (_req, res) => {
    res.setHeader('Cache-Control', 'no-cache');
    res.type('application/json').send(openapiJson);
  });
  // Asset names carry a content hash (or the viewer's version): cache them for a year.
  r.use(
    '/assets',
    gzip,
    express.static(path.join(dist, 'assets'), {
      immutable: true,
      maxAge: '365d',
      index: false,
      fallthrough: true,
      setHeaders: (res) => res.setHeader('Content-Security-Policy', CSP),
    }),
  );
  return r;
}
