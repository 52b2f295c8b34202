import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

/** Paths never written to logs: credentials in headers, and keys anywhere in logged objects. */
const redactPaths = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'headers.authorization',
  '*.apiKey',
  '*.password',
  'apiKey',
  'password',
];

export function createLogger(opts: { level: string; name: string; destination?: DestinationStream }): Logger {
  return pino(
    {
      name: opts.name,
      level: opts.level,
      redact: { paths: redactPaths, censor: '[redacted]' },
      base: { pid: process.pid },
    },
    opts.destination,
  );
}
