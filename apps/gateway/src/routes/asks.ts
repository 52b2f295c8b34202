import { Router, type Request, type Response } from 'express';
import { TERMINAL, type AskView } from '@rag/contract';
import { parseAskRequest, parseWait, preferWait } from '../ask-request.ts';
import type { AskService } from '../ask-service.ts';
import { HttpError, NotFoundError, ValidationError } from '../errors.ts';

const MAX_IDEMPOTENCY_KEY = 200;

/** Sends an ask: 200 when terminal, else `acceptedStatus` with where and when to look again. */
function sendView(res: Response, view: AskView, acceptedStatus: 200 | 202): void {
  if (TERMINAL.has(view.status)) {
    res.status(200).json(view);
    return;
  }
  const url = `/v1/ask/${view.id}`;
  res.setHeader('Location', url);
  res.setHeader('Retry-After', '1');
  res.status(acceptedStatus).json(acceptedStatus === 202 ? { ...view, statusUrl: url } : view);
}

/** Aborts when the client goes away, so a long-poll does not outlive its request. */
function requestSignal(res: Response): AbortSignal {
  const ac = new AbortController();
  // Only when the client left before the response was sent: aborting after every response would build a
  // DOMException (with its stack) per request for nothing.
  res.on('close', () => {
    if (!res.writableFinished) ac.abort();
  });
  return ac.signal;
}

export function asksRouter(d: {
  service: AskService;
  clientId: (req: Request) => string;
  rateLimit: (req: Request) => Promise<void>;
}) {
  const r = Router();

  r.post('/ask', async (req, res) => {
    if (!req.is('application/json')) {
      throw new HttpError(
        415,
        'unsupported_media_type',
        'the request body must be JSON (Content-Type: application/json)',
      );
    }
    const body = parseAskRequest(req.body);
    const wait = preferWait(req.get('prefer'));
    const idempotencyKey = req.get('idempotency-key');
    if (idempotencyKey !== undefined && (idempotencyKey.length === 0 || idempotencyKey.length > MAX_IDEMPOTENCY_KEY)) {
      throw new ValidationError(`Idempotency-Key must be 1-${MAX_IDEMPOTENCY_KEY} characters`, [
        { field: 'Idempotency-Key', message: 'too long or empty' },
      ]);
    }
    await d.rateLimit(req);
    const signal = wait > 0 ? requestSignal(res) : undefined;
    const sub = await d.service.submit(body, {
      requestId: String(req.id),
      idempotencyKey,
      clientId: d.clientId(req),
      waitMs: wait * 1000,
      signal,
    });
    res.locals.served = sub.served;
    let view = sub.view;
    if (wait > 0) res.setHeader('Preference-Applied', `wait=${wait}`);
    if (wait > 0 && !sub.waited && !TERMINAL.has(view.status)) {
      view = (await d.service.readWaiting(view.id, wait * 1000, signal)) ?? view;
    }
    sendView(res, view, 202);
  });

  r.get('/ask/:id', async (req, res) => {
    const wait = parseWait(req.query.wait, 'wait');
    const view = await d.service.readWaiting(req.params.id, wait * 1000, requestSignal(res));
    if (!view) throw new NotFoundError();
    sendView(res, view, 200);
  });

  r.delete('/ask/:id', async (req, res) => {
    const view = await d.service.cancel(req.params.id);
    res.status(200).json(view);
  });

  return r;
}
