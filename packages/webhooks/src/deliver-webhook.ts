import type { LookupFunction } from 'node:net';
import { Agent, request } from 'undici';
import { checkAddress, resolveCallbackTarget, type TargetPolicy } from './callback-target.ts';
import { CallbackUrlError } from './callback-url-error.ts';
import type { ResolvedAddress } from './resolve-host.ts';
import type { WebhookSigner } from './signer.ts';

/** Bytes of a receiver's response read at most (kept for the log); the rest is never read. */
export const MAX_RESPONSE_BYTES = 16 * 1024;
const SNIPPET_BYTES = 512;

export interface WebhookMessage {
  /** The webhook-id header: the same on every attempt, so receivers can drop duplicates. */
  id: string;
  url: string;
  /** The JSON body, byte for byte the same on every attempt. */
  body: string;
}

export interface DeliveryOptions extends TargetPolicy {
  signer: WebhookSigner;
  /** Bound on the whole attempt: connecting, the response's headers, and reading the (capped) body. */
  timeoutMs: number;
  /** Defaults to MAX_RESPONSE_BYTES. */
  maxResponseBytes?: number;
}

export interface DeliveryOutcome {
  ok: boolean;
  /** `delivered` (2xx); `http_status` (any other status, redirects included: they are not followed); `refused`
   * (the target is not allowed, or could not be resolved); `timeout`; `network` (connection refused, reset...). */
  kind: 'delivered' | 'http_status' | 'refused' | 'timeout' | 'network';
  /** Whether another attempt could succeed: false only for a refused target. */
  retryable: boolean;
  status?: number;
  error?: string;
  /** The webhook-timestamp this attempt was signed with (epoch seconds). */
  timestamp?: string;
  /** Response body bytes read (at most the cap plus one network chunk). */
  bytesRead: number;
  /** The start of the response body, for the log. */
  responseSnippet?: string;
}

/**
 * A lookup that answers only with the addresses resolved and checked before connecting (so a second, different
 * DNS answer, e.g. DNS rebinding between the check and the connect, is never asked for), checking them again.
 */
function pinnedLookup(addresses: ResolvedAddress[], allowPrivate: boolean): LookupFunction {
  return (_hostname, options, callback) => {
    try {
      const usable = addresses.filter((a) => !options.family || a.family === options.family);
      if (usable.length === 0) throw new Error('no resolved address of the requested family');
      for (const a of usable) checkAddress(a.address, allowPrivate);
      if (options.all) (callback as (e: null, a: ResolvedAddress[]) => void)(null, usable);
      else callback(null, usable[0].address, usable[0].family);
    } catch (err) {
      callback(err as NodeJS.ErrnoException, '', 0);
    }
  };
}

/**
 * One delivery attempt: re-checks the target (its host is resolved again and every answer checked, so a name
 * that resolved publicly at submission and privately now is refused), connects only to the checked addresses,
 * POSTs the signed body, follows no redirect (undici's request does not; a 3xx is a failure), gives up after
 * `timeoutMs`, and reads at most `maxResponseBytes` of the response before closing the connection.
 */
export async function deliverWebhook(msg: WebhookMessage, o: DeliveryOptions): Promise<DeliveryOutcome> {
  let target: Awaited<ReturnType<typeof resolveCallbackTarget>>;
  try {
    target = await resolveCallbackTarget(msg.url, o);
  } catch (err) {
    const e = err as CallbackUrlError;
    return {
      ok: false,
      kind: 'refused',
      retryable: e instanceof CallbackUrlError && e.retryable,
      error: e.message,
      bytesRead: 0,
    };
  }
  const cap = o.maxResponseBytes ?? MAX_RESPONSE_BYTES;
  const agent = new Agent({
    connect: { lookup: pinnedLookup(target.addresses, o.allowPrivate), timeout: o.timeoutMs },
    headersTimeout: o.timeoutMs,
    bodyTimeout: o.timeoutMs,
    // One connection per attempt: nothing is reused across targets that were checked separately.
    pipelining: 0,
  });
  const headers = o.signer.sign(msg.id, msg.body);
  const signal = AbortSignal.timeout(o.timeoutMs);
  let bytesRead = 0;
  try {
    const res = await request(target.url, {
      method: 'POST',
      dispatcher: agent,
      signal,
      headers: { ...headers, 'content-type': 'application/json', 'user-agent': 'rag-queue-webhooks/1' },
      body: msg.body,
    });
    const chunks: Buffer[] = [];
    let kept = 0;
    try {
      // Leaving the loop early destroys the body stream and with it the connection: the rest is never read.
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        bytesRead += chunk.length;
        if (kept < SNIPPET_BYTES) {
          chunks.push(chunk);
          kept += chunk.length;
        }
        if (bytesRead >= cap) break;
      }
    } catch {
      // The status is the answer: a body cut short, or dripping past the timeout, changes nothing.
      res.body.destroy();
    }
    const ok = res.statusCode >= 200 && res.statusCode < 300;
    return {
      ok,
      kind: ok ? 'delivered' : 'http_status',
      retryable: !ok,
      status: res.statusCode,
      ...(ok ? {} : { error: `the receiver answered ${res.statusCode}` }),
      timestamp: headers['webhook-timestamp'],
      bytesRead,
      responseSnippet: Buffer.concat(chunks).subarray(0, SNIPPET_BYTES).toString('utf8'),
    };
  } catch (err) {
    const e = err as Error & { code?: string; cause?: unknown };
    const timedOut =
      signal.aborted ||
      e.name === 'TimeoutError' ||
      ['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT'].includes(e.code ?? '');
    const refused = e instanceof CallbackUrlError || e.cause instanceof CallbackUrlError;
    return {
      ok: false,
      kind: refused ? 'refused' : timedOut ? 'timeout' : 'network',
      retryable: !refused,
      error: timedOut ? `no response within ${o.timeoutMs} ms` : e.message,
      timestamp: headers['webhook-timestamp'],
      bytesRead,
    };
  } finally {
    await agent.destroy().catch(() => {});
  }
}
