/** Errors the HTTP layer maps to CONTRACT.md shapes: `{"error": {"code", "message", "details"?}}`. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details?: unknown[];
  readonly headers?: Record<string, string>;
  constructor(
    status: number,
    code: string,
    message: string,
    opts: { details?: unknown[]; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
    this.details = opts.details;
    this.headers = opts.headers;
  }
}

export class ValidationError extends HttpError {
  constructor(message: string, details?: unknown[]) {
    super(400, 'invalid_request', message, { details });
  }
}

export class NotFoundError extends HttpError {
  constructor(message = 'no such ask (unknown or expired id)') {
    super(404, 'not_found', message);
  }
}

export class ConflictError extends HttpError {
  constructor(code: string, message: string) {
    super(409, code, message);
  }
}

export class TooManyError extends HttpError {
  constructor(code: 'overloaded' | 'rate_limited', message: string, retryAfterS: number) {
    super(429, code, message, { headers: { 'Retry-After': String(retryAfterS) } });
  }
}

export class UnavailableError extends HttpError {
  constructor(message: string) {
    super(503, 'unavailable', message, { headers: { 'Retry-After': '1' } });
  }
}
