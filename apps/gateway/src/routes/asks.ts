import { Router, type Request, type Response } from 'express';
import { TERMINAL, type AskView } from '@rag/contract';
import { isStreamId } from '@rag/queue';
import { parseAskRequest, parseWait, preferWait } from '../ask-request.ts';
import type { AskEventStreams } from '../ask-event-streams.ts';
import type { AskService } from '../ask-service.ts';
import { HttpError, NotFoundError, ValidationError } from '../errors.ts';
import { checkScope } from '../security.ts';

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

/** The client asked for Server-Sent Events (`Accept: text/event-stream`). */
const wantsEvents = (req: Request) => /\btext\/event-stream\b/i.test(req.get('accept') ?? '');

/** The id to resume after: `Last-Event-ID` (as EventSource sends it), else none. */
function lastEventId(req: Request): string | undefined {
  const v = req.get('last-event-id')?.trim();
  if (!v) return undefined;
  if (!isStreamId(v)) {
    throw new ValidationError('Last-Event-ID must be an event id this API sent (like 1732540000000-0)', [
      { field: 'Last-Event-ID', message: 'not an event id' },
    ]);
  }
  return v;
}

export function asksRouter(d: {
  service: AskService;
  streams: AskEventStreams;
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
    checkScope(res, 'read', body.collection);
    const wait = preferWait(req.get('prefer'));
    const idempotencyKey = req.get('idempotency-key');
    if (idempotencyKey !== undefined && (idempotencyKey.length === 0 || idempotencyKey.length > MAX_IDEMPOTENCY_KEY)) {
      throw new ValidationError(`Idempotency-Key must be 1-${MAX_IDEMPOTENCY_KEY} characters`, [
        { field: 'Idempotency-Key', message: 'too long or empty' },
      ]);
    }
    await d.rateLimit(req);
    if (wantsEvents(req)) {
      // Submit and stream in one response; the first `status` event carries the id.
      const sub = await d.service.submit(body, {
        requestId: String(req.id),
        idempotencyKey,
        clientId: d.clientId(req),
        stream: true,
      });
      res.locals.served = sub.served;
      await d.streams.serve(res, sub.view.id, {
        view: sub.view,
        fresh: sub.served === 'queued',
        headers: { Location: `/v1/ask/${sub.view.id}` },
      });
      return;
    }
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

  r.get('/ask/:id/events', async (req, res) => {
    await d.streams.serve(res, req.params.id, { after: lastEventId(req) });
  });

  r.delete('/ask/:id', async (req, res) => {
    const view = await d.service.cancel(req.params.id);
    res.status(200).json(view);
  });

  return r;
}
