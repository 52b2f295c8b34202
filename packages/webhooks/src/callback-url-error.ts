/**
 * A callback URL that may not be (or, at delivery, could not be) used. `retryable` is true only when the host
 * could not be resolved (DNS may answer later); a refused address or a malformed URL stays refused.
 */
export class CallbackUrlError extends Error {
  readonly retryable: boolean;
  constructor(message: string, opts: { retryable?: boolean } = {}) {
    super(message);
    this.name = 'CallbackUrlError';
    this.retryable = opts.retryable ?? false;
  }
}
