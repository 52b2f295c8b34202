import net from 'node:net';
import { CALLBACK_URL_MAX_CHARS } from '@rag/contract';
import { deniedRange } from './address-policy.ts';
import { CallbackUrlError } from './callback-url-error.ts';
import type { Resolve, ResolvedAddress } from './resolve-host.ts';

interface CallbackTarget {
  url: URL;
  /** Every address the host resolved to, all allowed: the only ones a delivery may connect to. */
  addresses: ResolvedAddress[];
}

export interface TargetPolicy {
  /** WEBHOOK_ALLOW_PRIVATE: skip the address check (tests with a receiver on loopback). */
  allowPrivate: boolean;
  resolve: Resolve;
}

/** Refuses an address that is not allowed (unless private targets are), naming the kind of range. */
export function checkAddress(address: string, allowPrivate: boolean): void {
  if (allowPrivate) return;
  const range = deniedRange(address);
  if (range) {
    throw new CallbackUrlError(
      `callbackUrl must reach a public address; its host is or resolves to a ${range} address`,
    );
  }
}

/**
 * Parses a callback URL and resolves its host, refusing anything a webhook may not reach: a scheme other than
 * http(s), credentials in the URL (the signature authenticates us; secrets in URLs end up in logs), and a host
 * that is, or resolves to, any address that is not public (every answer counts: one bad answer of several is
 * enough for a DNS round-robin to hit it). Used at submission (400) and again at every delivery attempt.
 */
export async function resolveCallbackTarget(raw: string, policy: TargetPolicy): Promise<CallbackTarget> {
  if (raw.length > CALLBACK_URL_MAX_CHARS)
    throw new CallbackUrlError(`callbackUrl must be at most ${CALLBACK_URL_MAX_CHARS} characters`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CallbackUrlError('callbackUrl must be an absolute http or https URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new CallbackUrlError('callbackUrl must use http or https');
  if (url.username || url.password) throw new CallbackUrlError('callbackUrl must not carry credentials');
  // The WHATWG parser has already turned decimal, octal and hex IPv4 forms into dotted quads; IPv6 is bracketed.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw new CallbackUrlError('callbackUrl must name a host');
  let addresses: ResolvedAddress[];
  const family = net.isIP(host);
  if (family) {
    addresses = [{ address: host, family: family === 6 ? 6 : 4 }];
  } else {
    try {
      addresses = await policy.resolve(host);
    } catch (err) {
      throw new CallbackUrlError(`callbackUrl's host could not be resolved (${(err as Error).message})`, {
        retryable: true,
      });
    }
    if (addresses.length === 0)
      throw new CallbackUrlError("callbackUrl's host resolves to no address", { retryable: true });
  }
  for (const a of addresses) checkAddress(a.address, policy.allowPrivate);
  return { url, addresses };
}
