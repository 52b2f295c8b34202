import { CallbackUrlError, resolveCallbackTarget, type Resolve } from '@rag/webhooks';
import { ValidationError } from './errors.ts';

/**
 * The submission-time check of a callbackUrl (400 `invalid_request` naming `callbackUrl`): the SSRF guard of
 * @rag/webhooks, and a refusal when this server has no WEBHOOK_SECRET: an unsigned webhook could not be told
 * apart from a forged one, so we send none rather than send them unsigned.
 */
export function createCallbackCheck(o: { secretSet: boolean; allowPrivate: boolean; resolve: Resolve }) {
  const refuse = (message: string) =>
    new ValidationError(`invalid request: callbackUrl: ${message}`, [{ field: 'callbackUrl', message }]);
  return async function checkCallbackUrl(url: string): Promise<void> {
    if (!o.secretSet) throw refuse('webhooks are not enabled on this server (WEBHOOK_SECRET is not set)');
    try {
      await resolveCallbackTarget(url, o);
    } catch (err) {
      if (err instanceof CallbackUrlError) throw refuse(err.message);
      throw err;
    }
  };
}
