/**
 * A process could not start for a reason its operator can fix (a port in use, a service not reachable, a database
 * that does not match the configuration). `main` prints the message as one line and exits; no stack trace.
 */
export class StartError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StartError';
  }
}
